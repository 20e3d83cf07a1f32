//! A hostile machine: another user who can write the shared temp dir, mounts and links swapped
//! in below the root, forged state files. Each test keeps canaries outside the cache, whose
//! contents, modes and times must not change.

use std::fs;
use std::path::Path;
use std::process::Command;

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
