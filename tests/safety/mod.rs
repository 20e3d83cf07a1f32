//! modlens never deletes or writes outside a real Go module cache: wrong roots are refused,
//! links are never written through, and what cannot be read is never deleted. Each test keeps
//! canary files outside the cache and checks that nothing about them changed.

use std::fs;
use std::path::Path;
use std::process::Output;

mod machine;

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{TempTree, fingerprint, home_like, modlens, run_bounded, stderr};

/// Every command that could change something, in its most destructive form.
const DESTRUCTIVE: &[&[&str]] = &[
    &["clean", "--leftovers", "--yes"],
    &[
        "clean",
        "--keep-latest",
        "1",
        "--leftovers",
        "--vcs",
        "--yes",
    ],
    &["clean", "--max-size", "1", "--yes"],
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
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
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
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_file_system_root_is_refused_by_name() {
    let out = run_on(Path::new("/"), &["clean", "--leftovers", "--dry-run"]);
    assert_refused(&out, "/", "file-system root");
    let out = run_on(Path::new("/"), &["verify"]);
    assert_refused(&out, "/", "file-system root");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
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
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
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
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_linked_cache_download_is_refused_and_hides_nothing_that_gets_deleted() {
    let Some(go) = Go::find("a_linked_cache_download_is_refused") else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    let elsewhere = go.sandbox.path().join("downloads-elsewhere");
    fs::rename(cache.join("cache/download"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, cache.join("cache/download")).unwrap();
    let before = fingerprint(go.sandbox.path());
    for _ in 0..2 {
        let out = run_on(&cache, &["clean", "--leftovers", "--yes"]);
        assert_refused(&out, "clean --leftovers", "is a symlink");
    }
    assert_eq!(
        fingerprint(go.sandbox.path()),
        before,
        "the link and every tree stay"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
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

fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
}

/// Every command, as a user would run them on a strange cache (writing ones on a version).
const EVERY_COMMAND: &[&[&str]] = &[
    &["list"],
    &["list", "--json"],
    &["verify"],
    &["verify", "--json"],
    &["clean", "--leftovers", "--broken", "--dry-run"],
    &["clean", "--leftovers", "--yes"],
    &["clean", "example.com/a@v1.0.0", "--yes"],
    &["refetch", "--broken", "--yes"],
];

/// Runs every command; each must finish within seconds with a status of 0, 1 or 2 and no crash.
fn every_command_survives(root: &Path) {
    for args in EVERY_COMMAND {
        let out = run_bounded(root, args, 30);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "modlens {}: {:?}\n{}",
            args.join(" "),
            out.status,
            stderr(&out)
        );
        if args.contains(&"--json") {
            let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&out.stdout);
            assert!(parsed.is_ok(), "modlens {}: invalid JSON", args.join(" "));
        }
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn links_in_writable_positions_are_never_written_through() {
    let Some(go) = Go::find("links_in_writable_positions_are_never_written_through") else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    let outside = go.sandbox.path().join("canary");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("partial-target"), "precious partial\n").unwrap();
    fs::write(outside.join("list-target"), "v9.9.9\n").unwrap();
    let at_v = cache.join("cache/download/example.com/a/@v");
    let at_v_b = cache.join("cache/download/example.com/b/@v");
    use std::os::unix::fs::symlink;
    symlink(outside.join("partial-target"), at_v.join("v1.0.0.partial")).unwrap();
    fs::remove_file(at_v.join("list")).unwrap();
    symlink(outside.join("list-target"), at_v.join("list")).unwrap();
    fs::remove_file(at_v_b.join("v1.0.0.lock")).unwrap();
    symlink(outside.join("created-by-lock"), at_v_b.join("v1.0.0.lock")).unwrap();
    // A vcs repository whose lock is a link out of the cache.
    let hash = "b2f02d6f27c4649eccd98c249abe9f06b329934610ccddb3d63d6c9da1ae121d";
    let vcs = cache.join("cache/vcs");
    fs::create_dir_all(vcs.join(hash)).unwrap();
    fs::write(
        vcs.join(format!("{hash}.info")),
        "git3:https://github.com/Acme/Widget",
    )
    .unwrap();
    symlink(
        outside.join("created-by-vcs-lock"),
        vcs.join(format!("{hash}.lock")),
    )
    .unwrap();
    // Hard links: the outside file shares the inode of v1.1.0's .partial.
    fs::write(outside.join("hardlinked"), "shared content\n").unwrap();
    fs::hard_link(outside.join("hardlinked"), at_v.join("v1.1.0.partial")).unwrap();

    let before = fingerprint(&outside);
    for args in [
        &["clean", "example.com/a@v1.0.0", "--yes"][..],
        &["clean", "example.com/a@v1.1.0", "--yes"][..],
        &["clean", "example.com/b@v1.0.0", "--yes"][..],
        &["clean", "--vcs", "--yes"][..],
        &["refetch", "example.com/a@v1.0.0", "--yes"][..],
        &["refetch", "--broken", "--yes"][..],
    ] {
        let out = run_on(&cache, args);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(
        fingerprint(&outside),
        before,
        "the canaries outside are untouched"
    );
    assert!(!outside.join("created-by-lock").exists());
    assert!(!outside.join("created-by-vcs-lock").exists());
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_delete_that_stops_part_way_counts_what_it_removed() {
    let Some(go) = Go::find("a_delete_that_stops_part_way_counts_what_it_removed") else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    let at_v = cache.join("cache/download/example.com/a/@v");
    let outside = go.sandbox.path().join("canary.txt");
    fs::write(&outside, "v9.9.9\n").unwrap();
    // The last step, rewriting `list`, meets a link out of the cache and refuses.
    fs::remove_file(at_v.join("list")).unwrap();
    std::os::unix::fs::symlink(&outside, at_v.join("list")).unwrap();
    let out = run_on(
        &cache,
        &["clean", "example.com/a@v1.0.0", "--yes", "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = report["failed"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("symlink") && error.contains("stopped after removing"),
        "{error}"
    );
    assert!(report["files_removed"].as_u64().unwrap() >= 4, "{report}");
    assert_eq!(fs::read_to_string(&outside).unwrap(), "v9.9.9\n");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn concurrent_cleans_never_count_a_version_twice() {
    let Some(go) = Go::find("concurrent_cleans_never_count_a_version_twice") else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    let clean = || {
        let mut cmd = modlens(&["clean", "--max-size", "1", "--yes", "--json"]);
        cmd.arg("--cache").arg(&cache);
        cmd.stdout(std::process::Stdio::piped()).spawn().unwrap()
    };
    let (first, second) = (clean(), clean());
    let mut removed = Vec::new();
    for child in [first, second] {
        let out = child.wait_with_output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for name in report["removed"].as_array().unwrap() {
            removed.push(name.as_str().unwrap().to_owned());
        }
    }
    removed.sort();
    let before = removed.len();
    removed.dedup();
    assert_eq!(
        removed.len(),
        before,
        "a version counted twice: {removed:?}"
    );
    assert_eq!(removed.len(), 3, "{removed:?}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn fifos_devices_deep_chains_and_huge_sparse_files_never_hang_crash_or_grow_memory() {
    let Some(go) = Go::find("fifos_devices_deep_chains_and_huge_sparse_files") else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    let at_v_a = cache.join("cache/download/example.com/a/@v");
    let at_v_b = cache.join("cache/download/example.com/b/@v");
    crate::support::make_writable(&cache);
    // FIFOs where go keeps .partial, list, a tree file, a sumdb lookup and a vcs .info.
    mkfifo(&at_v_a.join("v1.0.0.partial"));
    fs::remove_file(at_v_b.join("list")).unwrap();
    mkfifo(&at_v_b.join("list"));
    mkfifo(&cache.join("example.com/a@v1.1.0/fifo"));
    let lookup = cache.join("cache/download/sumdb/sum.golang.org/lookup/example.com");
    fs::create_dir_all(&lookup).unwrap();
    mkfifo(&lookup.join("b@v1.0.0"));
    fs::create_dir_all(cache.join("cache/vcs/0000")).unwrap();
    mkfifo(&cache.join("cache/vcs/0000.info"));
    // /dev/zero behind a link as .info, and multi-GB sparse .ziphash and .mod.
    fs::remove_file(at_v_b.join("v1.0.0.info")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", at_v_b.join("v1.0.0.info")).unwrap();
    for name in ["v1.0.0.ziphash", "v1.0.0.mod"] {
        let f = fs::OpenOptions::new()
            .write(true)
            .open(at_v_b.join(name))
            .unwrap();
        f.set_len(8 << 30).unwrap();
    }
    let info = fs::OpenOptions::new()
        .write(true)
        .open(at_v_a.join("v1.1.0.info"))
        .unwrap();
    info.set_len(8 << 30).unwrap();
    // A chain of 1,200 directories at the top and inside a tree.
    for base in [
        cache.join("example.com/deep"),
        cache.join("example.com/b@v1.0.0/deep"),
    ] {
        let mut dir = base;
        for _ in 0..1200 {
            dir.push("d");
        }
        let out = std::process::Command::new("mkdir")
            .arg("-p")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success());
        fs::write(dir.join("leaf.go"), "package d\n").unwrap();
    }
    let canary = go.sandbox.path().join("canary");
    home_like(&canary);
    let before = fingerprint(&canary);
    let out = run_bounded(&cache, &["verify", "--json"], 30);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("FIFO"),
        "the FIFO in the tree is reported: {report}"
    );
    assert!(
        report.contains("too large"),
        "the sparse files are reported: {report}"
    );
    every_command_survives(&cache);
    assert_eq!(fingerprint(&canary), before);
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_refetch_that_cannot_download_leaves_the_cache_byte_for_byte_as_it_was() {
    let Some(go) = Go::find("a_refetch_that_cannot_download_leaves_the_cache_as_it_was") else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    let at_v = cache.join("cache/download/example.com/a/@v");
    // v1.0.0: a garbage zip and an edited tree, so only a download can repair it.
    fs::write(at_v.join("v1.0.0.zip"), "not a zip").unwrap();
    let tree = cache.join("example.com/a@v1.0.0");
    crate::support::make_writable(&tree);
    fs::write(tree.join("planted.go"), "package a\n").unwrap();
    // v1.1.0: only its .ziphash is missing; go still builds with it offline.
    fs::remove_file(at_v.join("v1.1.0.ziphash")).unwrap();
    let before = fingerprint(&cache);
    let missing = go.sandbox.path().join("no-such-proxy");
    for proxy in ["off".to_owned(), format!("file://{}", missing.display())] {
        for args in [
            &["refetch", "--broken", "--yes"][..],
            &["refetch", "example.com/a@v1.0.0", "--yes"][..],
        ] {
            let mut cmd = modlens(args);
            cmd.arg("--cache").arg(&cache).env("GOPROXY", &proxy);
            let out = cmd.output().unwrap();
            let text = format!("{}{}", crate::support::stdout(&out), stderr(&out));
            assert_eq!(out.status.code(), Some(1), "{proxy} {args:?}: {text}");
            assert!(text.contains("unchanged"), "{proxy} {args:?}: {text}");
            assert!(text.contains("hint"), "{proxy} {args:?}: {text}");
            assert_eq!(fingerprint(&cache), before, "{proxy} {args:?}: {text}");
        }
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_version_go_wrote_but_cannot_use_is_one_entry_and_never_a_leftover() {
    let Some(go) = Go::find("a_version_go_wrote_but_cannot_use") else {
        return;
    };
    go_cache(&go);
    // v2.0.0 of a path without /v2: go downloads it, writes its files, refuses to extract it.
    crate::support::proxy::write_proxy(
        &go.proxy(),
        &[FixtureModule::new(
            "example.com/m",
            "v2.0.0",
            "2023-01-01T00:00:00Z",
        )],
    );
    let out = go
        .command(&["mod", "download", "-json", "example.com/m@v2.0.0"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("should be v0 or v1, not v2"), "{said}");
    let cache = go.modcache();
    let at_v = cache.join("cache/download/example.com/m/@v");
    for ext in ["info", "mod", "zip", "ziphash", "lock"] {
        assert!(
            at_v.join(format!("v2.0.0.{ext}")).is_file(),
            "go wrote .{ext}"
        );
    }
    let report = crate::support::list_json(&cache);
    crate::support::entry(&report, "example.com/m", "v2.0.0");
    assert!(
        report["leftovers"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let out = run_on(&cache, &["verify", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let verdicts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = verdicts["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "example.com/m")
        .unwrap();
    assert_eq!(m["problems"][0]["kind"], "unusable_version", "{m}");
    assert_eq!(m["problems"][0]["fix"], "delete", "{m}");
    let before = fingerprint(&cache);
    let out = run_on(&cache, &["clean", "--leftovers", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fingerprint(&cache),
        before,
        "go's own files are no leftovers"
    );
    let out = run_on(&cache, &["clean", "--broken", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!at_v.join("v2.0.0.zip").exists() && at_v.join("v2.0.0.lock").exists());
    let out = run_on(&cache, &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::support::stdout(&out)
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn names_that_are_not_utf8_keep_every_command_going_with_valid_json() {
    use std::os::unix::ffi::OsStrExt;
    let Some(go) = Go::find("names_that_are_not_utf8") else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    let raw = |bytes: &[u8]| std::ffi::OsStr::from_bytes(bytes).to_owned();
    let bad_tree = cache.join("example.com").join(raw(b"bad\xff@v1.0.0"));
    fs::create_dir_all(&bad_tree).unwrap();
    fs::write(bad_tree.join("x.go"), "package x\n").unwrap();
    let at_v = cache.join("cache/download/example.com/a/@v");
    fs::write(at_v.join(raw(b"v1.0.0.zip\xfe42.tmp")), "partial zip").unwrap();
    let tree = cache.join("example.com/b@v1.0.0");
    crate::support::make_writable(&tree);
    fs::write(tree.join(raw(b"caf\xe9.go")), "package b\n").unwrap();
    for (args, code) in [
        (&["list"][..], 0),
        (&["verify"][..], 1),
        (&["clean", "--leftovers", "--dry-run"][..], 0),
    ] {
        let text = run_on(&cache, args);
        let mut json_args = args.to_vec();
        json_args.push("--json");
        let json = run_on(&cache, &json_args);
        assert_eq!(
            text.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&text)
        );
        assert_eq!(
            json.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&json)
        );
        let report: serde_json::Value = serde_json::from_slice(&json.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: invalid JSON: {e}: {}", stderr(&json)));
        if args[0] != "clean" {
            let leftover = report["leftovers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["path"].as_str().unwrap().ends_with("bad\\xff@v1.0.0"))
                .unwrap_or_else(|| panic!("{args:?}: {report}"));
            let hex = leftover["path_hex"].as_str().unwrap();
            assert!(hex.ends_with("626164ff4076312e302e30"), "{hex}");
        }
    }
    let out = run_on(&cache, &["verify", "--json"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("caf\\\\xe9.go"),
        "the tree's file is named escaped: {report}"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_hard_linked_list_is_replaced_never_rewritten_in_place() {
    let Some(go) = Go::find("a_hard_linked_list_is_replaced") else {
        return;
    };
    go_cache(&go);
    let cache = go.modcache();
    let list = cache.join("cache/download/example.com/a/@v/list");
    let outside = go.sandbox.path().join("shared-list");
    fs::copy(&list, &outside).unwrap();
    fs::remove_file(&list).unwrap();
    fs::hard_link(&outside, &list).unwrap();
    let before = fingerprint(&outside);
    let out = run_on(&cache, &["clean", "example.com/a@v1.0.0", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fingerprint(&outside),
        before,
        "the file outside is untouched"
    );
    assert_eq!(
        fs::read_to_string(&list).unwrap(),
        "v1.1.0\n",
        "the cache's list is updated"
    );
}

#[test]
fn diff_and_vendor_verify_never_read_through_a_link_out_of_their_trees() {
    use crate::support::fixture::HandCache;
    let c = HandCache::new();
    c.version("example.com/linked", "v1.0.0", "v1.0.0", &[]);
    let outside = c.outside();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret.go"), "READ CANARY\n").unwrap();
    let tree = c.path("example.com/linked@v1.0.0");
    let _ = fs::remove_dir_all(&tree);
    fs::create_dir_all(tree.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&outside, &tree).unwrap();
    let out = run_on(
        &c.root(),
        &["diff", "--no-pager", "example.com/linked@v1.0.0"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("a link where go writes a directory"));
    let seen = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!seen.contains("CANARY"), "{seen}");

    // A vendored module that is a link out of vendor/.
    let project = c.outside().parent().unwrap().join("project");
    fs::create_dir_all(project.join("vendor/example.com")).unwrap();
    fs::create_dir_all(project.join("local")).unwrap();
    fs::write(project.join("go.mod"), "module example.com/p\n\ngo 1.18\n").unwrap();
    fs::write(
        project.join("vendor/modules.txt"),
        "# example.com/y v0.0.0 => ./local\n## explicit\nexample.com/y\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, project.join("vendor/example.com/y")).unwrap();
    let out = modlens(&["vendor", "verify", "--json"])
        .arg(&project)
        .arg("--cache")
        .arg(c.root())
        .output()
        .unwrap();
    let seen = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!seen.contains("CANARY"), "{seen}");
    assert_eq!(out.status.code(), Some(1), "{seen}");
    assert!(
        seen.contains("not a directory (a link or a file)"),
        "{seen}"
    );
}

/// A run killed with SIGKILL cannot remove its scratch directory; the next run removes it,
/// and only it: not a directory a living run holds, nor another user's (here: another mode),
/// nor a link, nor what is outside.
#[test]
fn a_killed_run_s_scratch_dir_is_removed_by_the_next_run_and_nothing_else() {
    use std::os::unix::fs::PermissionsExt;
    let outside = TempTree::new();
    let tmp = outside.path().join("tmp");
    let victim = outside.path().join("victim");
    fs::create_dir_all(&tmp).unwrap();
    home_like(&victim);
    let before = fingerprint(&victim);
    let foreign = tmp.join("modlens-store-foreign");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join(".modlens-alive"), "").unwrap();
    std::os::unix::fs::symlink(&victim, tmp.join("modlens-demo-link")).unwrap();
    // modlens in this temp dir (with the tests' own state database).
    let demo = |args: &[&str]| {
        let mut cmd = modlens(args);
        cmd.env("TMPDIR", &tmp);
        cmd
    };
    // The demo directories in it that modlens made (with their lock file).
    let demo_dirs = || -> Vec<std::path::PathBuf> {
        fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("modlens-demo-")
                    && !p.is_symlink()
                    && p.join(".modlens-alive").exists()
            })
            .collect()
    };
    let killed = demo(&["--demo", "verify"])
        .env("MODLENS_FAULT_AT", "verify:example.com/hello@v1.0.0")
        .output()
        .unwrap();
    let signal = std::os::unix::process::ExitStatusExt::signal(&killed.status);
    assert_eq!(signal, Some(9), "{}", stderr(&killed));
    let dead = demo_dirs();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let dead = dead[0].clone();
    // A living run: its demo stays while the command it explains runs.
    let mut living = demo(&["--demo", "explain", "--", "sleep", "10"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while demo_dirs().len() < 2 {
        assert!(started.elapsed().as_secs() < 20, "the living run's demo");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Its lock is taken right after its lock file is made.
    std::thread::sleep(std::time::Duration::from_millis(200));
    // Lock files this young may not be locked yet by a living run: age them.
    for dir in demo_dirs() {
        fs::File::options()
            .write(true)
            .open(dir.join(".modlens-alive"))
            .unwrap()
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
            .unwrap();
    }
    assert_eq!(
        fs::metadata(&foreign).unwrap().permissions().mode() & 0o777,
        0o755
    );
    let out = demo(&["--demo", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dead.exists(), "the dead run's directory is removed");
    assert_eq!(demo_dirs().len(), 1, "the living run's directory is kept");
    living.kill().unwrap();
    living.wait().unwrap();
    assert!(foreign.join(".modlens-alive").exists(), "another's is kept");
    assert!(tmp.join("modlens-demo-link").is_symlink());
    machine::assert_unchanged(&victim, &before, "the victim");
}
