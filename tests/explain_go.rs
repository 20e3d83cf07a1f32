//! `modlens explain` on what the real go printed: each failure is produced by running go on a
//! damaged cache, a damaged go.sum, a module published under another path, or a private
//! repository git cannot reach, and its output is what modlens reads. No message is typed by
//! hand.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::doctor_go::{build_offline, go_in, leaf_at_v, leaf_tree, setup};
use crate::support::go::Go;
use crate::support::go::shared_gocache;
use crate::support::proxy::FixtureModule;
use crate::support::{fingerprint, stderr, stdout};

/// `modlens explain --json` with go's output on stdin, in `dir`.
fn explain_stdin(go: &Go, dir: &Path, said: &[u8]) -> (Option<i32>, Value) {
    let out = explain_with_input(go, dir, &["--json"], said);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), report)
}

/// `modlens explain ARGS` with `said` on stdin.
fn explain_with_input(go: &Go, dir: &Path, args: &[&str], said: &[u8]) -> Output {
    let mut child = explain_cmd(go, dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(said).unwrap();
    child.wait_with_output().unwrap()
}

fn explain_cmd(go: &Go, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
    cmd.arg("explain")
        .arg("--cache")
        .arg(go.modcache())
        .args(args);
    go.sandbox_env(&mut cmd);
    cmd.env("GOCACHE", shared_gocache()).current_dir(dir);
    cmd
}

/// The one error explained about `path`.
fn error_about<'a>(report: &'a Value, path: &str) -> &'a Value {
    let errors = report["errors"].as_array().unwrap();
    let about: Vec<&Value> = errors.iter().filter(|e| e["module"] == path).collect();
    assert_eq!(about.len(), 1, "{report:#}");
    about[0]
}

