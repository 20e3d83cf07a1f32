//! `--project` as go reads go.sum: every `h1:` line of every named project is checked on its
//! own, lines of other algorithms are ignored, a go.work brings the go.sum of every module it
//! uses, and a module without dependencies (no go.sum) is a note, not an error. The go.sum files
//! are written by the real go; the wrong lines are planted by hand, as a hand edit would.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{run, stderr};

const WRONG: &str = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

fn verify(cache: &Path, projects: &[&Path]) -> (Option<i32>, Value, String) {
    let mut args = vec!["verify", "--json", "--cache", cache.to_str().unwrap()];
    for p in projects {
        args.extend(["--project", p.to_str().unwrap()]);
    }
    let out = run(&args);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("modlens verify --json: {e}; stderr: {}", stderr(&out)));
    (out.status.code(), report, stderr(&out))
}

/// The problems reported for `path@v1.0.0`, as "kind: detail".
fn problems(report: &Value, path: &str) -> Vec<String> {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"] == path)
        .flat_map(|e| e["problems"].as_array().unwrap().clone())
        .map(|p| {
            format!(
                "{}: {}",
                p["kind"].as_str().unwrap(),
                p["detail"].as_str().unwrap()
            )
        })
        .collect()
}

fn setup() -> Option<Go> {
    let go = Go::find("gosum_go")?;
    go.download(&[FixtureModule::new(
        "example.com/dep",
        "v1.0.0",
        "2023-01-01T00:00:00Z",
    )]);
    Some(go)
}

