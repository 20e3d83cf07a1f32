//! go's settings, read once per run and handed to whoever needs them.
//!
//! A setting is what the user's go command would use: the process environment, else what
//! `go env -json` answers (it also sees `go env -w` settings and `$GOROOT/go.env`), asked once
//! and only when needed, else, without go on PATH, the `go env -w` file. This is the only place
//! in modlens that reads go's environment variables; everything else receives a [`GoEnv`].

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The settings modlens asks go about.
pub const NAMES: [&str; 15] = [
    "GOFLAGS",
    "GOCACHE",
    "GOMODCACHE",
    "GOPATH",
    "GOPROXY",
    "GOSUMDB",
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOINSECURE",
    "GOTOOLCHAIN",
    "GOROOT",
    "GOENV",
    "GOVERSION",
    "GOCACHEPROG",
];

/// What asking go gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoAnswer {
    /// go is not on PATH (or could not be started).
    NotAvailable,
    /// It failed, with the first line of its message (e.g. a relative GOPATH).
    Failed(String),
    /// The settings, as go reports them (empty when unset).
    Values(BTreeMap<String, String>),
}

/// Reads a process environment variable.
type ReadVar = Box<dyn Fn(&str) -> Option<OsString> + Send + Sync>;

/// Asks go for its settings.
type AskGo = Box<dyn Fn() -> GoAnswer + Send + Sync>;

/// go's settings for this run.
pub struct GoEnv {
    process: ReadVar,
    ask_go: AskGo,
    go: OnceLock<GoAnswer>,
    file: OnceLock<Vec<(String, String)>>,
}

impl std::fmt::Debug for GoEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoEnv").field("go", &self.go.get()).finish()
    }
}

impl GoEnv {
    /// The settings of this process, asking the go on PATH when needed.
    pub fn from_process() -> GoEnv {
        GoEnv::new(|k| std::env::var_os(k), ask_go)
    }

    /// Settings from `process` (the environment) and `ask_go` (running `go env -json`); for
    /// tests.
    pub fn new(
        process: impl Fn(&str) -> Option<OsString> + Send + Sync + 'static,
        ask_go: impl Fn() -> GoAnswer + Send + Sync + 'static,
    ) -> GoEnv {
        GoEnv {
            process: Box::new(process),
            ask_go: Box::new(ask_go),
            go: OnceLock::new(),
            file: OnceLock::new(),
        }
    }

    /// Settings from fixed pairs, with no go and no `go env -w` file; for tests.
    pub fn fixed(pairs: &[(&str, &str)]) -> GoEnv {
        let pairs: BTreeMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        let mut env = GoEnv::new(move |k| pairs.get(k).cloned(), || GoAnswer::NotAvailable);
        env.file = OnceLock::from(Vec::new());
        env
    }

    /// A process environment variable, not empty (HOME, XDG_CONFIG_HOME, ...).
    pub fn process_var(&self, name: &str) -> Option<OsString> {
        (self.process)(name).filter(|v| !v.is_empty())
    }

    /// What go answers (asked once).
    pub fn go_answer(&self) -> &GoAnswer {
        self.go.get_or_init(|| (self.ask_go)())
    }

    /// Whether a go command is on PATH and works.
    pub fn go_available(&self) -> bool {
        matches!(self.go_answer(), GoAnswer::Values(_))
    }

    /// Whether go keeps `module_path` away from the checksum database: it matches GONOSUMDB,
    /// or GOPRIVATE when GONOSUMDB is unset (go's rule).
    pub fn private_to_sumdb(&self, module_path: &str) -> bool {
        super::module::match_prefix_patterns(&self.sumdb_private_patterns(), module_path)
    }

    /// The patterns of the modules go keeps away from the checksum database.
    pub fn sumdb_private_patterns(&self) -> String {
        self.get("GONOSUMDB")
            .or_else(|| self.get("GOPRIVATE"))
            .unwrap_or_default()
    }

    /// The effective value of a go setting, `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.process_var(name) {
            return Some(v.to_string_lossy().into_owned());
        }
        match self.go_answer() {
            GoAnswer::Values(values) => values.get(name).filter(|v| !v.is_empty()).cloned(),
            GoAnswer::Failed(_) => None,
            GoAnswer::NotAvailable => self
                .file()
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty()),
        }
    }

    /// A setting as the environment would pass it on: the process's, else the `go env -w`
    /// file's (go reads that file after the environment).
    pub fn var_os(&self, name: &str) -> Option<OsString> {
        self.process_var(name).or_else(|| {
            self.file()
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into())
        })
    }

    /// GOFLAGS, or empty.
    pub fn goflags(&self) -> String {
        self.get("GOFLAGS").unwrap_or_default()
    }

    /// Whether GOFLAGS holds `-modcacherw`: go then leaves extracted directories writable.
    pub fn modcacherw(&self) -> bool {
        self.goflags().split_whitespace().any(|f| {
            let f = f.trim_start_matches('-');
            f == "modcacherw" || f == "modcacherw=true"
        })
    }

    /// GOPROXY, with go's default.
    pub fn goproxy(&self) -> String {
        self.get("GOPROXY")
            .unwrap_or_else(|| "https://proxy.golang.org,direct".to_owned())
    }

    /// GOSUMDB, with go's default.
    pub fn gosumdb(&self) -> String {
        self.get("GOSUMDB")
            .unwrap_or_else(|| "sum.golang.org".to_owned())
    }

    /// The `go env -w` file's settings.
    fn file(&self) -> &[(String, String)] {
        self.file
            .get_or_init(|| goenv_file(&|k| self.process_var(k)))
    }
}