fn said(out: &Output) -> Vec<u8> {
    let mut all = out.stdout.clone();
    all.extend(&out.stderr);
    all
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_broken_zip_is_the_caches_fault_and_explain_fix_makes_the_build_pass() {
    let Some(go) = Go::find("explain_a_broken_zip") else {
        return;
    };
    let dir = setup(&go);
    fs::write(leaf_at_v(&go.modcache()).join("v1.0.0.zip"), "garbage").unwrap();
    fs::remove_dir_all(leaf_tree(&go.modcache())).unwrap();
    let out = build_offline(&go, &dir);
    assert!(!out.status.success());
    let (code, report) = explain_stdin(&go, &dir, &said(&out));
    assert_eq!(code, Some(1));
    let e = error_about(&report, "example.com/leaf");
    assert_eq!(e["kind"], "zip_invalid", "{e:#}");
    assert_eq!(e["version"], "v1.0.0");
    assert_eq!(e["at_fault"], "cache", "{e:#}");
    assert_eq!(e["cache"], "broken");
    // The fix it prints works when pasted: with the project whose go.sum it was judged against.
    assert!(
        e["advice"]
            .as_str()
            .unwrap()
            .contains("modlens refetch example.com/leaf@v1.0.0 --project "),
        "{e:#}"
    );
    assert_eq!(
        report["errors"].as_array().unwrap().len(),
        1,
        "the importer (example.com/dep) is not blamed: {report:#}"
    );
    // Run the build through explain, fix what it finds, and build again.
    let go_bin = crate::support::go::go_binary().unwrap();
    let out = explain_cmd(
        &go,
        &dir,
        &[
            "--fix",
            "--yes",
            "--",
            go_bin.to_str().unwrap(),
            "build",
            "-o",
            "/dev/null",
            ".",
        ],
    )
    .env("GOFLAGS", "-mod=readonly")
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("example.com/leaf@v1.0.0: re-fetched, verified"));
    assert!(stderr(&out).contains("succeeds now"), "{}", stderr(&out));
    assert!(build_offline(&go, &dir).status.success());
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_modified_tree_reported_by_go_mod_verify_is_the_caches_fault() {
    let Some(go) = Go::find("explain_a_modified_tree") else {
        return;
    };
    let dir = setup(&go);
    fs::write(leaf_tree(&go.modcache()).join("extra.go"), "package leaf\n").unwrap();
    let out = go.mod_verify_output(&dir);
    assert!(!out.status.success());
    let (code, report) = explain_stdin(&go, &dir, &said(&out));
    assert_eq!(code, Some(1));
    let e = error_about(&report, "example.com/leaf");
    assert_eq!(e["kind"], "dir_modified", "{e:#}");
    assert_eq!(e["at_fault"], "cache", "{e:#}");
    assert!(
        e["advice"].as_str().unwrap().contains("re-extract"),
        "{e:#}"
    );
    // go's output after 100 MB of other output (a long CI log), on stdin and in a file, and
    // through a pipe named as FILE (`explain <(go mod verify 2>&1)`): its end is what counts.
    let mut long = b"noise from an earlier step\n".repeat(4 << 20);
    long.extend(said(&out));
    let (code, report) = explain_stdin(&go, &dir, &long);
    assert_eq!(code, Some(1));
    assert_eq!(
        error_about(&report, "example.com/leaf")["kind"],
        "dir_modified"
    );
    // As a CI log shows it, each line after a timestamp (GitHub Actions) or BuildKit's step.
    for stamp in ["2026-12-07T04:00:00.1234567Z ", "#12 4.123 "] {
        let stamped: String = String::from_utf8_lossy(&said(&out))
            .lines()
            .map(|l| format!("{stamp}{l}\n"))
            .collect();
        let (code, report) = explain_stdin(&go, &dir, stamped.as_bytes());
        assert_eq!(code, Some(1), "{stamp}");
        let e = error_about(&report, "example.com/leaf");
        assert_eq!(e["kind"], "dir_modified", "{stamp}: {e:#}");
        assert_eq!(e["at_fault"], "cache", "{stamp}: {e:#}");
    }
    let log = go.workdir().join("ci.log");
    fs::write(&log, &long).unwrap();
    let fifo = go.workdir().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let (fifo, text) = (fifo.clone(), said(&out));
        std::thread::spawn(move || fs::write(fifo, text).unwrap())
    };
    for file in [&log, &fifo] {
        let out = explain_cmd(&go, &dir, &["--json"])
            .arg(file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            error_about(&report, "example.com/leaf")["kind"],
            "dir_modified"
        );
    }
    writer.join().unwrap();
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_version_missing_offline_is_to_be_downloaded() {
    let Some(go) = Go::find("explain_a_missing_version") else {
        return;
    };
    let dir = setup(&go);
    fs::remove_dir_all(go.modcache().join("cache/download/example.com/leaf")).unwrap();
    fs::remove_dir_all(leaf_tree(&go.modcache())).unwrap();
    let out = build_offline(&go, &dir);
    assert!(!out.status.success());
    let (_, report) = explain_stdin(&go, &dir, &said(&out));
    let e = error_about(&report, "example.com/leaf");
    assert_eq!(e["kind"], "lookup_disabled", "{e:#}");
    assert_eq!(e["cache"], "missing", "{e:#}");
    assert_eq!(e["at_fault"], "cache", "{e:#}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_security_error_is_decided_by_a_fresh_download() {
    let Some(go) = Go::find("explain_a_security_error") else {
        return;
    };
    // The go.sum line was edited: the fresh download disagrees with it too, and the cache
    // stays as it was.
    let dir = setup(&go);
    let sum = fs::read_to_string(dir.join("go.sum")).unwrap();
    let edited: String = sum
        .lines()
        .map(|l| {
            if l.starts_with("example.com/leaf v1.0.0 h1:") {
                "example.com/leaf v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned()
            } else {
                l.to_owned()
            }
        })
        .map(|l| l + "\n")
        .collect();
    fs::write(dir.join("go.sum"), edited).unwrap();
    fs::remove_dir_all(leaf_tree(&go.modcache())).unwrap();
    let out = build_offline(&go, &dir);
    assert!(stderr(&out).contains("SECURITY ERROR"), "{}", stderr(&out));
    let (_, report) = explain_stdin(&go, &dir, &said(&out));
    let e = error_about(&report, "example.com/leaf");
    assert_eq!(e["kind"], "checksum_mismatch", "{e:#}");
    assert_eq!(e["at_fault"], "cache_or_gosum", "{e:#}");
    let before = fingerprint(&go.modcache().join("cache/download/example.com/leaf"));
    let fixed = explain_with_input(&go, &dir, &["--json", "--fix", "--yes"], &said(&out));
    assert_eq!(fixed.status.code(), Some(1), "{}", stdout(&fixed));
    assert!(
        stdout(&fixed).contains("checksum mismatch"),
        "{}",
        stdout(&fixed)
    );
    assert_eq!(
        fingerprint(&go.modcache().join("cache/download/example.com/leaf")),
        before,
        "a download that disagrees with go.sum changes nothing"
    );

    // The cached .mod was edited: the fresh download matches go.sum and replaces it.
    let go = Go::find("explain_a_security_error").unwrap();
    let dir = setup(&go);
    let path = leaf_at_v(&go.modcache()).join("v1.0.0.mod");
    crate::support::make_writable(&path);
    fs::write(&path, "module example.com/leaf\n\ngo 1.99\n").unwrap();
    let out = build_offline(&go, &dir);
    assert!(stderr(&out).contains("SECURITY ERROR"), "{}", stderr(&out));
    let (_, report) = explain_stdin(&go, &dir, &said(&out));
    let e = error_about(&report, "example.com/leaf");
    assert_eq!(e["kind"], "checksum_mismatch", "{e:#}");
    assert_eq!(e["at_fault"], "cache_or_gosum", "{e:#}");
    let fixed = explain_with_input(&go, &dir, &["--fix", "--yes"], &said(&out));
    assert_eq!(fixed.status.code(), Some(0), "{}", stdout(&fixed));
    assert!(build_offline(&go, &dir).status.success());
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn causes_outside_the_cache_are_named_as_such() {
    let Some(go) = Go::find("explain_causes_outside_the_cache") else {
        return;
    };
    // A module published under another path.
    let mut renamed = FixtureModule::new("example.com/renamed", "v1.0.0", "2023-01-01T00:00:00Z");
    renamed.go_mod = "module example.com/original\n\ngo 1.18\n".into();
    renamed.files = vec![("r.go", b"package original\n".to_vec())];
    go.download(&[renamed]);
    let dir = go.workdir().join("user");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("go.mod"),
        "module test.example/user\n\ngo 1.18\n\nrequire example.com/renamed v1.0.0\n",
    )
    .unwrap();
    fs::write(
        dir.join("main.go"),
        "package main\n\nimport _ \"example.com/renamed\"\n\nfunc main() {}\n",
    )
    .unwrap();
    let out = go_in(&go, &dir, &["build", "./..."]).output().unwrap();
    let (_, report) = explain_stdin(&go, &dir, &said(&out));
    let e = error_about(&report, "example.com/renamed");
    assert_eq!(e["kind"], "declares_other_path", "{e:#}");
    assert_eq!(e["at_fault"], "elsewhere", "{e:#}");
    // The doctor says the same of that project: go refuses the version as published.
    let (code, report) = crate::doctor_go::doctor_json(&go, &dir, &[]);
    assert_eq!(code, Some(1), "{report:#}");
    let renamed = crate::doctor_go::module(&report, "example.com/renamed");
    assert_eq!(renamed["state"], "unusable", "{renamed:#}");
    assert!(
        renamed["unusable"]
            .as_str()
            .unwrap()
            .contains("example.com/original"),
        "{renamed:#}"
    );

    // A go.sum without the lines a build needs.
    let dir = setup(&go);
    let sum = fs::read_to_string(dir.join("go.sum")).unwrap();
    let kept: String = sum
        .lines()
        .filter(|l| !l.starts_with("example.com/leaf "))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(dir.join("go.sum"), kept).unwrap();
    let out = build_offline(&go, &dir);
    assert!(!out.status.success());
    let (_, report) = explain_stdin(&go, &dir, &said(&out));
    let kinds: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"missing_gosum_entry"), "{report:#}");
    assert!(
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["at_fault"] == "elsewhere"),
        "{report:#}"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_private_module_git_cannot_fetch_is_about_access() {
    let Some(go) = Go::find("explain_a_private_module") else {
        return;
    };
    let has_git = Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_git {
        crate::support::go::missing_tool("explain_a_private_module", "git", "git");
        return;
    }
    // go fetches a `.git` path directly with git; git is pointed at a bare repository that
    // does not exist, so it fails with exit status 128 without any network.
    let config = go.sandbox.path().join("gitconfig");
    fs::write(
        &config,
        format!(
            "[url \"file://{}/\"]\n\tinsteadOf = https://example.com/\n\tinsteadOf = git://example.com/\n",
            go.sandbox.path().join("no-such-repos").display()
        ),
    )
    .unwrap();
    let dir = go.workdir().join("private");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("go.mod"),
        "module test.example/private\n\ngo 1.18\n",
    )
    .unwrap();
    let out = go_in(&go, &dir, &["get", "example.com/secret.git@v1.0.0"])
        .env("GOPROXY", "direct")
        .env("GOPRIVATE", "example.com")
        .env("GIT_CONFIG_GLOBAL", &config)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    // Each go in its own words: git's exit status (go 1.19), or the protocols it tried (1.22+).
    assert!(
        stderr(&out).contains("exit status 128")
            || stderr(&out).contains("no secure protocol found for repository"),
        "{}",
        stderr(&out)
    );
    let (_, report) = explain_stdin(&go, &dir, &said(&out));
    let e = error_about(&report, "example.com/secret.git");
    assert_eq!(e["kind"], "git_failed", "{e:#}");
    assert_eq!(e["at_fault"], "elsewhere", "{e:#}");
    assert!(e["advice"].as_str().unwrap().contains("GOPRIVATE"), "{e:#}");
}