/// Appends a line to a go.sum go wrote.
fn append(go_sum: &Path, line: &str) {
    let mut text = fs::read_to_string(go_sum).unwrap();
    text.push_str(line);
    text.push('\n');
    fs::write(go_sum, text).unwrap();
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn one_projects_wrong_line_is_a_mismatch_even_when_another_agrees() {
    let Some(go) = setup() else { return };
    let good = go.project("good", &[("example.com/dep", "v1.0.0")]);
    let bad = go.project("bad", &[("example.com/dep", "v1.0.0")]);
    let bad_sum = bad.join("go.sum");
    let text = fs::read_to_string(&bad_sum).unwrap();
    let edited: String = text
        .lines()
        .map(|l| {
            if l.starts_with("example.com/dep v1.0.0 h1:") {
                format!("example.com/dep v1.0.0 {WRONG}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    fs::write(&bad_sum, edited).unwrap();
    let (code, report, _) = verify(&go.modcache(), &[&good, &bad]);
    assert_eq!(code, Some(1), "{report}");
    let found = problems(&report, "example.com/dep");
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("gosum_mismatch")
                && p.contains(&format!("{}:", bad_sum.display()))),
        "{found:?}"
    );
    // The good project alone agrees with the cache, as go mod verify there would.
    let (code, report, _) = verify(&go.modcache(), &[&good]);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn lines_of_other_hash_algorithms_are_ignored_as_go_ignores_them() {
    let Some(go) = setup() else { return };
    let project = go.project("h2", &[("example.com/dep", "v1.0.0")]);
    append(
        &project.join("go.sum"),
        "example.com/dep v1.0.0 h2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    );
    // go itself still accepts the project offline.
    let out = go
        .command(&["mod", "verify"])
        .current_dir(&project)
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, report, _) = verify(&go.modcache(), &[&project]);
    assert_eq!(code, Some(0), "{report}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_workspace_brings_the_go_sum_of_every_module_it_uses() {
    let Some(go) = setup() else { return };
    let ws = go.workdir().join("ws");
    let a = go.project("ws/a", &[("example.com/dep", "v1.0.0")]);
    let b = go.project("ws/b", &[("example.com/dep", "v1.0.0")]);
    fs::write(
        ws.join("go.work"),
        "go 1.18\n\nuse (\n\t./a\n\t./b // second\n)\n",
    )
    .unwrap();
    let (code, report, _) = verify(&go.modcache(), &[&ws]);
    assert_eq!(code, Some(0), "{report}");
    let listed = report.to_string();
    assert!(
        listed.contains(&a.join("go.sum").display().to_string()),
        "{report}"
    );
    append(
        &b.join("go.sum"),
        &format!("example.com/dep v1.0.0/go.mod {WRONG}"),
    );
    let (code, report, _) = verify(&go.modcache(), &[&ws]);
    assert_eq!(code, Some(1), "{report}");
    let found = problems(&report, "example.com/dep");
    assert!(
        found.iter().any(|p| p.starts_with("gomod_sum_mismatch")
            && p.contains(&b.join("go.sum").display().to_string())),
        "{found:?}"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_module_without_dependencies_has_no_go_sum_and_that_is_a_note() {
    let Some(go) = setup() else { return };
    let lonely = go.workdir().join("lonely");
    fs::create_dir_all(&lonely).unwrap();
    fs::write(
        lonely.join("go.mod"),
        "module test.example/lonely\n\ngo 1.18\n",
    )
    .unwrap();
    // go agrees there is nothing to verify.
    let out = go
        .command(&["mod", "verify"])
        .current_dir(&lonely)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, report, err) = verify(&go.modcache(), &[&lonely]);
    assert_eq!(code, Some(0), "{report} {err}");
    assert!(err.contains("note") && err.contains("no go.sum"), "{err}");
    assert!(err.contains("no dependencies"), "{err}");
    // A module with dependencies whose build stopped before go wrote go.sum (offline, the
    // requirement cannot be fetched): the note does not call it dependency-free.
    let stopped = go.workdir().join("stopped");
    fs::create_dir_all(&stopped).unwrap();
    fs::write(
        stopped.join("go.mod"),
        "module test.example/stopped\n\ngo 1.18\n\nrequire example.com/absent v1.0.0\n",
    )
    .unwrap();
    fs::write(
        stopped.join("main.go"),
        "package main\n\nimport _ \"example.com/absent\"\n\nfunc main() {}\n",
    )
    .unwrap();
    let out = go.build(&stopped).env("GOPROXY", "off").output().unwrap();
    assert!(!out.status.success() && !stopped.join("go.sum").exists());
    let (code, report, err) = verify(&go.modcache(), &[&stopped]);
    assert_eq!(code, Some(0), "{report} {err}");
    assert!(
        err.contains("no go.sum") && err.contains("requires modules"),
        "{err}"
    );
    assert!(!err.contains("no dependencies"), "{err}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_missing_ziphash_confirmed_by_go_sum_is_written_offline_as_go_wrote_it() {
    let Some(go) = setup() else { return };
    let project = go.project("p", &[("example.com/dep", "v1.0.0")]);
    let ziphash = go
        .modcache()
        .join("cache/download/example.com/dep/@v/v1.0.0.ziphash");
    let written_by_go = fs::read(&ziphash).unwrap();
    fs::remove_file(&ziphash).unwrap();
    let fix = |projects: &[&Path]| -> String {
        let (_, report, _) = verify(&go.modcache(), projects);
        let entry = &report["entries"][0];
        assert_eq!(entry["problems"][0]["kind"], "ziphash_missing", "{entry}");
        entry["problems"][0]["fix"].as_str().unwrap().to_owned()
    };
    assert_eq!(fix(&[]), "refetch", "nothing confirms the zip's hash");
    assert_eq!(fix(&[&project]), "write_ziphash");
    let out = crate::support::modlens(&["refetch", "--broken", "--yes", "--json"])
        .arg("--cache")
        .arg(go.modcache())
        .arg("--project")
        .arg(&project)
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        crate::support::stdout(&out),
        stderr(&out)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["repaired"][0]["action"], ".ziphash written",
        "{report}"
    );
    assert_eq!(
        fs::read(&ziphash).unwrap(),
        written_by_go,
        "byte for byte as go wrote it"
    );
    let (ok, err) = go.mod_verify(&project);
    assert!(ok, "go mod verify: {err}");
}
