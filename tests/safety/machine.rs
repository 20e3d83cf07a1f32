//! A hostile machine: another user who can write the shared temp dir, mounts and links swapped
//! in below the root, forged state files. Each test keeps canaries outside the cache, whose
//! contents, modes and times must not change.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{TempTree, fingerprint, home_like, stderr};

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
    assert!(changed.is_empty(), "{what}: changed outside the cache: {changed:?}");
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
    for args in [
        &["--demo", "list"][..],
        &["explain", "--cache", cache, "--", "go", "build", "./..."],
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
/// at `at` (a directory below the cache); the mount goes with the namespace. `None` (after
/// saying why) where this machine cannot make mount namespaces.
fn with_bind_mount(victim: &Path, at: &Path, cache: &Path, args: &[&str]) -> Option<Output> {
    let mut cmd = Command::new("unshare");
    cmd.arg("--mount");
    if !rustix::process::geteuid().is_root() {
        cmd.arg("--map-root-user");
    }
    cmd.args(["--", "sh", "-c", r#"mount --bind "$1" "$2" && shift 2 && exec "$@""#, "sh"])
        .arg(victim)
        .arg(at)
        .arg(env!("CARGO_BIN_EXE_modlens"))
        .args(args)
        .arg("--cache")
        .arg(cache)
        .env("GOPROXY", "off")
        .env("MODLENS_STATE", crate::support::test_state())
        .env_remove("GOMODCACHE")
        .env_remove("GOFLAGS");
    let out = cmd.output().ok()?;
    if stderr(&out).contains("mount") && stderr(&out).contains("unshare")
        || stderr(&out).starts_with("mount:")
    {
        eprintln!("SKIPPED: no mount namespaces here: {}", stderr(&out));
        return None;
    }
    Some(out)
}

#[test]
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
        (&tree.join("sub"), &["clean", "example.com/a", "--trash", "--yes"]),
        (&vcs, &["clean", "--vcs", "--yes"]),
    ] {
        let Some(out) = with_bind_mount(&victim, at, &cache, args) else {
            return;
        };
        let what = format!("{args:?}: {}{}", crate::support::stdout(&out), stderr(&out));
        assert_unchanged(&victim, &before, &what);
        assert_ne!(out.status.code(), Some(0), "{what}");
        assert!(what.contains("mount point"), "{what}");
        assert!(at.exists(), "{what}");
    }
    // The version was left whole: go still uses it offline.
    assert!(cache.join("cache/download/example.com/a/@v/v1.0.0.zip").exists());
    assert!(tree.join("a.go").exists());
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
    hand.version("example.com/deep", "v1.0.0", "v1.0.0", &[("a.go", "package a\n")]);
    let tree = hand.path("example.com/deep@v1.0.0");
    deep_chain(&tree, 1500);
    let out = Command::new("prlimit")
        .arg("--nofile=256:256")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_modlens"))
        .args(["clean", "example.com/deep", "--yes", "--cache"])
        .arg(hand.root())
        .env("MODLENS_STATE", crate::support::test_state())
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!tree.exists(), "the tree is gone");
    assert!(!hand.exists("cache/download/example.com/deep/@v/v1.0.0.partial"));
    assert!(!hand.exists("cache/download/example.com/deep/@v/v1.0.0.zip"));
}
