//! End-to-end journeys: the real binary in a pseudo-terminal on a cache the real go wrote,
//! driven with keystrokes and read back from the emulated screen, with the file system checked
//! afterwards.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::go::Go;
use crate::support::make_writable;
use crate::support::proxy::standard_modules;

/// The real binary in a pseudo-terminal of 120×40 (`portable-pty`), its screen read back
/// through a terminal emulator (`vt100`): no tmux needed, so the journeys run on any machine.
struct Tmux {
    parser: std::sync::Arc<std::sync::Mutex<vt100::Parser>>,
    writer: std::sync::Mutex<Box<dyn std::io::Write + Send>>,
    child: std::sync::Mutex<Box<dyn portable_pty::Child + Send + Sync>>,
    // Kept open for the life of the terminal.
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Tmux {
    /// Always true: the terminal is emulated in the test itself.
    fn available(_test: &str) -> bool {
        true
    }

    /// Runs `cmd` (a shell command line) in a fresh 120×40 terminal.
    fn start(_name: &str, cmd: &str) -> Tmux {
        use portable_pty::{CommandBuilder, PtySize, native_pty_system};
        let (rows, cols) = (40, 120);
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new("sh");
        command.args(["-c", cmd]);
        command.env("TERM", "xterm-256color");
        command.env_remove("NO_COLOR");
        command.env("MODLENS_STATE", crate::support::test_state());
        command.env("XDG_CONFIG_HOME", crate::support::test_config_home());
        if let Some(go) = crate::support::go::go_binary() {
            command.env("MODLENS_GO", go);
        }
        let child = pair.slave.spawn_command(command).unwrap();
        drop(pair.slave);
        let parser = std::sync::Arc::new(std::sync::Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let feed = std::sync::Arc::clone(&parser);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Tmux {
            parser,
            writer: std::sync::Mutex::new(writer),
            child: std::sync::Mutex::new(child),
            _master: pair.master,
        }
    }

    /// Types `keys`, named as tmux names them (`Enter`, `Escape`, `F5`, `Left`, `Space`) or
    /// as the text to type.
    fn keys(&self, keys: &[&str]) {
        use std::io::Write;
        let mut writer = self.writer.lock().unwrap();
        for k in keys {
            let bytes: &[u8] = match *k {
                "Enter" => b"\r",
                "Escape" => b"\x1b",
                "F5" => b"\x1b[15~",
                "Left" => b"\x1b[D",
                "Right" => b"\x1b[C",
                "Up" => b"\x1b[A",
                "Down" => b"\x1b[B",
                "Space" => b" ",
                "C-c" => b"\x03",
                text => text.as_bytes(),
            };
            writer.write_all(bytes).unwrap();
            writer.flush().unwrap();
            // A lone Escape must not merge with the next key into an escape sequence.
            std::thread::sleep(Duration::from_millis(if *k == "Escape" { 80 } else { 15 }));
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen contains `text` (and not `unless`), failing after 15 s.
    fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "waited for {text:?}; the screen is:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen satisfies `ok`, failing after 15 s.
    fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "waited for {what}; the screen is:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process running in the terminal.
    fn pid(&self) -> u32 {
        self.child.lock().unwrap().process_id().unwrap()
    }

    fn running(&self) -> bool {
        self.child
            .lock()
            .unwrap()
            .try_wait()
            .is_ok_and(|s| s.is_none())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn open_sort_filter_inspect_delete_and_quit() {
    let Some(go) = Go::find("open_sort_filter_inspect_delete_and_quit") else {
        return;
    };
    if !Tmux::available("open_sort_filter_inspect_delete_and_quit") {
        return;
    }
    go.download(&standard_modules());
    make_writable(&go.modcache());
    fs::write(
        go.modcache()
            .join("example.com/nested@v1.0.0/a/b/other.txt"),
        "tampered\n",
    )
    .unwrap();
    let cmd = format!(
        "{} --cache {}",
        env!("CARGO_BIN_EXE_modlens"),
        go.modcache().display()
    );
    let t = Tmux::start("journey", &cmd);

    t.wait_for("verify ✓");
    let screen = t.wait_for("1 problem ");
    assert!(screen.contains("example.com/MixedCase (3)"), "{screen}");

    t.keys(&["1"]);
    t.wait_for("sort: size");

    t.keys(&["/", "n", "e", "s", "t", "e", "d", "Enter"]);
    let screen = t.wait_for("filter: nested");
    assert!(
        !screen.contains("MixedCase"),
        "the filter narrows the list:\n{screen}"
    );

    t.keys(&["p", "g", "j", "Enter"]);
    let screen = t.wait_for("dir_modified");
    assert!(
        screen.contains("modified a/b/other.txt"),
        "the details name the changed file:\n{screen}"
    );

    // Back to everything, then delete one version.
    t.keys(&["p", "/", "Escape"]);
    // A terminal cannot tell Esc followed at once by `/` from Alt-/: let the Esc land first.
    t.wait_for("MixedCase");
    t.keys(&["/", "u", "n", "i", "c", "o", "d", "e", "Enter"]);
    t.wait_for("filter: unicode");
    t.keys(&["g", "j", "Space", "D"]);
    t.wait_for("Delete 1 module version?");
    t.keys(&["y"]);
    t.wait_for("job 1 (delete) done: 1 ok");
    let unicode = go.modcache().join("example.com/unicode@v1.0.0");
    assert!(!unicode.exists(), "the tree is gone");
    let at_v = go.modcache().join("cache/download/example.com/unicode/@v");
    let left: Vec<String> = fs::read_dir(&at_v)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("v1.0.0"))
        .collect();
    assert_eq!(left, ["v1.0.0.lock"]);

    // go still accepts the cache, and fetches the deleted version again.
    let project = go.project(
        "after",
        &[
            ("example.com/MixedCase", "v1.2.3"),
            ("example.com/legacy", "v2.0.0+incompatible"),
        ],
    );
    let (ok, err) = go.mod_verify(&project);
    assert!(ok, "go mod verify after the delete: {err}");
    let out = go
        .command(&["mod", "download", "example.com/unicode@v1.0.0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(Path::new(&unicode).is_dir());

    t.keys(&["q"]);
    let started = Instant::now();
    while t.running() {
        assert!(started.elapsed() < Duration::from_secs(5), "q quits");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_explorer_refuses_a_home_directory_and_changes_nothing() {
    if !Tmux::available("the_explorer_refuses_a_home_directory") {
        return;
    }
    let t = crate::support::TempTree::new();
    let home = t.path().join("home");
    crate::support::home_like(&home);
    let before = crate::support::fingerprint(t.path());
    let cmd = format!(
        "{} --cache {}; echo exit=$?; sleep 30",
        env!("CARGO_BIN_EXE_modlens"),
        home.display()
    );
    let tmux = Tmux::start("refuse-home", &cmd);
    let screen = tmux.wait_for("exit=");
    assert!(screen.contains("is not a Go module cache"), "{screen}");
    assert!(screen.contains("exit=2"), "{screen}");
    assert_eq!(crate::support::fingerprint(t.path()), before);
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn refetch_on_a_terminal_shows_its_plan_and_asks_first() {
    let Some(go) = Go::find("refetch_on_a_terminal_shows_its_plan") else {
        return;
    };
    if !Tmux::available("refetch_on_a_terminal_shows_its_plan") {
        return;
    }
    go.download(&standard_modules());
    let tree = go.modcache().join("example.com/nested@v1.0.0");
    make_writable(&tree);
    fs::write(tree.join("a/b/other.txt"), "tampered\n").unwrap();
    let before = crate::support::fingerprint(&go.modcache());
    let cmd = |name: &str| {
        let cmd = format!(
            "GOPROXY=off {} refetch --broken --cache {}; echo exit=$?; sleep 30",
            env!("CARGO_BIN_EXE_modlens"),
            go.modcache().display()
        );
        Tmux::start(name, &cmd)
    };
    let t = cmd("refetch-no");
    let screen = t.wait_for("[y/N]");
    assert!(
        screen.contains("example.com/nested@v1.0.0: re-extract the tree from the intact zip"),
        "{screen}"
    );
    t.keys(&["n", "Enter"]);
    let screen = t.wait_for("exit=");
    assert!(
        screen.contains("nothing repaired") && screen.contains("exit=0"),
        "{screen}"
    );
    assert_eq!(crate::support::fingerprint(&go.modcache()), before);
    let t = cmd("refetch-yes");
    t.wait_for("[y/N]");
    t.keys(&["y", "Enter"]);
    let screen = t.wait_for("exit=");
    assert!(
        screen.contains("re-extracted") && screen.contains("exit=0"),
        "{screen}"
    );
    // The doctor, asked to fix a project whose version only a download brings back while
    // GOPROXY=off, says before asking that the download will fail.
    let project = go.project("offline", &[("example.com/unicode", "v1.0.0")]);
    let unicode = go.modcache().join("example.com/unicode@v1.0.0");
    make_writable(&unicode);
    make_writable(&go.modcache().join("cache/download/example.com/unicode/@v"));
    fs::remove_dir_all(&unicode).unwrap();
    fs::remove_file(
        go.modcache()
            .join("cache/download/example.com/unicode/@v/v1.0.0.zip"),
    )
    .unwrap();
    let t = Tmux::start(
        "doctor-offline",
        &format!(
            "cd {} && GOPROXY=off GOFLAGS=-mod=mod {} doctor --fix --cache {}; echo exit=$?; \
             sleep 30",
            project.display(),
            env!("CARGO_BIN_EXE_modlens"),
            go.modcache().display()
        ),
    );
    let screen = t.wait_for("[y/N]");
    assert!(
        screen.contains("GOPROXY=off: go may not download"),
        "{screen}"
    );
    t.keys(&["n", "Enter"]);
    let screen = t.wait_for("exit=");
    assert!(screen.contains("nothing changed"), "{screen}");
}

/// The demo dirs in `tmp`.
fn demo_dirs(tmp: &std::path::Path) -> Vec<std::path::PathBuf> {
    fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("modlens-demo-"))
        })
        .collect()
}

/// A process whose environment holds the entry `entry` (`NAME=value`, whole) and whose
/// command line holds every one of `texts`.
fn process_with(entry: &str, texts: &[&str]) -> Option<String> {
    fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid = e.file_name().to_string_lossy().into_owned();
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let environ = fs::read(format!("/proc/{pid}/environ")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let ours = texts.iter().all(|t| cmdline.contains(t))
            && environ.split(|b| *b == 0).any(|v| v == entry.as_bytes());
        ours.then_some(pid)
    })
}

/// The process whose environment has `TMPDIR=<tmp>` and whose command line has `--demo`.
fn demo_process(tmp: &std::path::Path) -> Option<String> {
    process_with(&format!("TMPDIR={}", tmp.display()), &["--demo"])
}

/// Breaks `example.com/unicode@v1.0.0` so that only a download repairs it: a garbage zip and
/// a file planted in its tree.
fn break_unicode(go: &Go) {
    let at_v = go.modcache().join("cache/download/example.com/unicode/@v");
    let tree = go.modcache().join("example.com/unicode@v1.0.0");
    make_writable(&at_v);
    make_writable(&tree);
    fs::write(at_v.join("v1.0.0.zip"), "garbage").unwrap();
    fs::write(tree.join("planted.go"), "package planted\n").unwrap();
}

#[test]
fn the_demo_leaves_nothing_behind_on_sighup_and_sigterm() {
    if !Tmux::available("the_demo_leaves_nothing_behind") {
        return;
    }
    for signal in ["HUP", "TERM"] {
        // A TMPDIR of its own, so the demo dir found is this run's.
        let tmp = crate::support::TempTree::new();
        let t = Tmux::start(
            &format!("demo-{signal}"),
            &format!(
                "TMPDIR={} {} --demo",
                tmp.path().display(),
                env!("CARGO_BIN_EXE_modlens")
            ),
        );
        t.wait_for("verify ✓");
        let new = demo_dirs(tmp.path());
        assert_eq!(new.len(), 1, "{new:?}");
        // Private: nobody else may read or prepare what is inside.
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::symlink_metadata(&new[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o700, "{}", new[0].display());
        let pid = demo_process(tmp.path()).expect("the demo's process");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        while new[0].exists() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "SIG{signal} left {}",
                new[0].display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn failed_and_cancelled_repairs_rescan_drill_down_and_esc_in_a_real_terminal() {
    let Some(go) = Go::find("failed_and_cancelled_repairs_in_a_real_terminal") else {
        return;
    };
    if !Tmux::available("failed_and_cancelled_repairs_in_a_real_terminal") {
        return;
    }
    go.download(&standard_modules());
    break_unicode(&go);
    // A proxy that never answers, so the download hangs until it is cancelled.
    let (port, asked) = crate::support::hanging_proxy();
    let before = crate::support::fingerprint(&go.modcache());
    let cmd = format!(
        "GOPROXY=http://127.0.0.1:{port} GOSUMDB=off {} --cache {}",
        env!("CARGO_BIN_EXE_modlens"),
        go.modcache().display()
    );
    let t = Tmux::start("cancel", &cmd);
    t.wait_for("verify ✓");
    // Esc with nothing to close does nothing; the explorer keeps running.
    t.keys(&["Escape"]);
    t.wait_for("q quits");
    assert!(t.running());
    // Repair the broken version; cancel it from the jobs view while go hangs.
    t.keys(&["B", "R"]);
    t.wait_for("Repair 1 module version");
    t.keys(&["y"]);
    crate::support::wait_until(&asked, "go to ask the proxy");
    t.keys(&["J"]);
    t.wait_for("running");
    t.keys(&["x"]);
    // The job says it was stopped, and that the item it stopped failed.
    t.wait_for("stopped: 0 ok, 1 failed");
    t.keys(&["Escape"]);
    // A terminal reads Esc followed at once by a key as Alt-key: let the Esc land first.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !crate::support::process_running(
            &["mod download", "example.com/unicode@v1.0.0"],
            &go.modcache()
        ),
        "go was killed"
    );
    assert_eq!(
        crate::support::fingerprint(&go.modcache()),
        before,
        "the cancelled repair changed nothing"
    );
    // The row still shows the truth: broken, with why.
    t.keys(&["c", "p", "g", "j", "Enter"]);
    let screen = t.wait_for("unchanged");
    assert!(screen.contains("zip_invalid"), "{screen}");
    // Inside the version: its files, the planted one marked.
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["l"]);
    let screen = t.wait_for("planted.go");
    assert!(screen.contains("extra"), "{screen}");
    // Enter on the planted file: its diff, which needs the zip go downloaded; this one is
    // garbage, and the pane says so. Esc goes back to the files.
    for _ in 0..8 {
        let selected = t
            .screen()
            .lines()
            .any(|l| l.contains('▶') && l.contains("planted.go"));
        if selected {
            break;
        }
        t.keys(&["j"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    t.keys(&["Enter"]);
    // Its zip is garbage: go is asked for an authentic copy, and the proxy hangs. Esc stops
    // the comparison, and go with it.
    let screen = t.wait_for("comparing with the zip");
    assert!(screen.contains("planted.go"), "{screen}");
    // go, asking this test's hanging proxy for the version (the diff's scratch cache is not
    // the repair's, so go is found by its proxy).
    let proxy = format!("GOPROXY=http://127.0.0.1:{port}");
    let go_asking =
        || process_with(&proxy, &["mod download", "example.com/unicode@v1.0.0"]).is_some();
    let wait = |want: bool, what: &str| {
        let started = Instant::now();
        while go_asking() != want {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "waited for {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait(true, "go to download an authentic copy");
    t.keys(&["Escape"]);
    t.wait_for("largest first");
    wait(false, "Esc to kill go");
    t.keys(&["Left"]);
    // Another program removes a version; F5 shows it gone.
    let out = crate::support::modlens(&["clean", "--yes", "example.com/nested@v1.0.0"])
        .arg("--cache")
        .arg(go.modcache())
        .output()
        .unwrap();
    assert!(out.status.success());
    t.keys(&["p", "F5"]);
    let screen = t.wait_for("rescanned");
    assert!(!screen.contains("example.com/nested (2)"), "{screen}");
    t.keys(&["q"]);
    let started = Instant::now();
    while t.running() {
        assert!(started.elapsed() < Duration::from_secs(10), "q quits");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn quitting_during_a_delete_finishes_the_item_and_leaves_a_verified_cache() {
    let Some(go) = Go::find("quitting_during_a_delete") else {
        return;
    };
    if !Tmux::available("quitting_during_a_delete") {
        return;
    }
    go.download(&standard_modules());
    let cache = go.modcache().display().to_string();
    // The header's total is the total a fresh `modlens list` reports.
    let total = crate::support::listed_total(std::path::Path::new(&cache));
    let cmd = format!(
        "MODLENS_FAULT_AT='delete:partial written:sleep1500' {} --cache {cache}",
        env!("CARGO_BIN_EXE_modlens"),
    );
    let t = Tmux::start("quit-delete", &cmd);
    let screen = t.wait_for("verify ✓");
    assert!(
        screen.starts_with(&format!("modlens {total} ")),
        "{total}: {screen}"
    );
    t.keys(&["/", "n", "e", "s", "t", "e", "d", "Enter"]);
    t.wait_for("filter: nested");
    t.keys(&["g", "j", "Space", "D"]);
    t.wait_for("Delete 1 module version?");
    t.keys(&["y"]);
    t.keys(&["q"]);
    t.wait_for("Quit anyway?");
    t.keys(&["y"]);
    let started = Instant::now();
    while t.running() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "quits once the item is done"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = crate::support::modlens(&["verify", "--cache", &cache])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "no orphan .partial, nothing half-deleted: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The explorer's threads while it verifies: the UI (main) thread, and only threads `ops`
/// started and named. An unnamed thread (rayon's global pool, a stray spawn) would show as a
/// second `modlens`.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn every_thread_of_the_explorer_is_one_ops_started_and_named() {
    let Some(go) = Go::find("every_thread_of_the_explorer") else {
        return;
    };
    if !Tmux::available("every_thread_of_the_explorer") {
        return;
    }
    go.download(&standard_modules());
    let cmd = format!(
        "exec {} --cache {}",
        env!("CARGO_BIN_EXE_modlens"),
        go.modcache().display()
    );
    let t = Tmux::start("threads", &cmd);
    t.wait_for("verify ✓");
    // `exec` makes the shell the explorer: the terminal's child is its process.
    let pid = t.pid();
    let mut names: Vec<String> = fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|task| fs::read_to_string(task.unwrap().path().join("comm")).unwrap())
        .map(|comm| comm.trim().to_owned())
        .collect();
    names.sort();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let count = |prefix: &str| names.iter().filter(|n| n.starts_with(prefix)).count();
    assert_eq!(count("modlens-scan-"), cores, "{names:?}");
    assert_eq!(count("modlens-hash-"), cores + 1, "{names:?}");
    assert_eq!(count("modlens-job-"), 4, "{names:?}");
    assert_eq!(count("modlens-input"), 1, "{names:?}");
    assert_eq!(count("modlens-signals"), 1, "SIGTERM and SIGHUP: {names:?}");
    assert_eq!(
        names.iter().filter(|n| *n == "modlens").count(),
        1,
        "only the UI thread is unnamed: {names:?}"
    );
    assert_eq!(names.len(), 2 * cores + 8, "no other thread: {names:?}");
    t.keys(&["q"]);
}

/// The project view in a real terminal: a version the project needs is deleted and another
/// damaged; `P` shows them, `F` and `y` fix both, and go then builds offline. The header's
/// total is then the one `modlens list` reports.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_project_view_fixes_what_the_project_needs() {
    let Some(go) = Go::find("the_project_view_fixes_what_the_project_needs") else {
        return;
    };
    if !Tmux::available("the_project_view_fixes_what_the_project_needs") {
        return;
    }
    let dir = crate::doctor_go::setup(&go);
    let cache = go.modcache();
    fs::remove_dir_all(cache.join("cache/download/example.com/leaf")).unwrap();
    let leaf = crate::doctor_go::leaf_tree(&cache);
    fs::remove_dir_all(leaf).unwrap();
    let dep = cache.join("example.com/dep@v1.0.0");
    make_writable(&dep);
    fs::write(
        dep.join("dep.go"),
        "package dep\n\nfunc Dep() int { return }\n",
    )
    .unwrap();
    assert!(!crate::doctor_go::build_offline(&go, &dir).status.success());
    let cmd = format!(
        "cd {} && exec env GOPROXY=file://{} GOSUMDB=off GOFLAGS=-mod=mod GOENV=off GOTOOLCHAIN=local {} --cache {} --project {}",
        dir.display(),
        go.proxy().display(),
        env!("CARGO_BIN_EXE_modlens"),
        cache.display(),
        dir.display()
    );
    let t = Tmux::start("project", &cmd);
    t.wait_for("verify ✓");
    t.keys(&["P"]);
    let screen = t.wait_for("not in the cache");
    assert!(screen.contains("example.com/leaf@v1.0.0"), "{screen}");
    assert!(
        !screen.contains("example.com/other"),
        "only what the project needs: {screen}"
    );
    t.wait_for("1 broken, 1 missing");
    t.keys(&["F"]);
    t.wait_for("repair 1, download 1?");
    t.keys(&["y"]);
    // Both jobs done, the download's rescan too, whichever finished last.
    t.wait_until("the fixes are done", |s| {
        s.contains("0 problems")
            && !s.contains("not in the cache")
            && !s.contains('⟳')
            && !s.contains("rescanning")
    });
    let out = crate::doctor_go::build_offline(&go, &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let total = crate::support::listed_total(&cache);
    t.wait_until("the header's total is list's", |s| {
        s.starts_with(&format!("modlens {total} "))
    });
    t.keys(&["q"]);
}

/// The explorer remembers the verdicts it computes: a `verify` after it hashes nothing, and its
/// scan is in the history.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_explorer_remembers_its_verdicts_and_records_its_scan() {
    let Some(go) = Go::find("the_explorer_remembers_its_verdicts") else {
        return;
    };
    if !Tmux::available("the_explorer_remembers_its_verdicts") {
        return;
    }
    go.download(&standard_modules());
    let state = go.sandbox.path().join("state.db");
    let cmd = format!(
        "exec env MODLENS_STATE={} {} --cache {}",
        state.display(),
        env!("CARGO_BIN_EXE_modlens"),
        go.modcache().display()
    );
    let t = Tmux::start("remember", &cmd);
    t.wait_for("verify ✓");
    t.keys(&["q"]);
    let started = Instant::now();
    while t.running() {
        assert!(started.elapsed() < Duration::from_secs(10), "q quits");
        std::thread::sleep(Duration::from_millis(50));
    }
    let cache = go.modcache().display().to_string();
    let out = crate::support::modlens(&["verify", "--json", "--cache", &cache])
        .env("MODLENS_STATE", &state)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checked = report["summary"]["checked"].as_u64().unwrap();
    assert!(checked > 0);
    assert_eq!(report["summary"]["remembered"], checked, "{report:#}");
    let out = crate::support::modlens(&["history", "--json", "--cache", &cache])
        .env("MODLENS_STATE", &state)
        .output()
        .unwrap();
    let history: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(history["days"].as_array().unwrap().len(), 1, "{history:#}");
}

/// The explorer and two commands use one state database at the same time: none of them
/// warns, and every scan is recorded.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_explorer_and_two_commands_share_the_state_database() {
    let Some(go) = Go::find("the_explorer_and_two_commands_share_the_state") else {
        return;
    };
    if !Tmux::available("the_explorer_and_two_commands_share_the_state") {
        return;
    }
    go.download(&standard_modules());
    let state = go.sandbox.path().join("state.db");
    let cache = go.modcache().display().to_string();
    let cmd = format!(
        "exec env MODLENS_STATE={} {} --cache {cache}",
        state.display(),
        env!("CARGO_BIN_EXE_modlens"),
    );
    let t = Tmux::start("shared-state", &cmd);
    let spawn = |args: &[&str]| {
        crate::support::Spawned::start(crate::support::modlens(args).env("MODLENS_STATE", &state))
    };
    let list = spawn(&["list", "--cache", &cache]);
    let verify = spawn(&["verify", "--cache", &cache]);
    t.wait_for("verify ✓");
    for child in [list, verify] {
        let out = child.finish();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    t.keys(&["q"]);
    let started = Instant::now();
    while t.running() {
        assert!(started.elapsed() < Duration::from_secs(10), "q quits");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = crate::support::modlens(&["history", "--json", "--cache", &cache])
        .env("MODLENS_STATE", &state)
        .output()
        .unwrap();
    let history: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let day = &history["days"][0];
    assert!(day["versions"].as_u64().unwrap() > 0, "{history:#}");
}

/// The delete dialog's `t`: the version goes to the trash, the header shows the trash's size
/// and equals `list`, and `trash restore` brings back a version go verifies.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_delete_dialog_can_move_to_the_trash_and_restore_undoes_it() {
    let Some(go) = Go::find("the_delete_dialog_can_move_to_the_trash") else {
        return;
    };
    if !Tmux::available("the_delete_dialog_can_move_to_the_trash") {
        return;
    }
    go.download(&standard_modules());
    let cache = go.modcache().display().to_string();
    let cmd = format!("{} --cache {cache}", env!("CARGO_BIN_EXE_modlens"));
    let t = Tmux::start("trash", &cmd);
    t.wait_for("verify ✓");
    t.keys(&["/", "u", "n", "i", "c", "o", "d", "e", "Enter"]);
    t.wait_for("filter: unicode");
    t.keys(&["g", "j", "Space", "D"]);
    let screen = t.wait_for("Delete 1 module version?");
    assert!(screen.contains("t: to the trash"), "{screen}");
    t.keys(&["t"]);
    // The job ends with a rescan, so the header counts the trash.
    let screen = t.wait_for("rescanned");
    assert!(screen.contains(" in trash · "), "{screen}");
    let total = crate::support::listed_total(Path::new(&cache));
    assert!(
        screen.starts_with(&format!("modlens {total}, ")),
        "{total}: {screen}"
    );
    assert!(!go.modcache().join("example.com/unicode@v1.0.0").exists());
    t.keys(&["q"]);

    let out = crate::support::modlens(&["trash", "restore", "example.com/unicode@v1.0.0"])
        .arg("--cache")
        .arg(&cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let project = go.project("restored", &[("example.com/unicode", "v1.0.0")]);
    let (ok, err) = go.mod_verify(&project);
    assert!(ok, "go mod verify after the restore: {err}");
}

/// `b` shows the build cache go filled: a corrupt output is a problem row, `B` `D` `y` deletes
/// it through a job, the view comes back clean, and Esc returns to the module cache.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_build_cache_view_finds_a_corrupt_output_and_deletes_it() {
    let Some(go) = Go::with_own_gocache("the_build_cache_view_finds_a_corrupt_output") else {
        return;
    };
    if !Tmux::available("the_build_cache_view_finds_a_corrupt_output") {
        return;
    }
    go.download(&standard_modules());
    let app = go.workdir().join("hello");
    fs::create_dir_all(&app).unwrap();
    fs::write(app.join("go.mod"), "module example.com/hello\n\ngo 1.18\n").unwrap();
    fs::write(
        app.join("main.go"),
        "package main\n\nfunc main() { println(42) }\n",
    )
    .unwrap();
    let out = go
        .command(&["build", "-o", "/dev/null", "."])
        .current_dir(&app)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let gocache = go.gocache.clone();
    let largest = walkdir::WalkDir::new(&gocache)
        .into_iter()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("-d"))
        .max_by_key(|e| e.metadata().unwrap().len())
        .unwrap()
        .into_path();
    let mut bytes = fs::read(&largest).unwrap();
    bytes[0] ^= 1;
    fs::write(&largest, bytes).unwrap();
    crate::support::age_files(&gocache);
    let cmd = format!(
        "GOCACHE={} {} --cache {}",
        gocache.display(),
        env!("CARGO_BIN_EXE_modlens"),
        go.modcache().display()
    );
    let t = Tmux::start("build-cache", &cmd);
    t.wait_for("verify ✓");
    t.keys(&["b"]);
    let screen = t.wait_for("1 problem");
    assert!(screen.contains("output_corrupt"), "{screen}");
    t.keys(&["g", "B", "D"]);
    t.wait_for("Delete the build-cache entries of 1 row?");
    t.keys(&["y"]);
    t.wait_for("0 problems");
    assert!(!largest.exists(), "the corrupt output is gone");
    t.keys(&["Escape"]);
    t.wait_for("MODULE / VERSION");
    t.keys(&["q"]);
    let out = crate::support::modlens(&["gocache", "verify", "--dir"])
        .arg(&gocache)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `modlens diff` on a terminal: colours (green additions, red removals) unless NO_COLOR, and
/// the output through $PAGER, as `git diff` does.
#[test]
fn diff_on_a_terminal_pages_and_colours_unless_no_color() {
    let cmd = |extra: &str| {
        format!(
            "{extra} PAGER='sed s/^/P:/' {} --demo diff example.com/tampered@v1.0.0; echo exit=$?; \
             sleep 30",
            env!("CARGO_BIN_EXE_modlens"),
        )
    };
    let t = Tmux::start("diff-pager", &cmd(""));
    let screen = t.wait_for("exit=");
    assert!(screen.contains("P:+const Answer = 43"), "paged: {screen}");
    assert!(screen.contains("exit=1"), "{screen}");
    let colour_of = |t: &Tmux, text: &str| {
        let parser = t.parser.lock().unwrap();
        let screen = parser.screen();
        let rows = screen.contents();
        let (row, line) = rows
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(text))
            .unwrap_or_else(|| panic!("{text} not on screen"));
        let col = line.find(text).unwrap();
        screen
            .cell(row as u16, col as u16)
            .map(|c| c.fgcolor())
            .unwrap()
    };
    assert_eq!(colour_of(&t, "+const Answer = 43"), vt100::Color::Idx(2));
    assert_eq!(colour_of(&t, "-const Answer = 42"), vt100::Color::Idx(1));
    let t = Tmux::start("diff-no-color", &cmd("NO_COLOR=1"));
    t.wait_for("exit=");
    assert_eq!(colour_of(&t, "+const Answer = 43"), vt100::Color::Default);
}

/// SIGTERM (or SIGHUP, a closed terminal) ends the explorer as `q` does, without asking: a
/// repair job waiting on go stops, go is killed with it, and no scratch is left in the cache.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn sigterm_stops_the_explorer_s_jobs_and_go_with_them() {
    let Some(go) = Go::find("sigterm_stops_the_explorer_s_jobs") else {
        return;
    };
    go.download(&standard_modules());
    break_unicode(&go);
    let (port, asked) = crate::support::hanging_proxy();
    let before = crate::support::fingerprint(&go.modcache());
    let mark = format!("MODLENS_TEST_MARK={}", go.sandbox.path().display());
    let t = Tmux::start(
        "sigterm",
        &format!(
            "{mark} GOPROXY=http://127.0.0.1:{port} GOSUMDB=off {} --cache {}",
            env!("CARGO_BIN_EXE_modlens"),
            go.modcache().display()
        ),
    );
    t.wait_for("verify ✓");
    t.keys(&["B", "R"]);
    t.wait_for("Repair 1 module version");
    t.keys(&["y"]);
    crate::support::wait_until(&asked, "go to ask the proxy");
    // The explorer's process: marked in its environment, with --cache on its command line.
    let explorer = process_with(&mark, &["--cache"]).expect("the explorer's process");
    assert!(
        Command::new("kill")
            .args(["-TERM", &explorer])
            .status()
            .unwrap()
            .success()
    );
    let proxy = format!("GOPROXY=http://127.0.0.1:{port}");
    let started = Instant::now();
    while t.running() || process_with(&proxy, &["mod download"]).is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the explorer or go still runs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        crate::support::fingerprint(&go.modcache()),
        before,
        "the stopped repair left the cache as it was, its scratch removed"
    );
}
