//! `modlens list` on hand-built caches: shapes go never writes by itself, such as leftovers of
//! interrupted work, names that do not decode, symlinks and vcs repositories.

use std::os::unix::fs::symlink;

use serde_json::Value;

use crate::support::fixture::HandCache;
use crate::support::go::du;
use crate::support::{entry, list_json, run, stderr, stdout};

fn leftover<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    report["leftovers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no leftover ending {suffix} in {}", report["leftovers"]))
}

fn has_entry(report: &Value, path: &str, version: &str) -> bool {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["path"] == path && e["version"] == version)
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn leftovers_of_interrupted_work_are_listed_by_kind() {
    let c = HandCache::new();
    c.version(
        "example.com/a",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    c.file(
        "cache/download/example.com/a/@v/v1.0.0.zip123456.tmp",
        "half a zip",
    );
    c.file("cache/download/example.com/a/@v/list.lock", "");
    c.file("example.com/a@v1.1.0.tmp-987/a.go", "package a\n");
    c.file("cache/download/example.com/b/@v/v1.0.0.partial", "");
    c.file("cache/download/example.com/b/@v/v1.0.0.lock", "");
    c.file("example.com/orphan@v1.0.0/o.go", "package o\n");

    let report = list_json(&c.root());
    let tmp = leftover(&report, "v1.0.0.zip123456.tmp");
    assert_eq!(tmp["kind"], "tmp_file");
    assert_eq!(
        (tmp["module"].as_str(), tmp["version"].as_str()),
        (Some("example.com/a"), Some("v1.0.0"))
    );
    assert_eq!(leftover(&report, "list.lock")["kind"], "legacy_lock");
    let tmp_dir = leftover(&report, "a@v1.1.0.tmp-987");
    assert_eq!(tmp_dir["kind"], "tmp_dir");
    assert_eq!(tmp_dir["version"], "v1.1.0");
    assert_eq!(tmp_dir["files"], 1);
    assert_eq!(
        leftover(&report, "b/@v/v1.0.0.partial")["kind"],
        "orphan_partial"
    );
    assert_eq!(leftover(&report, "orphan@v1.0.0")["kind"], "orphan_tree");
    assert!(
        !has_entry(&report, "example.com/b", "v1.0.0"),
        "a lone .partial and .lock are not a version"
    );
    assert!(!has_entry(&report, "example.com/orphan", "v1.0.0"));
    assert!(has_entry(&report, "example.com/a", "v1.0.0"));
    assert_eq!(report["totals"]["disk_bytes"], du(&c.root(), false));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn names_that_do_not_decode_are_reported_not_dropped() {
    let c = HandCache::new();
    c.file("Example.com/upper@v1.0.0/x.go", "package x\n");
    c.file("example.com/short@v1.2/x.go", "package x\n");
    c.file(
        "example.com/notadir@v1.0.0",
        "a file where a tree should be",
    );
    c.file("example.com/m/v2@v1.0.0/x.go", "package x\n");
    c.file("cache/download/example.com/bad/@v/v1.2.info", "{}");
    c.file("cache/download/example.com/bad/@v/README", "what is this");
    c.file("stray.txt", "a file at the root");

    let report = list_json(&c.root());
    for suffix in [
        "Example.com/upper@v1.0.0",
        "short@v1.2",
        "notadir@v1.0.0",
        "m/v2@v1.0.0",
        "v1.2.info",
        "README",
        "stray.txt",
    ] {
        let l = leftover(&report, suffix);
        assert_eq!(l["kind"], "unrecognized", "{suffix}");
        assert!(l["reason"].is_string(), "{suffix} has a reason");
    }
    assert!(report["entries"].as_array().unwrap().is_empty());
    assert_eq!(report["totals"]["disk_bytes"], du(&c.root(), false));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn partial_pieces_still_make_a_version() {
    let c = HandCache::new();
    // The module-graph walk leaves .info and .mod only.
    c.file(
        "cache/download/example.com/graph/@v/v1.0.0.info",
        r#"{"Version":"v1.0.0","Time":"2020-01-01T00:00:00Z"}"#,
    );
    c.file(
        "cache/download/example.com/graph/@v/v1.0.0.mod",
        "module example.com/graph\n",
    );
    // A tree whose zip was deleted: still usable by go.
    c.version(
        "example.com/nozip",
        "v1.0.0",
        "v1.0.0",
        &[("x.go", "package x\n")],
    );
    std::fs::remove_file(c.path("cache/download/example.com/nozip/@v/v1.0.0.zip")).unwrap();
    // An interrupted extraction.
    c.version(
        "example.com/partial",
        "v1.0.0",
        "v1.0.0",
        &[("x.go", "package x\n")],
    );
    c.file("cache/download/example.com/partial/@v/v1.0.0.partial", "");

    let report = list_json(&c.root());
    let graph = entry(&report, "example.com/graph", "v1.0.0");
    assert_eq!(
        (graph["extracted"].as_bool(), graph["has_zip"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(graph["dir"].is_null() && graph["zip"].is_null());
    assert_eq!(graph["published"], "2020-01-01T00:00:00Z");
    let nozip = entry(&report, "example.com/nozip", "v1.0.0");
    assert_eq!(
        (nozip["extracted"].as_bool(), nozip["has_zip"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(
        entry(&report, "example.com/partial", "v1.0.0")["pieces"]["partial"],
        true
    );
    assert_eq!(report["totals"]["disk_bytes"], du(&c.root(), false));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn info_problems_are_data_and_toolchains_have_their_kind() {
    let c = HandCache::new();
    c.version("example.com/garbled", "v1.0.0", "v1.0.0", &[]);
    c.file(
        "cache/download/example.com/garbled/@v/v1.0.0.info",
        "{not json",
    );
    c.version("example.com/wrong", "v1.0.0", "v1.0.1", &[]);
    c.version(
        "golang.org/toolchain",
        "v0.0.1-go1.21.0.linux-amd64",
        "v0.0.1-go1.21.0.linux-amd64",
        &[("bin/go", "ELF")],
    );

    let report = list_json(&c.root());
    assert!(
        entry(&report, "example.com/garbled", "v1.0.0")["info_error"]
            .as_str()
            .unwrap()
            .contains("JSON")
    );
    assert!(
        entry(&report, "example.com/wrong", "v1.0.0")["info_error"]
            .as_str()
            .unwrap()
            .contains("v1.0.1")
    );
    assert_eq!(
        entry(
            &report,
            "golang.org/toolchain",
            "v0.0.1-go1.21.0.linux-amd64"
        )["kind"],
        "toolchain"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn symlinks_are_counted_as_links_and_never_followed() {
    let c = HandCache::new();
    std::fs::create_dir_all(c.outside()).unwrap();
    std::fs::write(c.outside().join("big"), vec![7u8; 1 << 20]).unwrap();
    c.version(
        "example.com/a",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    symlink(c.outside(), c.path("example.com/a@v1.0.0/escape")).unwrap();
    symlink(c.outside(), c.path("example.com/link@v1.0.0")).unwrap();

    let report = list_json(&c.root());
    let a = entry(&report, "example.com/a", "v1.0.0");
    assert!(
        a["disk_bytes"].as_u64().unwrap() < 1 << 20,
        "the 1 MiB file outside was not counted: {a}"
    );
    assert_eq!(leftover(&report, "link@v1.0.0")["kind"], "unrecognized");
    assert_eq!(report["totals"]["disk_bytes"], du(&c.root(), false));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn vcs_repositories_and_sumdb_are_accounted_for() {
    let c = HandCache::new();
    let hash = "b2f02d6f27c4649eccd98c249abe9f06b329934610ccddb3d63d6c9da1ae121d";
    c.file(
        &format!("cache/vcs/{hash}.info"),
        "git3:https://github.com/Acme/Widget",
    );
    c.file(&format!("cache/vcs/{hash}.lock"), "");
    c.file(&format!("cache/vcs/{hash}/HEAD"), "ref: refs/heads/main\n");
    let no_info = "0".repeat(64);
    c.file(
        &format!("cache/vcs/{no_info}/config"),
        "[core]\n\tbare = true\n[remote \"origin\"]\n\turl = https://example.com/r\n",
    );
    c.file("cache/vcs/junk", "?");
    c.file(
        "cache/download/sumdb/sum.golang.org/lookup/example.com/a@v1.0.0",
        "3\nexample.com/a v1.0.0 h1:x\n",
    );
    c.file("cache/lock", "");

    let report = list_json(&c.root());
    let repos = report["vcs"].as_array().unwrap();
    assert_eq!(repos.len(), 2, "{repos:?}");
    let widget = repos.iter().find(|r| r["hash"] == hash).unwrap();
    assert_eq!(
        (widget["vcs"].as_str(), widget["remote"].as_str()),
        (Some("git"), Some("https://github.com/Acme/Widget"))
    );
    assert_eq!(widget["info_matches"], true);
    let recovered = repos
        .iter()
        .find(|r| r["hash"] == no_info.as_str())
        .unwrap();
    assert_eq!(recovered["remote"], "https://example.com/r");
    assert_eq!(recovered["info_matches"], false);
    assert_eq!(leftover(&report, "cache/vcs/junk")["kind"], "unrecognized");
    assert_eq!(report["sumdb"]["files"], 1);
    assert!(report["totals"]["sumdb_disk_bytes"].as_u64().unwrap() > 0);
    assert_eq!(report["totals"]["disk_bytes"], du(&c.root(), false));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn human_output_is_a_table_with_a_totals_line() {
    let c = HandCache::new();
    c.version(
        "example.com/a",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    c.version(
        "example.com/a",
        "v1.10.0",
        "v1.10.0",
        &[("a.go", "package a\n")],
    );
    c.version(
        "example.com/a",
        "v1.9.0",
        "v1.9.0",
        &[("a.go", "package a\n")],
    );
    let out = run(&["list", "--cache", c.root().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("MODULE"), "{text}");
    let versions: Vec<&str> = lines[1..4]
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        versions,
        ["v1.0.0", "v1.9.0", "v1.10.0"],
        "Go's version order, not string order"
    );
    assert!(lines[4].contains("3 versions of 1 module 72 KiB"), "{text}");
    assert!(lines[4].contains("on disk"), "{text}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn hard_linked_files_are_counted_once_as_du_counts_them() {
    let c = HandCache::new();
    c.version(
        "example.com/a",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    c.version(
        "example.com/a",
        "v1.1.0",
        "v1.1.0",
        &[("a.go", "package a\n")],
    );
    std::fs::write(
        c.path("example.com/a@v1.0.0/big.bin"),
        vec![1u8; 256 * 1024],
    )
    .unwrap();
    std::fs::hard_link(
        c.path("example.com/a@v1.0.0/big.bin"),
        c.path("example.com/a@v1.1.0/big.bin"),
    )
    .unwrap();

    let report = list_json(&c.root());
    let sizes: Vec<u64> = ["v1.0.0", "v1.1.0"]
        .iter()
        .map(|v| {
            entry(&report, "example.com/a", v)["disk_bytes"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(
        sizes.iter().filter(|&&s| s > 256 * 1024).count() == 1,
        "one of them owns the file: {sizes:?}"
    );
    assert_eq!(report["totals"]["disk_bytes"], du(&c.root(), false));
    assert_eq!(report["totals"]["apparent_bytes"], du(&c.root(), true));
}
