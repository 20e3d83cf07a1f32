//! A hostile machine: another user who can write the shared temp dir, mounts and links swapped
//! in below the root, forged state files. Each test keeps canaries outside the cache, whose
//! contents, modes and times must not change.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{TempTree, fingerprint, home_like, stderr, stdout};

/// Fails, naming only what differs, unless `dir` has the fingerprint `before`.
pub(super) fn assert_unchanged(
    dir: &Path,
    before: &std::collections::BTreeMap<std::path::PathBuf, String>,
    what: &str,
) {
    let after = fingerprint(dir);
    let changed: Vec<_> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .take(5)
        .collect();
    assert!(
        changed.is_empty(),
        "{what}: changed outside the cache: {changed:?}"
    );
}

/// The last process id the kernel handed out, so that names built from the next pids can be
/// planted before modlens starts.
fn last_pid() -> u32 {
    fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(std::process::id)
}

/// Plants, in `tmp`, a link to `victim` at every temp name an old modlens would have chosen
/// (`modlens-<what>-<pid>[-<n>]`) for the next few thousand processes.
fn plant_predictable_names(tmp: &Path, victim: &Path) {
    let first = last_pid();
    for pid in first..first + 3000 {
        for name in [
            format!("modlens-demo-{pid}"),
            format!("modlens-explain-{pid}-0"),
            format!("modlens-refetch-{pid}-0"),
            format!("modlens-doctor-{pid}-0"),
            format!("modlens-doctor-{pid}-1"),
        ] {
            std::os::unix::fs::symlink(victim, tmp.join(name)).unwrap();
        }
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn temp_dirs_another_user_prepared_are_never_used() {
    let Some(go) = Go::find("temp_dirs_another_user_prepared_are_never_used") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package a\n"),
    ]);
    let project = go.project("p", &[("example.com/a", "v1.0.0")]);
    // Damage the tree, so that refetch and doctor have something to repair (offline: go fails).
    let tree = go.modcache().join("example.com/a@v1.0.0");
    crate::support::make_writable(&tree);
    fs::remove_file(tree.join("a.go")).unwrap();

    let outside = TempTree::new();
    let tmp = outside.path().join("tmp");
    let victim = outside.path().join("victim");
    fs::create_dir_all(&tmp).unwrap();
    home_like(&victim);
    plant_predictable_names(&tmp, &victim);
    let before = fingerprint(&victim);

    let run = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
        cmd.args(args);
        go.sandbox_env(&mut cmd);
        cmd.env("TMPDIR", &tmp)
            .env("GOPROXY", "off")
            .current_dir(&project)
            .output()
            .unwrap()
    };
    let modcache = go.modcache();
    let cache = modcache.to_str().unwrap();
    let project_dir = project.to_str().unwrap();
    let go_bin = crate::support::go::go_binary().unwrap();
    let go_bin = go_bin.to_str().unwrap();
    for args in [
        &["--demo", "list"][..],
        &["explain", "--cache", cache, "--", go_bin, "build", "./..."],
        &["refetch", "--broken", "--yes", "--cache", cache],
        &["doctor", project_dir, "--cache", cache],
        &["doctor", project_dir, "--fix", "--yes", "--cache", cache],
    ] {
        let out = run(args);
        assert_ne!(out.status.code(), None, "{args:?}: {}", stderr(&out));
        assert_unchanged(&victim, &before, &format!("{args:?}: {}", stderr(&out)));
    }
    // modlens's own temp dirs are gone again; only the planted links remain.
    let left: Vec<_> = fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .filter(|e| !e.file_type().unwrap().is_symlink())
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

