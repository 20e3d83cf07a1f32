//! Shared helpers for the integration tests: temp trees, the modlens binary, the real go
//! command with a `file://` proxy, and a hand-built cache for tests that do not need go.

#![allow(dead_code)]

pub mod fixture;
pub mod go;
pub mod oracle;
pub mod proxy;
pub mod s3;
pub mod sumdb;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A temp directory that is removed on drop even when go made parts of it read-only.
pub struct TempTree {
    dir: Option<tempfile::TempDir>,
}

impl TempTree {
    pub fn new() -> Self {
        TempTree {
            dir: Some(
                tempfile::Builder::new()
                    .prefix("modlens-test-")
                    .tempdir()
                    .unwrap(),
            ),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().unwrap().path()
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            make_writable(dir.path());
            let path = dir.path().to_path_buf();
            if dir.close().is_err() {
                // A tree deeper than PATH_MAX (the deep-delete tests) defeats a walk by full
                // paths; chmod and rm walk it relative to each directory. Not root, the test
                // would otherwise leave it behind.
                let _ = Command::new("chmod")
                    .arg("-R")
                    .arg("u+w")
                    .arg(&path)
                    .status();
                let _ = Command::new("rm").arg("-rf").arg(&path).status();
            }
        }
    }
}

/// Adds the owner's write bit to every directory and file below `path` (go makes module trees
/// and download files read-only), and to `path`'s own directory, so that a test can edit or
/// remove what go wrote without being root.
pub fn make_writable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let add = |p: &Path, bits: u32| {
        if let Ok(meta) = std::fs::symlink_metadata(p)
            && !meta.file_type().is_symlink()
        {
            let mut perm = meta.permissions();
            perm.set_mode(perm.mode() | bits);
            let _ = std::fs::set_permissions(p, perm);
        }
    };
    if let Some(parent) = path.parent() {
        add(parent, 0o700);
    }
    for entry in walkdir::WalkDir::new(path).into_iter().flatten() {
        if entry.file_type().is_dir() {
            add(entry.path(), 0o700);
        } else if entry.file_type().is_file() {
            add(entry.path(), 0o600);
        }
    }
}

/// A modlens command with no Go settings from the test runner's environment.
pub fn modlens(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
    cmd.args(args)
        .env("MODLENS_STATE", test_state())
        .env("XDG_CONFIG_HOME", test_config_home());
    if let Some(go) = go::go_binary() {
        cmd.env("MODLENS_GO", go);
    }
    for var in ["GOMODCACHE", "GOPATH", "GOFLAGS", "NO_COLOR"] {
        cmd.env_remove(var);
    }
    cmd
}

/// The state database the tests' modlens runs share (never the user's own).
pub fn test_state() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("state.db")
}

/// The configuration directory the tests' processes share (go keeps its `go env -w` file and
/// its telemetry counters there): never the user's own.
pub fn test_config_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("config")
}

/// Runs modlens and returns its output, whatever the exit status.
pub fn run(args: &[&str]) -> Output {
    modlens(args).output().unwrap()
}