/// go 1.21 and later download a version whose go.mod needs a newer go, then refuse it
/// (GOTOOLCHAIN=local): a toolchain matter. Older go builds it. The test asks the go it runs.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_version_needing_a_newer_go_is_the_toolchain_s_matter() {
    let Some(go) = Go::find("a_version_needing_a_newer_go") else {
        return;
    };
    let mut future = FixtureModule::new("example.com/future", "v1.0.0", "2023-01-01T00:00:00Z");
    future.go_mod = "module example.com/future\n\ngo 1.99\n".into();
    future.files = vec![("f.go", b"package future\n".to_vec())];
    crate::support::proxy::write_proxy(&go.proxy(), &[future]);
    let dir = go.workdir().join("user");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("go.mod"),
        "module test.example/user\n\ngo 1.18\n\nrequire example.com/future v1.0.0\n",
    )
    .unwrap();
    fs::write(
        dir.join("main.go"),
        "package main\n\nimport _ \"example.com/future\"\n\nfunc main() {}\n",
    )
    .unwrap();
    let out = go_in(&go, &dir, &["build", "./..."]).output().unwrap();
    if out.status.success() {
        eprintln!("this go (before 1.21) builds a version needing a newer go; nothing to check");
        return;
    }
    assert!(
        stderr(&out).contains("requires go >= 1.99"),
        "{}",
        stderr(&out)
    );
    let (_, report) = explain_stdin(&go, &dir, &said(&out));
    let e = error_about(&report, "example.com/future");
    assert_eq!(e["kind"], "needs_newer_go", "{e:#}");
    assert_eq!(e["at_fault"], "elsewhere", "{e:#}");
    let (code, report) = crate::doctor_go::doctor_json(&go, &dir, &[]);
    assert_eq!(code, Some(1), "{report:#}");
    let m = crate::doctor_go::module(&report, "example.com/future");
    assert_eq!(m["state"], "needs_newer_go", "{m:#}");
    // A refetch through go succeeds: go wrote good files although it reported the error.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
    cmd.args(["refetch", "example.com/future@v1.0.0", "--yes", "--cache"])
        .arg(go.modcache());
    go.sandbox_env(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("re-fetched"), "{}", stdout(&out));
}

