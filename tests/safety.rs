//! modlens never deletes or writes outside a real Go module cache: wrong roots are refused,
//! links are never written through, and what cannot be read is never deleted. Each test keeps
//! canary files outside the cache and checks that nothing about them changed.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{TempTree, fingerprint, home_like, modlens, stderr};

/// Every command that could change something, in its most destructive form.
const DESTRUCTIVE: &[&[&str]] = &[
    &["clean", "--leftovers", "--yes"],
    &[
        "clean",
        "--keep-latest",
        "0",
        "--leftovers",
        "--vcs",
        "--yes",
    ],
    &["refetch", "--broken", "--yes"],
    &["verify"],
];

fn run_on(root: &Path, args: &[&str]) -> Output {
    let mut cmd = modlens(args);
    cmd.arg("--cache").arg(root).env("GOPROXY", "off");
    cmd.output().unwrap()
}

fn assert_refused(out: &Output, what: &str, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: one line: {err}");
    assert!(err.contains(needle), "{what}: {err}");
}

/// A cache the real go wrote, with two versions of one module and one of another.
fn go_cache(go: &Go) {
    go.download(&[
        FixtureModule::new("example.com/b", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("b.go", "package b\n"),
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package a\n"),
        FixtureModule::new("example.com/a", "v1.1.0", "2023-02-01T00:00:00Z")
            .file("a.go", "package a // 1.1\n"),
    ]);
}

#[test]
fn a_home_directory_is_refused_by_every_command_and_left_alone() {
    let t = TempTree::new();
    let home = t.path().join("home");
    home_like(&home);
    // Even a cache/download dir, as a stray tool might make, does not make a home a cache.
    fs::create_dir_all(home.join("cache/download/example.com/a/@v")).unwrap();
    fs::write(
        home.join("cache/download/example.com/a/@v/v1.0.0.mod"),
        "module a\n",
    )
    .unwrap();
    let before = fingerprint(t.path());
    for args in DESTRUCTIVE {
        let out = run_on(&home, args);
        assert_refused(&out, &args.join(" "), "is not a Go module cache");
    }
    let out = run_on(&home, &["list"]);
    assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
    assert_eq!(fingerprint(t.path()), before);
}

#[test]
fn the_file_system_root_is_refused_by_name() {
    let out = run_on(Path::new("/"), &["clean", "--leftovers", "--dry-run"]);
    assert_refused(&out, "/", "file-system root");
    let out = run_on(Path::new("/"), &["verify"]);
    assert_refused(&out, "/", "file-system root");
}

#[test]
fn a_parent_of_the_cache_and_the_dirs_inside_it_are_refused_naming_the_cache() {
    let Some(go) = Go::find("a_parent_of_the_cache_and_the_dirs_inside_it_are_refused") else {
        return;
    };
    go_cache(&go);
    // The sandbox holds the cache at <sandbox>/modcache, as $GOPATH/pkg holds pkg/mod.
    let before = fingerprint(go.sandbox.path());
    let cache = go.modcache();
    let parent = go.sandbox.path();
    for args in DESTRUCTIVE {
        let out = run_on(parent, args);
        assert_refused(&out, "parent", &format!("--cache {}", cache.display()));
        for inner in ["cache", "cache/download", "example.com"] {
            let out = run_on(&cache.join(inner), args);
            assert_refused(&out, inner, "is inside the Go module cache");
        }
    }
    assert_eq!(fingerprint(go.sandbox.path()), before);
}

#[test]
fn a_linked_module_download_dir_hides_nothing_that_gets_deleted() {
    let Some(go) = Go::find("a_linked_module_download_dir_hides_nothing_that_gets_deleted") else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    // Move example.com/a's download files out of the cache and link them back in.
    let outside = go.sandbox.path().join("outside-downloads");
    fs::rename(cache.join("cache/download/example.com/a"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, cache.join("cache/download/example.com/a")).unwrap();
    let before = fingerprint(go.sandbox.path());
    for _ in 0..2 {
        let out = run_on(&cache, &["clean", "--leftovers", "--yes"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(
        fingerprint(go.sandbox.path()),
        before,
        "the link, the trees and the files it points to all stay"
    );
    let out = run_on(&cache, &["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = crate::support::stdout(&out);
    assert!(text.contains("unreadable"), "{text}");
}

#[test]
fn a_download_dir_modlens_cannot_read_hides_nothing_that_gets_deleted() {
    let Some(go) = Go::find("a_download_dir_modlens_cannot_read_hides_nothing_that_gets_deleted")
    else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    let module_dir = cache.join("cache/download/example.com/a");
    crate::support::make_writable(go.sandbox.path());
    let as_user = crate::support::Unprivileged::new(go.sandbox.path());
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&module_dir, fs::Permissions::from_mode(0o000)).unwrap();
    let before = fingerprint(go.sandbox.path());
    let out = as_user.run(&cache, &["clean", "--leftovers", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = as_user.run(&cache, &["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(crate::support::stdout(&out).contains("unreadable"));
    assert_eq!(fingerprint(go.sandbox.path()), before);
    fs::set_permissions(&module_dir, fs::Permissions::from_mode(0o755)).unwrap();
}