/// The go command modlens runs: `MODLENS_GO` when set (a path to a go binary), else `go`
/// from PATH.
pub fn go_program() -> std::ffi::OsString {
    std::env::var_os("MODLENS_GO")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "go".into())
}

/// GOTOOLCHAIN for modlens's own calls to go: what the user set, but never one that downloads
/// a toolchain just to answer modlens (go 1.21+): `auto` becomes `path` (a newer toolchain
/// already on PATH is still used), `goX+auto` becomes `goX+path`. `None` leaves it as it is.
pub fn no_download_toolchain(user: Option<&str>) -> Option<String> {
    match user.map(str::trim) {
        None | Some("") | Some("auto") => Some("path".to_owned()),
        Some(v) => v.strip_suffix("+auto").map(|min| format!("{min}+path")),
    }
}

/// The line of go's stderr that says what went wrong: its first line that is not a progress
/// line ("go: downloading go1.22.10 (linux/amd64)"), without the `go: ` prefix (later lines
/// are hints such as "For more details see: 'go help gopath'").
pub fn go_error_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("go: downloading"))
        .unwrap_or("")
        .trim_start_matches("go: ")
        .to_owned()
}

/// How long `go env` may take before modlens gives up on it.
const GO_ENV_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs `go env -json` for [`NAMES`], from the file-system root: the settings are the
/// cache's, not a project's, and no go.mod there can make go switch (and download) a
/// toolchain just to answer.
fn ask_go() -> GoAnswer {
    let mut command = Command::new(go_program());
    if let Some(toolchain) = no_download_toolchain(std::env::var("GOTOOLCHAIN").ok().as_deref()) {
        command.env("GOTOOLCHAIN", toolchain);
    }
    let child = command
        .args(["env", "-json"])
        .args(NAMES)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return GoAnswer::NotAvailable;
    };
    // A go that never answers (a hung wrapper, a GOCACHEPROG that waits) must not hang
    // modlens: after GO_ENV_TIMEOUT it is killed and said to have failed. Its answer is a few
    // KiB, so the pipes never fill while it runs.
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > GO_ENV_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return GoAnswer::Failed(format!(
                    "`go env` did not answer within {} s",
                    GO_ENV_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(_) => return GoAnswer::NotAvailable,
        }
    }
    let Ok(out) = child.wait_with_output() else {
        return GoAnswer::NotAvailable;
    };
    if !out.status.success() {
        return GoAnswer::Failed(go_error_line(&out.stderr));
    }
    match serde_json::from_slice::<BTreeMap<String, String>>(&out.stdout) {
        Ok(values) => GoAnswer::Values(values),
        Err(e) => GoAnswer::Failed(format!("`go env -json` printed no JSON object: {e}")),
    }
}

/// The settings `go env -w` wrote to the GOENV file (`$GOENV`, else
/// `$XDG_CONFIG_HOME/go/env` or `$HOME/.config/go/env`; `GOENV=off` disables it), as
/// `KEY=VALUE` lines. go reads them after the process environment.
pub fn goenv_file(var: &dyn Fn(&str) -> Option<OsString>) -> Vec<(String, String)> {
    let set = |k: &str| var(k).filter(|v| !v.is_empty());
    let path = match set("GOENV") {
        Some(v) if v == "off" => return Vec::new(),
        Some(v) => PathBuf::from(v),
        None => match set("XDG_CONFIG_HOME") {
            Some(dir) => PathBuf::from(dir).join("go").join("env"),
            None => match set("HOME") {
                Some(home) => PathBuf::from(home).join(".config").join("go").join("env"),
                None => return Vec::new(),
            },
        },
    };
    let Ok(bytes) = super::read::read_outside_capped(&path, 1 << 20) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|line| {
            let (k, v) = line.split_once('=')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modlens_never_makes_go_download_a_toolchain() {
        assert_eq!(no_download_toolchain(None).as_deref(), Some("path"));
        assert_eq!(no_download_toolchain(Some("auto")).as_deref(), Some("path"));
        assert_eq!(
            no_download_toolchain(Some("go1.22.0+auto")).as_deref(),
            Some("go1.22.0+path")
        );
        assert_eq!(no_download_toolchain(Some("local")), None);
        assert_eq!(no_download_toolchain(Some("go1.23.4")), None);
    }

    #[test]
    fn the_environment_wins_then_go_then_defaults() {
        let go = || {
            GoAnswer::Values(BTreeMap::from([
                ("GOFLAGS".to_owned(), "-modcacherw".to_owned()),
                ("GOPROXY".to_owned(), "https://go.example".to_owned()),
            ]))
        };
        let env = GoEnv::new(|k| (k == "GOPROXY").then(|| OsString::from("off")), go);
        assert_eq!(env.goproxy(), "off");
        assert!(env.modcacherw());
        assert_eq!(env.gosumdb(), "sum.golang.org");
        assert!(env.go_available());
    }

    #[test]
    fn go_is_asked_once() {
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&asked);
        let env = GoEnv::new(
            |_| None,
            move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                GoAnswer::NotAvailable
            },
        );
        let _ = (
            env.goflags(),
            env.gosumdb(),
            env.goproxy(),
            env.go_available(),
        );
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