/// A version's lost `.mod`: go 1.21 and later name only the importing source position
/// (`dep.go:3:8: module lookup disabled by GOPROXY=off`). explain finds the import there and the
/// requirement that provides it, names the version, and its fix restores the `.mod` offline,
/// after which the build passes.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_lost_mod_is_named_through_the_import_go_points_at() {
    let Some(go) = Go::find("explain_a_lost_mod") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/a", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package m\n"),
    ]);
    let dir = go.project("p", &[("example.com/a", "v1.0.0")]);
    fs::write(
        dir.join("main.go"),
        "package main\n\nimport _ \"example.com/a\"\n\nfunc main() {}\n",
    )
    .unwrap();
    let build = || {
        go.build(&dir)
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=readonly")
            .output()
            .unwrap()
    };
    crate::support::assert_ok(&build(), "the fixture builds");
    let at_v = go.modcache().join("cache/download/example.com/a/@v");
    fs::remove_file(at_v.join("v1.0.0.mod")).unwrap();
    let out = build();
    assert!(!out.status.success());
    let go_named_it = String::from_utf8_lossy(&said(&out)).contains("example.com/a@v1.0.0");
    let (code, report) = explain_stdin(&go, &dir, &said(&out));
    assert_eq!(code, Some(1));
    let e = error_about(&report, "example.com/a");
    assert_eq!(e["version"], "v1.0.0", "{e:#}");
    assert_eq!(e["at_fault"], "cache", "{e:#}");
    assert_eq!(e["cache"], "broken", "{e:#}");
    assert!(
        e["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("mod_missing"),
        "{e:#}"
    );
    // Ask the go under test which words it used.
    if go_named_it {
        assert!(e.get("found_by").is_none(), "{e:#}");
    } else {
        assert!(
            e["found_by"]
                .as_str()
                .is_some_and(|f| f.contains("main.go:3:8 imports example.com/a;")),
            "{e:#}"
        );
    }
    let out = explain_with_input(&go, &dir, &["--fix", "--yes"], &said(&build()));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("example.com/a@v1.0.0: .mod restored from the zip, verified"),
        "{}",
        stdout(&out)
    );
    crate::support::assert_ok(&build(), "the build after the fix");
}

