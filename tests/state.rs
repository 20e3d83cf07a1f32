//! The state database: scans recorded by `list` give `history`; a database that cannot be used
//! is a warning and never changes what a command prints or decides.

use std::fs;

use serde_json::Value;

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{modlens, stderr, stdout};

fn with_state(state: &std::path::Path, args: &[&str]) -> std::process::Output {
    modlens(args).env("MODLENS_STATE", state).output().unwrap()
}

/// [`with_state`] at noon of a fixed day plus `step` seconds (`MODLENS_NOW`): scans one
/// step apart, on the same day, without sleeping.
fn with_state_at(state: &std::path::Path, step: u64, args: &[&str]) -> std::process::Output {
    const NOON: u64 = 1_767_268_800; // 2026-01-01T12:00:00Z
    modlens(args)
        .env("MODLENS_STATE", state)
        .env("MODLENS_NOW", (NOON + step).to_string())
        .output()
        .unwrap()
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn list_records_scans_and_history_shows_the_growth() {
    let Some(go) = Go::find("list_records_scans_and_history_shows_the_growth") else {
        return;
    };
    go.download(&[FixtureModule::new(
        "example.com/first",
        "v1.0.0",
        "2024-01-01T00:00:00Z",
    )]);
    let state = go.sandbox.path().join("state.db");
    let cache = go.modcache().display().to_string();
    let out = with_state_at(&state, 0, &["list", "--cache", &cache]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    // A second module arrives a second later.
    go.download(&[
        FixtureModule::new("example.com/second", "v1.0.0", "2024-01-01T00:00:00Z")
            .file("big.txt", vec![b'x'; 100_000]),
    ]);
    let out = with_state_at(&state, 2, &["list", "--cache", &cache]);
    assert!(out.status.success());
    let out = with_state_at(&state, 3, &["history", "--json", "--cache", &cache]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let days = report["days"].as_array().unwrap();
    assert_eq!(days.len(), 1, "both scans today: {report:#}");
    let listed = crate::support::list_json(&go.modcache());
    assert_eq!(
        days[0]["disk_bytes"], listed["totals"]["disk_bytes"],
        "the day's total is the last scan's, list's own: {report:#}"
    );
    let growers = report["top_growers"].as_array().unwrap();
    assert_eq!(growers[0]["path"], "example.com/second", "{report:#}");
    assert!(
        growers[0]["change_bytes"].as_i64().unwrap() >= 100_000,
        "{report:#}"
    );
    let text = stdout(&with_state_at(&state, 3, &["history", "--cache", &cache]));
    assert!(
        text.contains("top growers:") && text.contains("example.com/second"),
        "{text}"
    );
    // The first day counts the change within it; one version is "1 version".
    assert!(
        days[0]["change_bytes"].as_i64().unwrap() >= 100_000,
        "{report:#}"
    );
    // A trash run says what it moved; a module that shrank is not a grower.
    let out = with_state_at(
        &state,
        4,
        &[
            "clean",
            "example.com/second",
            "--trash",
            "--yes",
            "--cache",
            &cache,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = with_state_at(
        &state,
        6,
        &["clean", "example.com/first", "--yes", "--cache", &cache],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&with_state_at(&state, 7, &["history", "--cache", &cache]));
    assert!(text.contains("moved 1 version to the trash"), "{text}");
    assert!(text.contains("removed 1 item"), "{text}");
    assert!(
        text.contains("shrank most:") && text.contains("example.com/first"),
        "{text}"
    );
    assert!(!text.contains("1 versions"), "{text}");
    // go's all-or-nothing cure removes the cache; what was recorded of it still shows.
    let cleaned = go.command(&["clean", "-modcache"]).output().unwrap();
    assert!(cleaned.status.success(), "{}", stderr(&cleaned));
    assert!(!go.modcache().exists());
    let out = with_state_at(&state, 8, &["history", "--cache", &cache]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no longer exists"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("removed 1 item"), "{}", stdout(&out));
    assert!(!go.modcache().exists(), "history created nothing");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn an_unusable_database_is_a_warning_and_changes_nothing_else() {
    let Some(go) = Go::find("an_unusable_database_is_a_warning") else {
        return;
    };
    go.download(&[FixtureModule::new(
        "example.com/first",
        "v1.0.0",
        "2024-01-01T00:00:00Z",
    )]);
    let cache = go.modcache().display().to_string();
    let without = modlens(&["list", "--json", "--no-state", "--cache", &cache])
        .output()
        .unwrap();
    assert!(without.status.success());
    let corrupt = go.sandbox.path().join("corrupt.db");
    fs::write(&corrupt, vec![0x5a; 8192]).unwrap();
    let inside = go.modcache().join("state.db");
    let out = with_state(&inside, &["list", "--json", "--cache", &cache]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("inside the module cache"),
        "{}",
        stderr(&out)
    );
    assert!(!inside.exists());
    {
        let state = &corrupt;
        let out = with_state(state, &["list", "--json", "--cache", &cache]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("warning: state database"),
            "{}",
            stderr(&out)
        );
        let strip = |o: &std::process::Output| {
            let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
            v["generated"] = Value::Null;
            v
        };
        assert_eq!(
            strip(&out),
            strip(&without),
            "the same report with or without it"
        );
    }
    assert!(!inside.exists(), "nothing is written inside the cache");
    let out = modlens(&["history", "--no-state", "--cache", &cache])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_demo_leaves_nothing_in_the_state_database() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    for args in [&["--demo", "list"][..], &["--demo", "verify"]] {
        let out = with_state(&state, args);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    }
    assert!(!state.exists(), "the demo recorded nothing");
}
