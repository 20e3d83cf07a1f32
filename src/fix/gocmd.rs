//! Running the real go command on modlens's behalf: the user's settings with a module cache and
//! flags of modlens's choosing, output to files (no pipe to drain, no thread), and, on cancel,
//! the whole process group killed and waited for, so no go or git process outlives its job.

use std::path::Path;
use std::process::{Command, Stdio};

use super::error::FixError;
use crate::cache::cancel::CancelToken;
use crate::cache::goenv::GoEnv;
use crate::cache::{ModCache, ModuleKey};

/// How to run go on the user's behalf (re-fetches, downloads, the doctor's questions).
#[derive(Debug, Clone, Default)]
pub struct GoRunner {
    /// The user's effective GOFLAGS (environment, `go env -w` file, `$GOROOT/go.env`), as the
    /// cli read it; re-fetches pass it on and only append what they need.
    pub goflags: String,
    /// Whether GOFLAGS holds `-modcacherw` (re-extracted directories then stay writable).
    pub modcacherw: bool,
    /// Variables set for go on top of the inherited environment.
    pub env: Vec<(String, String)>,
    /// go's index of module trees, dropped for every tree modlens changes.
    pub tree_index: Option<super::goindex::TreeIndex>,
    /// The go binary to run; `None`: `MODLENS_GO`, else `go` from PATH.
    pub program: Option<std::ffi::OsString>,
}

impl GoRunner {
    /// go as the user's settings run it.
    pub fn new(goenv: &GoEnv) -> GoRunner {
        GoRunner {
            goflags: goenv.goflags(),
            modcacherw: goenv.modcacherw(),
            env: Vec::new(),
            tree_index: super::goindex::TreeIndex::from_env(goenv),
            program: None,
        }
    }

    /// Tells go that the tree of `key` changed: drops its index of the tree.
    pub fn tree_changed(&self, cache: &ModCache, key: &ModuleKey) {
        if let Some(index) = &self.tree_index {
            index.forget(&cache.tree_dir(key));
        }
    }
}

/// A go command with the user's environment, `modcache` as GOMODCACHE, and `extra` flags
/// appended to the user's effective GOFLAGS, so that the user's own flags (from any source)
/// stay in force.
pub fn command(go: &GoRunner, modcache: &Path, extra: &str) -> Command {
    let flags = go
        .env
        .iter()
        .find(|(k, _)| k == "GOFLAGS")
        .map_or(go.goflags.as_str(), |(_, v)| v.as_str());
    let program = go
        .program
        .clone()
        .unwrap_or_else(crate::cache::goenv::go_program);
    let mut command = Command::new(program);
    command
        .envs(go.env.iter().map(|(k, v)| (k, v)))
        .env("GOMODCACHE", modcache)
        .env("GOFLAGS", format!("{flags} {extra}").trim());
    // Never switch (and download) a toolchain behind the user's back.
    let user = go
        .env
        .iter()
        .find(|(k, _)| k == "GOTOOLCHAIN")
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var("GOTOOLCHAIN").ok());
    if let Some(toolchain) = crate::cache::goenv::no_download_toolchain(user.as_deref()) {
        command.env("GOTOOLCHAIN", toolchain);
    }
    command
}

/// Runs `command` in its own process group, its output going to files in `workdir` (no pipe
/// to drain, no thread), and waits for it. When `cancel` is set, the whole group (go and the
/// git or other helpers it started) is killed and waited for, so no child outlives the job.
pub fn run(
    mut command: Command,
    workdir: &std::path::Path,
    cancel: &CancelToken,
) -> Result<std::process::Output, FixError> {
    use std::os::unix::process::CommandExt;
    let go_error = |message: String| FixError::Go { message };
    let file = |name: &str| {
        create_private_file(workdir, name)
            .map_err(|e| go_error(format!("{}: {e}", workdir.display())))
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(file("stdout")?)
        .stderr(file("stderr")?)
        .process_group(0)
        .spawn()
        .map_err(|e| go_error(format!("cannot run go: {e} (is go on PATH?)")))?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if cancel.is_cancelled() => {
                if let Some(group) = rustix::process::Pid::from_raw(child.id() as i32) {
                    let _ =
                        rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
                }
                let _ = child.wait();
                return Err(go_error("cancelled".into()));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => return Err(go_error(format!("waiting for go: {e}"))),
        }
    };
    let read = |name: &str| std::fs::read(workdir.join(name)).unwrap_or_default();
    Ok(std::process::Output {
        status,
        stdout: read("stdout"),
        stderr: read("stderr"),
    })
}

/// A private temp directory for go's output files and copies, removed when dropped. Its name
/// is unpredictable and it is created exclusively with mode 0700 (`mkdtemp`), so another user
/// cannot prepare it or plant links in it.
pub struct TempDir(crate::fix::private_dir::PrivateDir);

impl TempDir {
    /// Creates `$TMPDIR/modlens-<what>-<random>`, private (see [`crate::fix::private_dir`]).
    pub fn create(what: &str) -> Result<TempDir, FixError> {
        crate::fix::private_dir::private_temp_dir(what)
            .map(TempDir)
            .map_err(|e| FixError::Go {
                message: format!("{}: {e}", std::env::temp_dir().display()),
            })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Creates `dir/name` for writing: a new file only, never through a link.
pub fn create_private_file(dir: &Path, name: &str) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(dir.join(name))
}