/// Runs modlens with `args` inside a private mount namespace in which `victim` is bind-mounted
/// at `at` (a directory below the cache); the mount goes with the namespace. The build script
/// found that this machine can make one (else the test is reported as ignored).
fn with_bind_mount(victim: &Path, at: &Path, cache: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new("unshare");
    cmd.arg("--mount");
    if !rustix::process::geteuid().is_root() {
        cmd.arg("--map-root-user");
    }
    cmd.args([
        "--",
        "sh",
        "-c",
        r#"mount --bind "$1" "$2" && shift 2 && exec "$@""#,
        "sh",
    ])
    .arg(victim)
    .arg(at)
    .arg(env!("CARGO_BIN_EXE_modlens"))
    .args(args);
    if let Some(cache) = cache {
        cmd.arg("--cache").arg(cache);
    }
    cmd.env("GOPROXY", "off")
        .env("MODLENS_STATE", crate::support::test_state())
        .env("XDG_CONFIG_HOME", crate::support::test_config_home())
        .env_remove("GOMODCACHE")
        .env_remove("GOFLAGS");
    let out = cmd.output().unwrap();
    assert!(
        !stderr(&out).starts_with("unshare:") && !stderr(&out).starts_with("mount:"),
        "the bind mount failed: {}",
        stderr(&out)
    );
    out
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
#[cfg_attr(
    modlens_no_mount_ns,
    ignore = "this machine cannot make a mount namespace with a bind mount (unshare --mount)"
)]
fn mount_points_below_the_root_are_reported_and_never_entered() {
    let Some(go) = Go::find("mount_points_below_the_root_are_reported_and_never_entered") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package a\n"),
    ]);
    let cache = go.modcache();
    let tree = cache.join("example.com/a@v1.0.0");
    crate::support::make_writable(&tree);
    fs::create_dir(tree.join("sub")).unwrap();
    let hash = "b2f02d6f27c4649eccd98c249abe9f06b329934610ccddb3d63d6c9da1ae121d";
    let vcs = cache.join(format!("cache/vcs/{hash}"));
    fs::create_dir_all(&vcs).unwrap();
    fs::write(
        cache.join(format!("cache/vcs/{hash}.info")),
        "git3:https://example.com/repo",
    )
    .unwrap();

    let outside = TempTree::new();
    let victim = outside.path().join("victim");
    home_like(&victim);
    let before = fingerprint(&victim);
    for (at, args) in [
        (&tree.join("sub"), &["clean", "example.com/a", "--yes"][..]),
        (&tree.join("sub"), &["refetch", "--broken", "--yes"]),
        (
            &tree.join("sub"),
            &["clean", "example.com/a", "--trash", "--yes"],
        ),
        (&vcs, &["clean", "--vcs", "--yes"]),
    ] {
        let out = with_bind_mount(&victim, at, Some(&cache), args);
        let what = format!("{args:?}: {}{}", crate::support::stdout(&out), stderr(&out));
        assert_unchanged(&victim, &before, &what);
        assert_ne!(out.status.code(), Some(0), "{what}");
        assert!(what.contains("mount point"), "{what}");
        assert!(at.exists(), "{what}");
    }
    // The version was left whole: go still uses it offline.
    assert!(
        cache
            .join("cache/download/example.com/a/@v/v1.0.0.zip")
            .exists()
    );
    assert!(tree.join("a.go").exists());

    // A shared store with another file system mounted inside (here a directory that looks
    // like a module): reported, never entered, so never judged nor cleaned.
    let store = outside.path().join("store");
    crate::support::copy_tree(&cache.join("cache/download"), &store);
    crate::support::make_writable(&store);
    let at = store.join("example.com/mounted");
    fs::create_dir_all(&at).unwrap();
    let foreign = outside.path().join("foreign");
    fs::create_dir_all(foreign.join("@v")).unwrap();
    fs::write(
        foreign.join("@v/v1.0.0.mod"),
        "module example.com/mounted\n",
    )
    .unwrap();
    fs::write(foreign.join("@v/v1.0.0.zip"), "not a zip").unwrap();
    let before = fingerprint(&foreign);
    let store_arg = store.display().to_string();
    for args in [
        &["proxy", "list", "--json", store_arg.as_str()][..],
        &["proxy", "clean", "--yes", store_arg.as_str()],
    ] {
        let out = with_bind_mount(&foreign, &at, None, args);
        let what = format!("{args:?}: {}{}", crate::support::stdout(&out), stderr(&out));
        assert_unchanged(&foreign, &before, &what);
        assert!(!what.contains("example.com/mounted@"), "{what}");
    }
    let out = with_bind_mount(
        &foreign,
        &at,
        None,
        &["proxy", "list", "--json", &store_arg],
    );
    assert!(
        crate::support::stdout(&out).contains("another file system is mounted here"),
        "{}",
        crate::support::stdout(&out)
    );
}

