//! Versions published in shapes go downloads but cannot use: modlens must agree with go on the
//! hash of what go wrote, report what go refuses, and never call the way a version was
//! published "cache damage" with a re-fetch as the fix.

use std::fs;

use serde_json::Value;

use crate::support::go::{Go, parse_downloads};
use crate::support::proxy::{FixtureModule, raw_zip, write_proxy};
use crate::support::{run, stderr};

fn verify_entry(go: &Go, path: &str) -> (Option<i32>, Value) {
    let out = run(&[
        "verify",
        "--json",
        "--cache",
        go.modcache().to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("verify --json: {e}: {}", stderr(&out)));
    let entry = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .unwrap_or_else(|| panic!("{path} not verified: {report}"))
        .clone();
    (out.status.code(), entry)
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_zip_with_a_repeated_name_hashes_as_go_hashed_it_and_is_a_structure_problem() {
    let Some(go) = Go::find("a_zip_with_a_repeated_name") else {
        return;
    };
    let module = FixtureModule::new("example.com/dup", "v1.0.0", "2023-01-01T00:00:00Z");
    write_proxy(&go.proxy(), std::slice::from_ref(&module));
    let p = "example.com/dup@v1.0.0";
    let zip = raw_zip(&[
        (&format!("{p}/go.mod"), module.go_mod.as_bytes()),
        (&format!("{p}/x.go"), b"package first\n"),
        (&format!("{p}/a.go"), b"package a\n"),
        (&format!("{p}/x.go"), b"package second\n"),
    ]);
    fs::write(go.proxy().join("example.com/dup/@v/v1.0.0.zip"), zip).unwrap();
    let out = go
        .command(&["mod", "download", "-json", "example.com/dup@v1.0.0"])
        .output()
        .unwrap();
    let d = &parse_downloads(&out)[0];
    let error = d.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("multiple entries for file"),
        "go says: {error}"
    );
    let at_v = go.modcache().join("cache/download/example.com/dup/@v");
    let go_hash = fs::read_to_string(at_v.join("v1.0.0.ziphash")).unwrap();
    let (code, entry) = verify_entry(&go, "example.com/dup");
    assert_eq!(code, Some(1));
    assert_eq!(entry["hashes"]["zip"], go_hash.trim(), "{entry}");
    let kinds: Vec<&str> = entry["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["zip_structure"], "{entry}");
    assert!(
        entry["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("multiple entries")
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_go_mod_that_declares_another_path_is_a_note_not_damage() {
    let Some(go) = Go::find("a_go_mod_that_declares_another_path") else {
        return;
    };
    let mut module = FixtureModule::new("example.com/renamed", "v1.0.0", "2023-01-01T00:00:00Z");
    module.go_mod = "module example.com/original\n\ngo 1.18\n".into();
    go.download(std::slice::from_ref(&module));
    // go downloads and caches it, and refuses to use it in a build.
    let project = go.workdir().join("user");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("go.mod"),
        "module test.example/user\n\ngo 1.18\n\nrequire example.com/renamed v1.0.0\n",
    )
    .unwrap();
    fs::write(
        project.join("main.go"),
        "package main\n\nimport _ \"example.com/renamed\"\n\nfunc main() {}\n",
    )
    .unwrap();
    let out = go
        .command(&["build", "./..."])
        .current_dir(&project)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("module declares its path as"),
        "go says: {said}"
    );
    let (code, entry) = verify_entry(&go, "example.com/renamed");
    assert_eq!(code, Some(0), "{entry}");
    assert!(entry["problems"].as_array().unwrap().is_empty(), "{entry}");
    assert!(
        entry["notes"].to_string().contains("example.com/original"),
        "{entry}"
    );
}