/// Runs `modlens list --json --cache <cache>` and parses the report.
pub fn list_json(cache: &Path) -> Value {
    let out = run(&["list", "--json", "--cache", cache.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "modlens list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The entry for `path@version` in a list report.
pub fn entry<'a>(report: &'a Value, path: &str, version: &str) -> &'a Value {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path && e["version"] == version)
        .unwrap_or_else(|| panic!("{path}@{version} is not in the list"))
}

/// The (module path, action) pairs of a `modlens refetch --json` report.
pub fn repair_actions(report: &Value) -> std::collections::BTreeSet<(String, String)> {
    report["repaired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["path"].as_str().unwrap().to_owned(),
                o["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A child whose output goes to files, never to a pipe: it cannot block on a full pipe
/// however long the test waits before collecting it.
pub struct Spawned {
    child: std::process::Child,
    dir: TempTree,
}

impl Spawned {
    /// Starts `cmd` with its output going to files.
    pub fn start(cmd: &mut Command) -> Spawned {
        let dir = TempTree::new();
        let file = |name: &str| std::fs::File::create(dir.path().join(name)).unwrap();
        let child = cmd
            .stdout(file("stdout"))
            .stderr(file("stderr"))
            .spawn()
            .unwrap();
        Spawned { child, dir }
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for it to end, and returns its status and output.
    pub fn finish(mut self) -> Output {
        let status = self.child.wait().unwrap();
        let read = |name: &str| std::fs::read(self.dir.path().join(name)).unwrap_or_default();
        Output {
            status,
            stdout: read("stdout"),
            stderr: read("stderr"),
        }
    }
}

/// `MODLENS_NOW` for a modlens run `secs` seconds in the future: tests step time forward this
/// way instead of sleeping.
pub fn seconds_from_now(secs: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (now + secs).to_string()
}

/// Runs `cmd` to its end, its output collected.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn path_buf(v: &Value) -> PathBuf {
    PathBuf::from(v.as_str().unwrap())
}

/// Everything below `dir` as path → (kind, content digest, file mtime, mode), read without
/// following links: two equal fingerprints mean nothing below `dir` was created, removed or changed.
pub fn fingerprint(dir: &Path) -> std::collections::BTreeMap<PathBuf, String> {
    use sha2::Digest;
    use std::os::unix::fs::MetadataExt;
    let mut out = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        // A directory the test itself cannot read (not being root) is recorded as such.
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let at = err.path().unwrap_or(dir).to_path_buf();
                out.insert(at, "unreadable".to_owned());
                continue;
            }
        };
        let meta = std::fs::symlink_metadata(entry.path()).unwrap();
        let kind = entry.file_type();
        let content = if kind.is_file() {
            sha2::Sha256::digest(std::fs::read(entry.path()).unwrap())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        } else if kind.is_symlink() {
            std::fs::read_link(entry.path())
                .unwrap()
                .display()
                .to_string()
        } else {
            String::new()
        };
        out.insert(
            entry.path().to_path_buf(),
            // A directory's mtime changes with any temp name made and removed in it; its
            // listing is compared entry by entry instead.
            if kind.is_dir() {
                format!("dir mode={:o}", meta.mode())
            } else {
                format!(
                    "{kind:?} {content} mtime={}.{} mode={:o}",
                    meta.mtime(),
                    meta.mtime_nsec(),
                    meta.mode(),
                )
            },
        );
    }
    out
}

/// A home-like directory of canary files that no modlens command may ever change: an ssh key,
/// a git repository, documents and a go project.
pub fn home_like(dir: &Path) {
    for (rel, content) in [
        (".ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        (".bashrc", "export PATH\n"),
        ("project/.git/HEAD", "ref: refs/heads/main\n"),
        ("project/go.mod", "module example.com/project\n"),
        ("project/main.tmp", "a temp-looking file\n"),
        ("Documents/letter.txt", "Dear\n"),
        ("notes@v1.0.0/todo.txt", "looks like a version\n"),
    ] {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// Runs modlens as a user without privileges, so that permission bits count: as root (CI
/// containers), the tree is given to `nobody` and modlens runs under `setpriv`.
pub struct Unprivileged {
    as_nobody: bool,
}

impl Unprivileged {
    /// Prepares `tree` (everything the commands will touch) for the unprivileged user.
    pub fn new(tree: &Path) -> Self {
        let as_nobody = rustix::process::geteuid().is_root();
        if as_nobody {
            let out = Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(tree)
                .output()
                .unwrap();
            assert!(out.status.success(), "chown: {}", stderr(&out));
        }
        Unprivileged { as_nobody }
    }

    /// The tests' go, as a go the user can run: when the user cannot reach it (it lives in a
    /// directory only root can enter, as a fresh clone in `mktemp -d` is), a copy of its GOROOT
    /// in a directory the user can read, kept as long as the returned tree.
    pub fn go(&self) -> Option<(PathBuf, Option<TempTree>)> {
        let go = go::go_binary()?;
        let runs = |go: &Path| {
            let mut cmd = if self.as_nobody {
                let mut cmd = Command::new("setpriv");
                cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                    .arg(go);
                cmd
            } else {
                Command::new(go)
            };
            cmd.arg("version")
                .current_dir("/")
                .env("HOME", "/")
                .env("GOCACHE", "off")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if runs(&go) {
            return Some((go, None));
        }
        let goroot = Command::new(&go)
            .args(["env", "GOROOT"])
            .env("XDG_CONFIG_HOME", test_config_home())
            .output()
            .ok()?;
        let goroot = PathBuf::from(String::from_utf8_lossy(&goroot.stdout).trim());
        let copy = TempTree::new();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(copy.path(), std::fs::Permissions::from_mode(0o755)).ok()?;
        let copied = Command::new("cp")
            .arg("-a")
            .arg(&goroot)
            .arg(copy.path().join("goroot"))
            .status()
            .is_ok_and(|s| s.success());
        let go = copy.path().join("goroot/bin/go");
        (copied && runs(&go)).then_some((go, Some(copy)))
    }

    /// Runs `modlens --cache <root> <args>` with GOPROXY=off.
    pub fn run(&self, root: &Path, args: &[&str]) -> Output {
        self.command(root, args).output().unwrap()
    }

    /// The command [`Unprivileged::run`] runs, for callers to add to.
    pub fn command(&self, root: &Path, args: &[&str]) -> Command {
        let mut cmd = if self.as_nobody {
            let mut cmd = Command::new("setpriv");
            cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(env!("CARGO_BIN_EXE_modlens"));
            cmd
        } else {
            Command::new(env!("CARGO_BIN_EXE_modlens"))
        };
        // Never the state database of the user running the tests.
        cmd.env("XDG_CONFIG_HOME", test_config_home());
        cmd.args(args)
            .arg("--cache")
            .arg(root)
            .arg("--no-state")
            .env("GOPROXY", "off");
        for var in ["GOMODCACHE", "GOPATH", "GOFLAGS", "NO_COLOR"] {
            cmd.env_remove(var);
        }
        cmd
    }
}

/// Runs `modlens <args> --cache <root>` offline under a 1 GiB address-space limit
/// (`prlimit`), and fails the test if it runs longer than `secs` seconds (it is killed).
pub fn run_bounded(root: &Path, args: &[&str], secs: u64) -> Output {
    let mut child = Command::new("prlimit")
        .arg(format!("--as={}", 1u64 << 30))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_modlens"))
        .args(args)
        .arg("--cache")
        .arg(root)
        .env("GOPROXY", "off")
        .env("MODLENS_STATE", test_state())
        .env("XDG_CONFIG_HOME", test_config_home())
        // Unused per-thread malloc arenas reserve address space, not memory.
        .env("MALLOC_ARENA_MAX", "2")
        .env_remove("GOMODCACHE")
        .env_remove("GOFLAGS")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Both pipes are drained while it runs: a full pipe would stop it, and look like a hang.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed().as_secs() > secs {
            let _ = child.kill();
            let _ = child.wait();
            panic!("modlens {} ran for more than {secs} s", args.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// A proxy on 127.0.0.1 that accepts connections and never answers, so a go download hangs on
/// it. Returns its port and a flag that turns true once a client has connected.
pub fn hanging_proxy() -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = std::sync::Arc::new(AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&asked);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            flag.store(true, Ordering::SeqCst);
            held.push(conn);
        }
    });
    (port, asked)
}

/// A server process on 127.0.0.1, stopped when dropped (also when its test fails).
pub struct Server {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd`, a server on 127.0.0.1 that prints its port as its first line.
pub fn start_server(cmd: &mut Command) -> Server {
    use std::io::BufRead;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Server {
        child,
        url: format!("http://127.0.0.1:{}", line.trim()),
    }
}

/// What `dir` holds (a scratch directory that must be empty again).
pub fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect()
}

/// Waits (at most 20 s) until `flag` turns true.
pub fn wait_until(flag: &std::sync::atomic::AtomicBool, what: &str) {
    let started = std::time::Instant::now();
    while !flag.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(started.elapsed().as_secs() < 20, "waited for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Whether a go process modlens started for the cache at `in_cache` is running with every one of
/// `texts` in its command line.
pub fn process_running(texts: &[&str], in_cache: &Path) -> bool {
    // Only go processes modlens started for this cache: other tests run go at the same time.
    let scratch = format!("GOMODCACHE={}/cache/modlens-fetch", in_cache.display());
    std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
        let cmdline = std::fs::read(p.path().join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "));
        let environ = std::fs::read(p.path().join("environ"))
            .map(|e| String::from_utf8_lossy(&e).into_owned())
            .unwrap_or_default();
        cmdline.is_ok_and(|c| texts.iter().all(|t| c.contains(t))) && environ.contains(&scratch)
    })
}

/// Pools for library-level tests, with `hash` hashing threads.
pub fn pools(hash: usize) -> std::sync::Arc<modlens::ops::pools::Pools> {
    modlens::ops::pools::Pools::new(modlens::ops::pools::PoolSizes {
        scan: 2,
        hash,
        jobs: 2,
    })
    .unwrap()
}

/// Scans `root` fully into a snapshot, as the commands do.
pub fn snapshot(root: &Path) -> modlens::cache::Snapshot {
    let cache = modlens::cache::ModCache::new(root);
    modlens::ops::scan::snapshot(&pools(2), &cache, modlens::cache::scan::Depth::Full).unwrap()
}

/// The total on disk `modlens list` reports for the cache at `cache` (the header's figure).
pub fn listed_total(cache: &Path) -> String {
    let out = modlens(&["list", "--cache", &cache.display().to_string()])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    listed
        .rsplit("total ")
        .next()
        .and_then(|t| t.split(" on disk").next())
        .unwrap()
        .to_owned()
}

/// Puts every file's mtime two minutes back, as if the build had finished then: outputs
/// written in the last minute are not judged (a go command may still be writing them).
pub fn age_files(dir: &Path) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if entry.file_type().is_file() {
            let file = std::fs::File::options()
                .write(true)
                .open(entry.path())
                .unwrap();
            file.set_times(std::fs::FileTimes::new().set_modified(then))
                .unwrap();
        }
    }
}

/// Fails with `what`, stdout and stderr unless the command succeeded.
/// Copies `from` to `to` with `cp -a` (read-only directories, times and modes included).
pub fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}

pub fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
