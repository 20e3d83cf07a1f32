//! The trash against the real go: a trashed version is absent for go (it downloads it again),
//! a restored one passes `go mod verify` byte for byte, and a SIGKILL at any step of a move to
//! the trash or of a restore leaves a cache go accepts, which a (second) restore completes
//! offline.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{assert_ok, fingerprint, output, stderr, stdout};

pub(crate) const MODULE: &str = "example.com/MixedCase";
pub(crate) const VERSION: &str = "v1.2.3";
pub(crate) const TARGET: &str = "example.com/MixedCase@v1.2.3";

/// A sandbox whose cache holds one module version, and a project that builds with it.
pub(crate) fn setup(test: &str) -> Option<(Go, PathBuf)> {
    let go = Go::find(test)?;
    go.download(
        &[FixtureModule::new(MODULE, VERSION, "2023-01-02T03:04:05Z")
            .file(
                "hello.go",
                "package m\n\nfunc Hello() string { return \"hello\" }\n",
            )
            .file("sub/data.txt", "some data\n")],
    );
    let project = go.project("app", &[(MODULE, VERSION)]);
    fs::write(
        project.join("main.go"),
        format!("package main\n\nimport m \"{MODULE}\"\n\nfunc main() {{ println(m.Hello()) }}\n"),
    )
    .unwrap();
    Some((go, project))
}

/// modlens on `cache` with the sandbox's go settings.
pub(crate) fn ml(go: &Go, cache: &Path, args: &[&str]) -> Command {
    go.modlens(cache, args)
}

/// `go build` of the project against `cache`, offline or through the file:// proxy.
fn go_build(go: &Go, project: &Path, cache: &Path, offline: bool) -> Output {
    let mut cmd = go.command(&["build", "-o", "/dev/null", "."]);
    cmd.current_dir(project).env("GOMODCACHE", cache);
    if offline {
        cmd.env("GOPROXY", "off");
    }
    output(&mut cmd)
}

/// `go mod verify` of the project against `cache`, offline.
fn go_verify(go: &Go, project: &Path, cache: &Path) -> Output {
    let mut cmd = go.command(&["mod", "verify"]);
    cmd.current_dir(project)
        .env("GOMODCACHE", cache)
        .env("GOPROXY", "off");
    output(&mut cmd)
}