/// go 1.21+'s position-only errors: the import at the position, and the requirement that
/// provides it (the longest path), unless a replace directive replaces it.
#[test]
fn the_import_at_a_position_names_the_module_that_provides_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        "module p\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/a/sub v0.2.0\n\
         \texample.com/r v1.0.0\n)\n\nreplace example.com/r => ../r\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.go"),
        "package main\n\nimport (\n\t_ \"example.com/a/pkg\"\n\tx `example.com/a/sub/deep`\n\
         \t_ \"example.com/r\"\n)\n",
    )
    .unwrap();
    let dirs = [dir.path().to_path_buf()];
    let at = |line: &str| modlens::ops::plan::imports::imported_at(line, &dirs, dir.path());
    let got = at("main.go:4:2").unwrap();
    assert_eq!(got.key.to_string(), "example.com/a@v1.0.0");
    assert_eq!(got.import, "example.com/a/pkg");
    assert_eq!(got.position, "main.go:4:2");
    let got = at("main.go:5:2").unwrap();
    assert_eq!(
        got.key.to_string(),
        "example.com/a/sub@v0.2.0",
        "the longest path"
    );
    assert_eq!(at("main.go:6:2"), None, "replaced");
    assert_eq!(at("main.go:1:1"), None, "no import there");
    assert_eq!(at("main.go:99:1"), None);
    assert_eq!(at("other.go:4:2"), None);
    assert_eq!(at("go.mod:3"), None);
}