/// Makes a chain of `depth` directories named `d` below `top`, by handles (the path would be
/// too long to name).
fn deep_chain(top: &Path, depth: usize) {
    use rustix::fs::{CWD, Mode, OFlags, mkdirat, openat};
    let mut fd = openat(CWD, top, OFlags::DIRECTORY, Mode::empty()).unwrap();
    for _ in 0..depth {
        mkdirat(&fd, "d", Mode::from_raw_mode(0o755)).unwrap();
        fd = openat(&fd, "d", OFlags::DIRECTORY, Mode::empty()).unwrap();
    }
    let file = openat(
        &fd,
        "leaf.go",
        OFlags::CREATE | OFlags::WRONLY,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    drop(file);
}

#[test]
fn a_tree_deeper_than_the_open_file_limit_is_deleted_whole() {
    let hand = crate::support::fixture::HandCache::new();
    hand.version(
        "example.com/deep",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    let tree = hand.path("example.com/deep@v1.0.0");
    deep_chain(&tree, 1500);
    let out = Command::new("prlimit")
        .arg("--nofile=256:256")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_modlens"))
        .args(["clean", "example.com/deep", "--yes", "--cache"])
        .arg(hand.root())
        .env("MODLENS_STATE", crate::support::test_state())
        .env("XDG_CONFIG_HOME", crate::support::test_config_home())
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!tree.exists(), "the tree is gone");
    assert!(!hand.exists("cache/download/example.com/deep/@v/v1.0.0.partial"));
    assert!(!hand.exists("cache/download/example.com/deep/@v/v1.0.0.zip"));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_directory_go_did_not_make_is_not_a_build_cache() {
    let t = TempTree::new();
    let dir = t.path().join("home");
    home_like(&dir);
    // Files named like go's outputs and action entries do not make a build cache.
    fs::create_dir_all(dir.join("00")).unwrap();
    fs::write(dir.join("00").join(format!("00{}-d", "a".repeat(62))), "x").unwrap();
    fs::write(dir.join("00").join(format!("00{}-a", "b".repeat(62))), "y").unwrap();
    let before = fingerprint(t.path());
    for args in [
        &["gocache", "clean", "--orphans", "--yes"][..],
        &["gocache", "clean", "--broken", "--yes"],
        &[
            "gocache",
            "clean",
            "--older-than",
            "1s",
            "--max-size",
            "1",
            "--yes",
        ],
    ] {
        let out = crate::support::modlens(args)
            .arg("--dir")
            .arg(&dir)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("is not a Go build cache"), "{args:?}: {err}");
    }
    // Looking is allowed, with a warning.
    let out = crate::support::modlens(&["gocache", "list"])
        .arg("--dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("not a Go build cache"),
        "{}",
        stderr(&out)
    );
    assert_unchanged(t.path(), &before, "gocache on a home directory");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn build_cache_cleans_refuse_without_a_terminal_and_never_hash_a_huge_orphan() {
    let Some((go, _app)) = crate::gocache_go::setup("build_cache_cleans_refuse_without_a_terminal")
    else {
        return;
    };
    let cache = crate::gocache_go::gocache(&go);
    // A 64 GB sparse file named like an output that no action entry names.
    let orphan = cache.join("ab").join(format!("ab{}-d", "c".repeat(62)));
    fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    let before = fingerprint(&cache);
    fs::File::create(&orphan)
        .unwrap()
        .set_len(64 << 30)
        .unwrap();
    for args in [
        &["gocache", "clean", "--orphans"][..],
        &["gocache", "clean", "--max-size", "1"],
    ] {
        let out = crate::gocache_go::ml(&go, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("--yes"), "{args:?}: {}", stderr(&out));
    }
    // The fingerprint would read the 64 GB: set the orphan aside to compare the rest.
    let aside = go.sandbox.path().join("orphan-aside");
    fs::rename(&orphan, &aside).unwrap();
    assert_unchanged(&cache, &before, "without --yes");
    fs::rename(&aside, &orphan).unwrap();
    let started = std::time::Instant::now();
    let out = crate::gocache_go::ml(&go, &["gocache", "verify"]);
    assert!(stdout(&out).contains("orphan"), "{}", stdout(&out));
    let out = crate::gocache_go::ml(&go, &["gocache", "clean", "--orphans", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!orphan.exists());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "the orphan was read: {:?}",
        started.elapsed()
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_root_link_re_pointed_during_a_clean_leaves_the_other_cache_alone() {
    let Some(go) = Go::find("a_root_link_re_pointed_during_a_clean") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package a\n"),
        FixtureModule::new("example.com/a", "v1.1.0", "2023-02-01T00:00:00Z")
            .file("a.go", "package a // 1.1\n"),
        FixtureModule::new("example.com/b", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("b.go", "package b\n"),
    ]);
    let first = go.modcache();
    let other = go.sandbox.path().join("other-cache");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(&first)
        .arg(&other)
        .status()
        .unwrap();
    assert!(copied.success());
    let link = go.sandbox.path().join("cache-link");
    std::os::unix::fs::symlink(&first, &link).unwrap();
    let before = fingerprint(&other);

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
    cmd.args([
        "clean",
        "example.com/a",
        "example.com/b",
        "--yes",
        "--cache",
    ])
    .arg(&link)
    .env("MODLENS_STATE", crate::support::test_state())
    .env("XDG_CONFIG_HOME", crate::support::test_config_home())
    .env("GOPROXY", "off")
    // Each version pauses once it is deleted, so the link can move between two of them.
    .env("MODLENS_FAULT_AT", "delete:list updated:sleep700")
    .env_remove("GOMODCACHE");
    let child = crate::support::Spawned::start(&mut cmd);
    let gone = |root: &Path| {
        ["a@v1.0.0", "a@v1.1.0", "b@v1.0.0"]
            .iter()
            .filter(|v| !root.join("example.com").join(v).exists())
            .count()
    };
    let started = std::time::Instant::now();
    while gone(&first) == 0 {
        assert!(started.elapsed().as_secs() < 30, "nothing was deleted");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Re-point the link at the other cache, atomically.
    let new_link = go.sandbox.path().join("cache-link.new");
    std::os::unix::fs::symlink(&other, &new_link).unwrap();
    fs::rename(&new_link, &link).unwrap();
    let out = child.finish();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        gone(&first),
        3,
        "every item went from the cache it was planned in"
    );
    assert_unchanged(&other, &before, "the other cache");
}

/// The one trash entry's directory.
fn only_trash_entry(cache: &Path) -> std::path::PathBuf {
    let entries: Vec<_> = fs::read_dir(cache.join("cache/modlens-trash"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.into_iter().next().unwrap()
}

fn edit_manifest(entry: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = entry.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut manifest);
    fs::write(path, serde_json::to_vec(&manifest).unwrap()).unwrap();
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_trash_never_trusts_its_manifest_nor_drops_a_good_copy_for_garbage() {
    use crate::trash_go::{TARGET, ml, setup};
    use std::os::unix::fs::PermissionsExt;
    let Some((go, _project)) = setup("the_trash_never_trusts_its_manifest") else {
        return;
    };
    let cache = go.modcache();
    let run = |args: &[&str]| ml(&go, &cache, args).output().unwrap();
    let trash = |what: &str| {
        let out = run(&["clean", TARGET, "--trash", "--yes"]);
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        only_trash_entry(&cache)
    };
    let tree = cache.join("example.com/!mixed!case@v1.2.3");
    let at_v = cache.join("cache/download/example.com/!mixed!case/@v");

    // A forged mode: set-uid, sticky, writable by all.
    let entry = trash("forged mode");
    edit_manifest(&entry, |m| m["tree_mode"] = serde_json::json!(0o7777));
    let out = run(&["trash", "restore", TARGET]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = fs::symlink_metadata(&tree).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode & 0o7022, 0, "restored tree mode {mode:o}");

    // Garbage in the cache where the zip and .mod go back: the good copies stay in the trash.
    let entry = trash("garbage");
    fs::write(at_v.join("v1.2.3.zip"), "").unwrap();
    fs::write(at_v.join("v1.2.3.mod"), "").unwrap();
    let good_zip = fs::read(entry.join("zip")).unwrap();
    let out = run(&["trash", "restore", TARGET]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("stay in the trash"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        fs::read(entry.join("zip")).unwrap(),
        good_zip,
        "the good zip is kept"
    );
    assert!(entry.join("mod").exists(), "the good .mod is kept");
    // Put the good copies back by hand, as the user would, and empty the entry.
    crate::support::make_writable(&cache);
    fs::remove_file(at_v.join("v1.2.3.zip")).unwrap();
    fs::remove_file(at_v.join("v1.2.3.mod")).unwrap();
    let out = run(&["trash", "restore", TARGET]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(!entry.exists());

    // An entry whose manifest cannot be read, and one dated in the far future, are kept by
    // every automatic emptying, and listed without a crash.
    let entry = trash("unreadable manifest");
    fs::write(entry.join("manifest.json"), "{not json").unwrap();
    let out = run(&["clean", "--leftovers", "--trash-keep", "1s", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(entry.join("zip").exists(), "unknown means keep");
    fs::write(
        entry.join("manifest.json"),
        format!(
            r#"{{"path":"example.com/MixedCase","version":"v1.2.3","trashed_at":{},"tree_mode":365,"was_partial":false}}"#,
            u64::MAX / 2
        ),
    )
    .unwrap();
    for args in [
        &["trash", "list"][..],
        &["trash", "list", "--json"],
        &["clean", "--leftovers", "--trash-keep", "1s", "--yes"],
        &["list"],
    ] {
        let out = run(args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        entry.join("zip").exists(),
        "a future date is not an old one"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_trash_move_stopped_after_partial_is_restored_whole_and_not_partial() {
    use crate::trash_go::{TARGET, ml, setup};
    let Some((go, project)) = setup("a_trash_move_stopped_after_partial") else {
        return;
    };
    let cache = go.modcache();
    let partial = cache.join("cache/download/example.com/!mixed!case/@v/v1.2.3.partial");
    for checkpoint in ["trash:partial written", "trash:zip", "trash:ziphash"] {
        let out = ml(&go, &cache, &["clean", TARGET, "--trash", "--yes"])
            .env("MODLENS_FAULT_AT", checkpoint)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), None, "{checkpoint}: killed");
        let out = ml(&go, &cache, &["trash", "restore", TARGET])
            .output()
            .unwrap();
        assert!(out.status.success(), "{checkpoint}: {}", stderr(&out));
        assert!(
            !partial.exists(),
            "{checkpoint}: the version is whole again"
        );
        assert!(
            !cache
                .join("cache/modlens-trash")
                .read_dir()
                .unwrap()
                .any(|_| true)
        );
        let out = go
            .command(&["mod", "verify"])
            .current_dir(&project)
            .env("GOPROXY", "off")
            .output()
            .unwrap();
        assert!(out.status.success(), "{checkpoint}: {}", stderr(&out));
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_state_database_is_never_a_link_nor_inside_the_cache() {
    let Some(go) = Go::find("the_state_database_is_never_a_link_nor_inside_the_cache") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package a\n"),
    ]);
    let cache = go.modcache();
    let outside = TempTree::new();
    let victim = outside.path().join("victim");
    home_like(&victim);
    let link = outside.path().join("state.db");
    std::os::unix::fs::symlink(victim.join(".bashrc"), &link).unwrap();
    let sidecar = outside.path().join("other.db-wal");
    std::os::unix::fs::symlink(victim.join("Documents/letter.txt"), &sidecar).unwrap();
    let before_victim = fingerprint(&victim);
    let before_cache = fingerprint(&cache);
    let run = |args: &[&str], xdg: Option<&Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
        cmd.args(args)
            .arg("--cache")
            .arg(&cache)
            .env_remove("MODLENS_STATE");
        match xdg {
            Some(dir) => cmd.env("XDG_STATE_HOME", dir),
            None => cmd.env("XDG_STATE_HOME", outside.path().join("xdg")),
        };
        cmd.env("HOME", outside.path()).output().unwrap()
    };
    let inside = cache.join("cache/modlens-state/state.db");
    for args in [
        vec!["list", "--state", link.to_str().unwrap()],
        vec![
            "verify",
            "--state",
            outside.path().join("other.db").to_str().unwrap(),
        ],
        vec!["verify", "--state", inside.to_str().unwrap()],
    ] {
        let out = run(&args, None);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("--state"), "{args:?}: {err}");
    }
    // XDG_STATE_HOME set to the cache: a warning, no state, and nothing written in the cache.
    let out = run(&["verify"], Some(&cache));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("inside the module cache"),
        "{}",
        stderr(&out)
    );
    let out = run(&["clean", "--leftovers", "--dry-run"], Some(&cache));
    assert!(out.status.success(), "still a cache: {}", stderr(&out));
    assert_unchanged(&victim, &before_victim, "the link's target");
    assert_unchanged(&cache, &before_cache, "the cache");
}

/// Whether `bytes` hold anything that a terminal would act on or that hides text.
fn has_terminal_controls(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    })
}

/// Fails unless neither stdout nor stderr of `out` holds anything a terminal would act on.
fn assert_escaped(out: &Output, args: &[&str]) {
    assert!(
        !has_terminal_controls(&out.stdout),
        "{args:?} stdout: {}",
        stdout(out)
    );
    assert!(
        !has_terminal_controls(&out.stderr),
        "{args:?} stderr: {}",
        stderr(out)
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn names_with_terminal_escapes_are_shown_escaped_everywhere() {
    let hand = crate::support::fixture::HandCache::new();
    let evil = "x\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}gpj.go\r";
    hand.version(
        "example.com/a",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    hand.file(&format!("example.com/a@v1.0.0/{evil}"), "package a\n");
    hand.file(
        &format!("cache/download/example.com/a/@v/v1.0.0.zip{evil}.tmp"),
        "half",
    );
    hand.file(&format!("cache/{evil}"), "stray");
    hand.file(&format!("cache/modlens-trash/{evil}/manifest.json"), "{}");
    let gocache = hand.outside().join("gocache");
    fs::create_dir_all(gocache.join("00")).unwrap();
    fs::write(
        gocache.join("README"),
        "This directory holds cached build artifacts from the Go build system.\n",
    )
    .unwrap();
    fs::write(gocache.join(evil), "?").unwrap();
    fs::write(gocache.join("00").join(evil), "?").unwrap();
    let root = hand.root();
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["verify"],
        vec!["verify", "--json"],
        vec!["clean", "--leftovers", "--dry-run"],
        vec!["clean", "--leftovers", "--dry-run", "--json"],
        vec!["trash", "list"],
        vec!["trash", "list", "--json"],
        vec!["trash", "restore", evil],
        vec!["list", evil],
    ] {
        let out = crate::support::modlens(&args)
            .arg("--cache")
            .arg(&root)
            .env("GOPROXY", "off")
            .output()
            .unwrap();
        assert_escaped(&out, &args);
        if args.contains(&"--json") {
            let _: serde_json::Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stdout(&out)));
        }
    }
    for args in [
        vec!["gocache", "list"],
        vec!["gocache", "list", "--json"],
        vec!["gocache", "verify"],
        vec!["gocache", "verify", "--json"],
    ] {
        let out = crate::support::modlens(&args)
            .arg("--dir")
            .arg(&gocache)
            .output()
            .unwrap();
        assert_escaped(&out, &args);
    }
    // An argument echoed in a usage error.
    let out = crate::support::modlens(&["list", &format!("--{evil}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!has_terminal_controls(&out.stderr), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn explain_streams_a_command_of_any_length_in_bounded_memory() {
    let outside = TempTree::new();
    let tmp = outside.path().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    let hand = crate::support::fixture::HandCache::new();
    let explain = |script: &str| {
        let mut cmd = Command::new("prlimit");
        cmd.arg(format!("--as={}", 384u64 << 20))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_modlens"))
            .args(["explain", "--cache"])
            .arg(hand.root())
            .args(["--", "sh", "-c", script])
            .env("MODLENS_STATE", crate::support::test_state())
            .env("XDG_CONFIG_HOME", crate::support::test_config_home())
            .env("TMPDIR", &tmp)
            .env("GOPROXY", "off")
            // Each thread's malloc arena reserves 64 MiB of address space it never uses; with
            // them the limit would measure how many threads allocated, not how much.
            .env("MALLOC_ARENA_MAX", "2")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        cmd
    };
    // 150 MB of output before go's line: the line is still found, in bounded memory.
    let out = explain(
        "head -c 150000000 /dev/zero | tr '\\0' a | fold -w 100; \
         echo 'verifying example.com/a@v1.0.0: checksum mismatch' >&2; exit 1",
    )
    .output()
    .unwrap();
    assert!(
        stdout(&out).contains("example.com/a@v1.0.0"),
        "{:?}: {}",
        out.status,
        stdout(&out)
    );
    // An endless command streams until interrupted, and leaves nothing behind.
    let mut child = explain("while :; do echo line; done").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "still streaming");
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(started.elapsed().as_secs() < 10, "explain ignored Ctrl-C");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        fs::read_dir(&tmp).unwrap().count(),
        0,
        "nothing left in TMPDIR"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_huge_sparse_file_in_a_tree_is_modified_not_hashed() {
    let Some(go) = Go::find("a_huge_sparse_file_in_a_tree_is_modified_not_hashed") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package a\n"),
    ]);
    let tree = go.modcache().join("example.com/a@v1.0.0");
    crate::support::make_writable(&tree);
    fs::File::create(tree.join("huge.bin"))
        .unwrap()
        .set_len(64 << 30)
        .unwrap();
    let out = crate::support::run_bounded(&go.modcache(), &["verify", "--no-state"], 30);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("huge.bin"), "{}", stdout(&out));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_zip_that_is_not_a_regular_file_is_a_problem_with_a_fix() {
    let Some(go) = Go::find("a_zip_that_is_not_a_regular_file_is_a_problem_with_a_fix") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package a\n"),
    ]);
    let project = go.project("p", &[("example.com/a", "v1.0.0")]);
    let cache = go.modcache();
    let zip = cache.join("cache/download/example.com/a/@v/v1.0.0.zip");
    let outside = TempTree::new();
    let victim = outside.path().join("victim");
    home_like(&victim);
    let before = fingerprint(&victim);
    for kind in ["fifo", "link", "dir"] {
        crate::support::make_writable(&cache);
        fs::remove_file(&zip).unwrap();
        match kind {
            "fifo" => rustix::fs::mknodat(
                rustix::fs::CWD,
                &zip,
                rustix::fs::FileType::Fifo,
                rustix::fs::Mode::from_raw_mode(0o644),
                0,
            )
            .unwrap(),
            "link" => std::os::unix::fs::symlink(victim.join(".bashrc"), &zip).unwrap(),
            _ => {
                fs::create_dir(&zip).unwrap();
                fs::write(zip.join("inside"), "x").unwrap();
            }
        }
        let out = crate::support::run_bounded(&cache, &["verify", "--no-state"], 30);
        assert_eq!(out.status.code(), Some(1), "{kind}: {}", stdout(&out));
        assert!(
            stdout(&out).contains("zip_invalid"),
            "{kind}: {}",
            stdout(&out)
        );
        let out = crate::support::run_bounded(
            &cache,
            &["refetch", "--broken", "--yes", "--no-state"],
            30,
        );
        assert!(
            out.status.success(),
            "{kind}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(fs::symlink_metadata(&zip).unwrap().is_file(), "{kind}");
        let (ok, err) = go.mod_verify(&project);
        assert!(ok, "{kind}: {err}");
        assert_unchanged(&victim, &before, kind);
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn after_a_repair_go_builds_without_its_stale_index_of_the_tree() {
    let Some(go) = Go::find("after_a_repair_go_builds_without_its_stale_index_of_the_tree") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package m\n\nfunc A() int { return 1 }\n"),
    ]);
    let project = go.project("p", &[("example.com/a", "v1.0.0")]);
    fs::write(
        project.join("main.go"),
        "package main\n\nimport m \"example.com/a\"\n\nfunc main() { println(m.A()) }\n",
    )
    .unwrap();
    let build = || go.build(&project).env("GOPROXY", "off").output().unwrap();
    // Damage the tree before go first builds from it, so go indexes the damaged tree.
    let tree = go.modcache().join("example.com/a@v1.0.0");
    crate::support::make_writable(&tree);
    fs::write(
        tree.join("bad.go"),
        "package m\n\nimport _ \"example.com/missing\"\n",
    )
    .unwrap();
    let out = build();
    assert!(!out.status.success(), "the damage breaks the build");
    for args in [
        &["refetch", "--broken", "--yes"][..],
        &["refetch", "example.com/a@v1.0.0", "--yes"],
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
        cmd.args(args).arg("--cache").arg(go.modcache());
        go.sandbox_env(&mut cmd);
        let out = cmd.env("GOPROXY", "off").output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(!tree.join("bad.go").exists());
        let out = build();
        assert!(
            out.status.success(),
            "{args:?}: go build after the repair: {}",
            stderr(&out)
        );
        // Damage again for the second round, indexed again by a failing build.
        crate::support::make_writable(&tree);
        fs::write(
            tree.join("bad.go"),
            "package m\n\nimport _ \"example.com/missing\"\n",
        )
        .unwrap();
        let _ = go.command(&["clean", "-cache"]).output();
        assert!(!build().status.success());
    }
}

#[test]
fn listing_the_file_system_root_stops_at_once() {
    for args in [&["list"][..], &["list", "--json"], &[]] {
        let out = crate::support::run_bounded(Path::new("/"), args, 10);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("file-system root"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn trees_behind_an_unreadable_directory_are_never_called_verified() {
    use std::os::unix::fs::PermissionsExt;
    let Some(go) = Go::find("trees_behind_an_unreadable_directory") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package m\n"),
    ]);
    let project = go.project("p", &[("example.com/a", "v1.0.0")]);
    fs::write(
        project.join("main.go"),
        "package main\n\nimport _ \"example.com/a\"\n\nfunc main() {}\n",
    )
    .unwrap();
    let built = go.build(&project).env("GOPROXY", "off").output().unwrap();
    assert!(built.status.success(), "{}", stderr(&built));
    let cache = go.modcache();
    let user = crate::support::Unprivileged::new(&cache);
    let home = crate::support::TempTree::new();
    fs::set_permissions(home.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let hidden = cache.join("example.com");
    fs::set_permissions(&hidden, fs::Permissions::from_mode(0o000)).unwrap();
    let out = user.run(&cache, &["verify"]);
    // The doctor says the same word: unreadable, not verified, and not "source missing".
    let mut doctor = user.command(&cache, &["doctor", project.to_str().unwrap(), "--json"]);
    let (go, _copy) = user.go().expect("a go the unprivileged user can run");
    doctor.env("MODLENS_GO", go);
    let doctor = doctor
        .env("HOME", home.path())
        .env("GOCACHE", home.path().join("gocache"))
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env("GOSUMDB", "off")
        .output()
        .unwrap();
    fs::set_permissions(&hidden, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        doctor.status.code(),
        Some(1),
        "{}{}",
        stdout(&doctor),
        stderr(&doctor)
    );
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&doctor), stderr(&doctor)));
    let a = report["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == "example.com/a")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(a["state"], "unreadable", "{a:#}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("unreadable"), "{}", stdout(&out));
    assert!(
        !stdout(&out).contains("all module versions verified"),
        "{}",
        stdout(&out)
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_cache_the_user_cannot_write_is_said_once_before_any_plan() {
    use std::os::unix::fs::PermissionsExt;
    let hand = crate::support::fixture::HandCache::new();
    hand.version(
        "example.com/a",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    let root = hand.root();
    // Readable, not writable: as root, the cache stays root's and modlens runs as nobody.
    let user = crate::support::Unprivileged::new(root.parent().unwrap());
    for dir in [root.clone(), root.join("cache/download")] {
        let _ = std::os::unix::fs::chown(&dir, Some(0), Some(0));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    }
    let before = fingerprint(&root);
    for args in [
        &["clean", "example.com/a", "--yes"][..],
        &["refetch", "--broken", "--yes"],
        &["trash", "empty", "--yes"],
    ] {
        let out = user.run(&root, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("is not writable"), "{args:?}: {err}");
    }
    let out = user.run(&root, &["clean", "example.com/a", "--dry-run"]);
    assert!(
        out.status.success(),
        "a dry run only looks: {}",
        stderr(&out)
    );
    assert_unchanged(&root, &before, "an unwritable cache");
    for dir in [root.clone(), root.join("cache/download")] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// `verify` by a user who does not own the cache (the kernel refuses `O_NOATIME`) must never
/// make a version look used: the access time it moved is kept in that user's state database,
/// and later scans show the time before it.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_verify_by_another_user_never_makes_a_version_look_used() {
    use std::fs::FileTimes;
    use std::time::{Duration, SystemTime};
    let Some(go) = Go::find("a_verify_by_another_user_never_makes_a_version_look_used") else {
        return;
    };
    if !rustix::process::geteuid().is_root() {
        // Only root can run modlens as a user who does not own the files.
        eprintln!("not run: needs root to run modlens as another user");
        return;
    }
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package m\n"),
    ]);
    let cache = go.modcache();
    let mod_file = cache.join("cache/download/example.com/a/@v/v1.0.0.mod");
    // Last used on 2020-01-01, long enough ago that any read moves it (relatime).
    let used = SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_836_800);
    fs::File::open(&mod_file)
        .unwrap()
        .set_times(
            FileTimes::new()
                .set_accessed(used)
                .set_modified(used - Duration::from_secs(86_400)),
        )
        .unwrap();
    // The state database of user nobody, in a directory it can write.
    let home = TempTree::new();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(home.path(), fs::Permissions::from_mode(0o777)).unwrap();
    }
    let state = home.path().join("state.db");
    let as_nobody = |args: &[&str]| {
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_modlens"))
            .args(args)
            .arg("--cache")
            .arg(&cache)
            .arg("--state")
            .arg(&state)
            .env("GOPROXY", "off")
            .env("HOME", home.path())
            .env_remove("GOMODCACHE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        out
    };
    as_nobody(&["verify"]);
    let atime = fs::metadata(&mod_file).unwrap().accessed().unwrap();
    if atime == used {
        eprintln!("not run: this mount never moves access times (noatime)");
        return;
    }
    let out = as_nobody(&["list", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "example.com/a")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert!(
        entry["last_used"]
            .as_str()
            .is_some_and(|t| t.starts_with("2020-01-01T00:00:00")),
        "the read by modlens moved it to {atime:?}, and list shows {entry:#}"
    );
}

/// A panic of modlens on one version (injected) is that version's verdict: one line says so,
/// the other versions are verified, the status is 2, and nothing else reaches the terminal.
#[test]
fn a_panic_on_one_version_is_contained_and_said_in_one_line() {
    let hand = crate::support::fixture::HandCache::new();
    for path in ["example.com/a", "example.com/b"] {
        hand.version(path, "v1.0.0", "v1.0.0", &[("a.go", "package a\n")]);
    }
    let out = crate::support::modlens(&["verify", "--no-state", "--cache"])
        .arg(hand.root())
        .env("MODLENS_FAULT_AT", "verify:example.com/a@v1.0.0:panic")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{}{err}", stdout(&out));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("example.com/a@v1.0.0: internal error: fault injected")
            && err.contains("not verified"),
        "{err}"
    );
    // The other version was verified all the same (this hand-made one has problems).
    assert!(
        stdout(&out).contains("checked 2 versions") && stdout(&out).contains("1 skipped"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("all module versions verified"));
    assert!(
        stdout(&out).contains("1 version not verified: modlens failed on them"),
        "{}",
        stdout(&out)
    );
}