fn trash_list(go: &Go, cache: &Path) -> Value {
    let out = output(&mut ml(go, cache, &["trash", "list", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn go_sees_a_trashed_version_as_absent_and_a_restored_one_verifies() {
    let Some((go, project)) = setup("go_sees_a_trashed_version_as_absent") else {
        return;
    };
    let cache = go.modcache();
    let tree = cache.join("example.com/!mixed!case@v1.2.3");
    let at_v = cache.join("cache/download/example.com/!mixed!case/@v");
    // `@v/list` is rewritten (twice) with the same text: its content counts, not its mtime.
    let state = || {
        let mut files = fingerprint(&at_v);
        files.remove(&at_v.join("list"));
        (
            fingerprint(&tree),
            files,
            fs::read(at_v.join("list")).unwrap(),
        )
    };
    let before = state();
    // Nothing in the trash yet: it says so, rather than "0 trashed versions".
    let out = output(&mut ml(&go, &cache, &["trash", "empty", "--yes"]));
    assert_ok(&out, "trash empty");
    assert!(
        stdout(&out).contains("nothing to remove: the trash is empty"),
        "{}",
        stdout(&out)
    );

    let out = output(&mut ml(&go, &cache, &["clean", "--trash", "--yes", TARGET]));
    assert_ok(&out, "clean --trash");
    assert!(
        stdout(&out).contains("moved 1 version to the trash"),
        "{}",
        stdout(&out)
    );
    // go sees nothing of it: offline it cannot build, and it would download it again.
    let out = go_build(&go, &project, &cache, true);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("module lookup disabled by GOPROXY=off"),
        "{}",
        stderr(&out)
    );
    let listed = crate::support::list_json(&cache);
    assert!(
        listed["entries"].as_array().unwrap().is_empty(),
        "{listed:#}"
    );
    assert!(listed["totals"]["trash_disk_bytes"].as_u64().unwrap() > 0);
    // With the trash counted, the total is still what du counts.
    assert_eq!(
        listed["totals"]["disk_bytes"].as_u64().unwrap(),
        crate::support::go::du(&cache, false)
    );
    // The history records the trash's size with each scan.
    assert_ok(&output(&mut ml(&go, &cache, &["list"])), "list");
    let out = output(&mut ml(&go, &cache, &["history", "--json"]));
    let history: Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = history["days"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["trash_bytes"], listed["totals"]["trash_disk_bytes"],
        "{history:#}"
    );
    let out = output(&mut ml(&go, &cache, &["history"]));
    assert!(stdout(&out).contains("(trash "), "{}", stdout(&out));
    let trash = trash_list(&go, &cache);
    let entries = trash["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{trash:#}");
    assert_eq!(entries[0]["module"], MODULE);
    assert_eq!(entries[0]["complete"], true);
    assert_eq!(
        entries[0]["pieces"],
        serde_json::json!(["zip", "ziphash", "tree", "info", "mod"])
    );

    let out = output(&mut ml(&go, &cache, &["trash", "restore", TARGET]));
    assert_ok(&out, "trash restore");
    assert!(
        stdout(&out).contains("verified: no problems"),
        "{}",
        stdout(&out)
    );
    assert_eq!(state(), before);
    assert_ok(&go_verify(&go, &project, &cache), "go mod verify");
    assert_ok(&go_build(&go, &project, &cache, true), "offline go build");
    assert!(
        trash_list(&go, &cache)["entries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn go_downloads_a_trashed_version_again_and_a_restore_keeps_gos_copy() {
    let Some((go, project)) = setup("go_downloads_a_trashed_version_again") else {
        return;
    };
    let cache = go.modcache();
    assert_ok(
        &output(&mut ml(&go, &cache, &["clean", "--trash", "--yes", TARGET])),
        "clean --trash",
    );
    // Through the proxy go fetches it again, as for any version it does not have.
    let out = output(&mut go.command(&["mod", "download", "-json", TARGET]));
    assert_ok(&out, "go mod download");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\"Error\""));
    assert_eq!(
        trash_list(&go, &cache)["entries"].as_array().unwrap().len(),
        1
    );
    let out = output(&mut ml(&go, &cache, &["trash", "restore", TARGET]));
    assert_ok(&out, "trash restore");
    assert!(
        stdout(&out).contains("go had downloaded"),
        "{}",
        stdout(&out)
    );
    assert!(
        trash_list(&go, &cache)["entries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_ok(&go_verify(&go, &project, &cache), "go mod verify");
}

fn remove_cache(dir: &Path) {
    crate::support::make_writable(dir);
    fs::remove_dir_all(dir).unwrap();
}

/// After a kill: go builds (fetching what it misses) and verifies on a copy of the cache, and on
/// another copy a restore followed by an offline build and `go mod verify` succeeds.
fn assert_go_accepts(go: &Go, project: &Path, killed: &Path, when: &str) {
    let for_go = go.sandbox.path().join("for-go");
    let for_restore = go.sandbox.path().join("for-restore");
    crate::support::copy_tree(killed, &for_go);
    crate::support::copy_tree(killed, &for_restore);
    assert_ok(
        &go_build(go, project, &for_go, false),
        &format!("{when}: go build"),
    );
    assert_ok(
        &go_verify(go, project, &for_go),
        &format!("{when}: go mod verify"),
    );

    if !trash_list(go, &for_restore)["entries"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        let out = output(&mut ml(go, &for_restore, &["trash", "restore", TARGET]));
        // 1: restored, but left `.partial` for go to extract again; never an error.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{when}: restore: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    let out = go_build(go, project, &for_restore, true);
    assert_ok(&out, &format!("{when}: offline go build after the restore"));
    assert_ok(
        &go_verify(go, project, &for_restore),
        &format!("{when}: go mod verify after the restore"),
    );
    remove_cache(&for_go);
    remove_cache(&for_restore);
}

/// Runs modlens with `MODLENS_FAULT_AT=<checkpoint>` and checks that it was SIGKILLed there.
fn kill_at(go: &Go, cache: &Path, args: &[&str], checkpoint: &str) {
    let out = output(ml(go, cache, args).env("MODLENS_FAULT_AT", checkpoint));
    let signal = std::os::unix::process::ExitStatusExt::signal(&out.status);
    assert_eq!(signal, Some(9), "killed at {checkpoint}: {}", stderr(&out));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_sigkill_at_any_step_of_trash_or_restore_leaves_a_cache_go_accepts() {
    let Some((go, project)) = setup("a_sigkill_at_any_step_of_trash_or_restore") else {
        return;
    };
    let pristine = go.sandbox.path().join("pristine");
    crate::support::copy_tree(&go.modcache(), &pristine);
    let trash_steps = [
        "locked",
        "manifest written",
        "partial written",
        "zip",
        "ziphash",
        "tree",
        "info",
        "mod",
        "partial removed",
        "list updated",
    ];
    for step in trash_steps {
        let killed = go.sandbox.path().join("killed");
        crate::support::copy_tree(&pristine, &killed);
        let checkpoint = format!("trash:{step}");
        kill_at(
            &go,
            &killed,
            &["clean", "--trash", "--yes", TARGET],
            &checkpoint,
        );
        assert_go_accepts(&go, &project, &killed, &checkpoint);
        remove_cache(&killed);
    }
    let restore_steps = [
        "locked",
        "partial written",
        "mod",
        "info",
        "tree",
        "ziphash",
        "zip",
        "partial removed",
    ];
    let trashed = go.sandbox.path().join("trashed");
    crate::support::copy_tree(&pristine, &trashed);
    assert_ok(
        &output(&mut ml(
            &go,
            &trashed,
            &["clean", "--trash", "--yes", TARGET],
        )),
        "clean --trash",
    );
    for step in restore_steps {
        let killed = go.sandbox.path().join("killed");
        crate::support::copy_tree(&trashed, &killed);
        let checkpoint = format!("restore:{step}");
        kill_at(&go, &killed, &["trash", "restore", TARGET], &checkpoint);
        assert_go_accepts(&go, &project, &killed, &checkpoint);
        remove_cache(&killed);
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_trash_is_emptied_first_for_max_size_and_after_its_keep_time() {
    let Some(go) = Go::find("the_trash_is_emptied_first_for_max_size") else {
        return;
    };
    go.download(&[
        FixtureModule::new(MODULE, VERSION, "2023-01-02T03:04:05Z")
            .file("big.txt", "x".repeat(200_000)),
        FixtureModule::new("example.com/other", "v1.0.0", "2023-01-02T03:04:05Z")
            .file("big.txt", "y".repeat(100_000)),
    ]);
    let cache = go.modcache();
    assert_ok(
        &output(&mut ml(&go, &cache, &["clean", "--trash", "--yes", TARGET])),
        "clean --trash",
    );
    let listed = crate::support::list_json(&cache);
    let total = listed["totals"]["disk_bytes"].as_u64().unwrap();
    let trash = listed["totals"]["trash_disk_bytes"].as_u64().unwrap();
    assert!(trash > 200_000, "{listed:#}");
    let plan = |max: u64| -> Vec<String> {
        let max = max.to_string();
        let args = ["clean", "--max-size", &max, "--dry-run", "--json"];
        let out = output(&mut ml(&go, &cache, &args));
        assert_ok(&out, "clean --max-size --dry-run");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        report["plan"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    // Emptying the trash is enough: no version goes.
    assert_eq!(plan(total - trash / 2), ["trash"]);
    // Not enough: the trash goes first, then a version.
    assert_eq!(plan(total - trash - 50_000), ["version", "trash"]);

    // Trashing frees nothing, so it cannot make room: refused, nothing changed.
    let before = fingerprint(&cache);
    for args in [
        &["clean", "--trash", "--max-size", "1M", "--yes"][..],
        &["clean", "--trash-keep", "soon", "--leftovers", "--yes"],
        &["trash", "restore", "example.com/nothere@v1.0.0"],
        &["trash", "restore", "nonsense"],
        &["trash", "empty"],
    ] {
        let out = output(&mut ml(&go, &cache, args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).trim().lines().count(),
            1,
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(fingerprint(&cache), before, "{args:?} changed the cache");
    }

    // Kept one second: three seconds later (MODLENS_NOW, no sleeping), the next clean
    // empties it, and says so in its plan.
    let later = crate::support::seconds_from_now(3);
    let out = output(
        ml(&go, &cache, &["trash", "list"])
            .env("MODLENS_TRASH_KEEP", "1s")
            .env("MODLENS_NOW", &later),
    );
    assert!(stdout(&out).contains("expired"), "{}", stdout(&out));
    let out = output(
        ml(&go, &cache, &["clean", "--leftovers", "--yes"])
            .env("MODLENS_TRASH_KEEP", "1s")
            .env("MODLENS_NOW", &later),
    );
    assert_ok(&out, "clean --leftovers");
    assert!(stdout(&out).contains("trash"), "{}", stdout(&out));
    assert!(
        trash_list(&go, &cache)["entries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let listed = crate::support::list_json(&cache);
    assert_eq!(listed["totals"]["trash_disk_bytes"], 0, "{listed:#}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_trash_that_is_a_link_is_refused_and_never_followed() {
    let Some((go, _project)) = setup("a_trash_that_is_a_link_is_refused") else {
        return;
    };
    let cache = go.modcache();
    let elsewhere = go.sandbox.path().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, cache.join("cache/modlens-trash")).unwrap();
    let before = fingerprint(&cache);
    let out = output(&mut ml(&go, &cache, &["trash", "list"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("never follows links"),
        "{}",
        stderr(&out)
    );
    let out = output(&mut ml(&go, &cache, &["clean", "--trash", "--yes", TARGET]));
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("symlink"), "{}", stdout(&out));
    assert_eq!(
        fingerprint(&cache),
        before,
        "nothing moved, no .partial left"
    );
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
}
