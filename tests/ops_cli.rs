//! `modlens clean` and `modlens refetch` as users run them, on caches the real go wrote: bad
//! input changes nothing, policies select what they say, and a SIGKILL at any step of a delete
//! or repair leaves a cache that go accepts and `refetch --broken` fully repairs.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use crate::support::go::Go;
use crate::support::proxy::{FixtureModule, standard_modules};
use crate::support::{make_writable, modlens, output, stderr, stdout};

/// Every file below `root`, for "nothing changed" checks.
fn listing(root: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .map(|e| e.path().display().to_string())
        .collect()
}

/// modlens on the sandbox's cache with its go settings, so re-fetches reach the file://
/// proxy.
fn ml(go: &Go, args: &[&str]) -> Command {
    go.modlens(&go.modcache(), args)
}

fn versions(go: &Go) -> BTreeSet<String> {
    let out = output(&mut ml(go, &["list", "--json"]));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}@{}",
                e["path"].as_str().unwrap(),
                e["version"].as_str().unwrap()
            )
        })
        .collect()
}

fn verify_code(go: &Go) -> (Option<i32>, Value) {
    let out = output(&mut ml(go, &["verify", "--json"]));
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
    )
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn bad_values_and_missing_consent_change_nothing() {
    let Some(go) = Go::find("bad_values_and_missing_consent_change_nothing") else {
        return;
    };
    go.download(&standard_modules());
    let before = listing(&go.modcache());
    let cases: &[(&[&str], &str)] = &[
        (&["clean", "--older-than", "0d"], "more than zero"),
        (&["clean", "--older-than", "30"], "invalid duration"),
        (&["clean", "--older-than=-3d"], "invalid duration"),
        (&["clean", "--max-size", "10X"], "invalid size"),
        (&["clean", "--max-size", ""], "invalid size"),
        (&["clean"], "say what to clean"),
        (&["clean", "--unused"], "--unused needs --project"),
        (
            &["clean", "--keep-latest", "0", "--yes"],
            "invalid --keep-latest 0",
        ),
        (&["clean", "--max-size", "0", "--yes"], "invalid --max-size"),
        (
            &["clean", "--keep-latest", "1"],
            "refusing to delete without --yes",
        ),
        (&["clean", "[bad"], "invalid pattern"),
        (
            &["clean", "--yes", "example.com/typo"],
            "matches no module version",
        ),
        (&["refetch"], "say what to repair"),
        (&["refetch", "example.com/MixedCase"], "want MODULE@VERSION"),
        (
            &["refetch", "example.com/MixedCase@v1.2"],
            "not a canonical version",
        ),
        (
            &["refetch", "example.com/MixedCase@v9.9.9"],
            "refusing to repair",
        ),
    ];
    for (args, needle) in cases {
        let out = output(&mut ml(&go, args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(needle),
            "{args:?}: {:?} lacks {needle:?}",
            stderr(&out)
        );
        assert_eq!(
            stderr(&out).trim_end().lines().count(),
            1,
            "{args:?}: one line"
        );
    }
    assert_eq!(listing(&go.modcache()), before, "nothing changed");
    // A healthy version: nothing to repair, and nothing is rewritten.
    let untouched = crate::support::fingerprint(&go.modcache());
    let out = output(&mut ml(
        &go,
        &["refetch", "--yes", "example.com/MixedCase@v1.2.3"],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("nothing to repair"),
        "{}",
        stdout(&out)
    );
    assert_eq!(crate::support::fingerprint(&go.modcache()), untouched);
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn keep_latest_dry_run_plans_and_yes_removes_what_it_planned() {
    let Some(go) = Go::find("keep_latest_dry_run_plans") else {
        return;
    };
    go.download(&standard_modules());
    let before = listing(&go.modcache());
    let out = output(&mut ml(
        &go,
        &["clean", "--keep-latest", "1", "--dry-run", "--json"],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let planned: BTreeSet<&str> = plan["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    // Newest as go's @latest means it: MixedCase's newest release is v1.2.3, and its two
    // v1.3.0 prereleases are newer, so all three stay; pseudo has only pseudo-versions, and
    // all but the highest go.
    assert_eq!(
        planned,
        BTreeSet::from(["example.com/pseudo@v0.0.0-20230101000000-abcdefabcdef"]),
        "all but the newest of each module, in Go's version order"
    );
    assert_eq!(listing(&go.modcache()), before, "a dry run changes nothing");

    let out = output(&mut ml(&go, &["clean", "--keep-latest", "1", "--yes"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("removed 1 item"), "{}", stdout(&out));
    assert!(stdout(&out).contains("before") && stdout(&out).contains("after"));
    let left = versions(&go);
    assert!(
        left.contains("example.com/MixedCase@v1.2.3")
            && left.contains("example.com/MixedCase@v1.3.0-beta.1")
            && !left.contains("example.com/pseudo@v0.0.0-20230101000000-abcdefabcdef")
    );
    assert_eq!(verify_code(&go).0, Some(0));
    let project = go.project(
        "p",
        &[("example.com/pseudo", "v0.0.0-20230101000000-abcdefabcdef")],
    );
    let (ok, err) = go.mod_verify(&project);
    assert!(
        ok,
        "go fetches the removed version again and verifies: {err}"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn leftovers_vcs_max_size_and_older_than_select_what_they_say() {
    let Some(go) = Go::find("leftovers_vcs_max_size") else {
        return;
    };
    go.download(&standard_modules());
    let root = go.modcache();
    fs::write(
        root.join("cache/download/example.com/nested/@v/v1.0.0.zip777.tmp"),
        "half",
    )
    .unwrap();
    let hash = "b2f02d6f27c4649eccd98c249abe9f06b329934610ccddb3d63d6c9da1ae121d";
    fs::create_dir_all(root.join(format!("cache/vcs/{hash}/objects"))).unwrap();
    fs::write(
        root.join(format!("cache/vcs/{hash}.info")),
        "git3:https://github.com/Acme/Widget",
    )
    .unwrap();
    fs::write(root.join(format!("cache/vcs/{hash}.lock")), "").unwrap();

    let out = output(&mut ml(&go, &["clean", "--older-than", "1d", "--dry-run"]));
    assert!(
        stdout(&out).contains("nothing to remove"),
        "everything was just downloaded: {}",
        stdout(&out)
    );

    let out = output(&mut ml(&go, &["clean", "--leftovers", "--vcs", "--yes"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !root
            .join("cache/download/example.com/nested/@v/v1.0.0.zip777.tmp")
            .exists()
    );
    assert!(
        !root.join(format!("cache/vcs/{hash}")).exists()
            && !root.join(format!("cache/vcs/{hash}.info")).exists()
    );
    assert!(
        root.join(format!("cache/vcs/{hash}.lock")).exists(),
        "lock files stay"
    );

    let report: Value =
        serde_json::from_slice(&output(&mut ml(&go, &["list", "--json"])).stdout).unwrap();
    let total = report["totals"]["disk_bytes"].as_u64().unwrap();
    let max = total - 40_000;
    let out = output(&mut ml(
        &go,
        &["clean", "--max-size", &max.to_string(), "--yes", "--json"],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    let receipt: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        receipt["cache_bytes_after"].as_u64().unwrap() <= max,
        "{receipt}"
    );
    assert!(!receipt["removed"].as_array().unwrap().is_empty());
    assert_eq!(verify_code(&go).0, Some(0));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn refetch_broken_repairs_every_kind_of_damage() {
    let Some(go) = Go::find("refetch_broken_repairs") else {
        return;
    };
    go.download(&standard_modules());
    let root = go.modcache();
    make_writable(&root);
    fs::write(
        root.join("example.com/nested@v1.0.0/a/b/other.txt"),
        "edited",
    )
    .unwrap();
    fs::write(
        root.join("cache/download/example.com/unicode/@v/v1.0.0.zip"),
        "garbage",
    )
    .unwrap();
    fs::remove_file(root.join("cache/download/example.com/legacy/@v/v2.0.0+incompatible.ziphash"))
        .unwrap();
    fs::write(
        root.join("cache/download/example.com/!mixed!case/@v/v1.2.3.partial"),
        "",
    )
    .unwrap();
    fs::write(
        root.join(
            "cache/download/example.com/pseudo/@v/v1.2.4-0.20230105000000-abcdefabcdef.info123.tmp",
        ),
        "x",
    )
    .unwrap();
    assert_eq!(verify_code(&go).0, Some(1));

    let out = output(&mut ml(&go, &["refetch", "--broken", "--yes", "--json"]));
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions = crate::support::repair_actions(&report);
    assert!(
        actions.contains(&("example.com/nested".into(), "re-extracted".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("example.com/unicode".into(), "re-zipped".into())),
        "the tree still matches .ziphash, so the zip is rebuilt from it: {actions:?}"
    );
    assert!(
        actions.contains(&("example.com/legacy".into(), "re-fetched".into())),
        "without .ziphash nothing local is trusted: {actions:?}"
    );
    assert_eq!(report["leftovers_removed"], 1);
    let (code, after) = verify_code(&go);
    assert_eq!(code, Some(0), "{after}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn refetch_downloads_a_version_that_is_not_cached() {
    let Some(go) = Go::find("refetch_downloads_a_version") else {
        return;
    };
    go.download(&standard_modules());
    crate::support::proxy::write_proxy(
        &go.proxy(),
        &[FixtureModule::new(
            "example.com/later",
            "v1.0.0",
            "2024-01-01T00:00:00Z",
        )],
    );
    let out = output(&mut ml(
        &go,
        &["refetch", "--yes", "example.com/later@v1.0.0"],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("example.com/later@v1.0.0: downloaded, verified"),
        "{}",
        stdout(&out)
    );
    let out = output(&mut ml(
        &go,
        &["refetch", "--yes", "example.com/nothere@v1.0.0"],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("failed") && stdout(&out).contains("hint"),
        "{}",
        stdout(&out)
    );
}

/// Runs modlens with `MODLENS_FAULT_AT=<checkpoint>` and checks that it was SIGKILLed there.
fn kill_at(go: &Go, args: &[&str], checkpoint: &str) {
    let out = output(ml(go, args).env("MODLENS_FAULT_AT", checkpoint));
    let signal = std::os::unix::process::ExitStatusExt::signal(&out.status);
    assert_eq!(signal, Some(9), "killed at {checkpoint}: {}", stderr(&out));
}

/// Overwrites a version's zip with garbage, as a torn download leaves it.
fn garble_zip(go: &Go, module: &str) {
    fs::write(
        go.modcache()
            .join(format!("cache/download/{module}/@v/v1.0.0.zip")),
        "garbage",
    )
    .unwrap();
}

/// Garbles the zip and adds a file to the tree: with neither to trust, only a download helps.
fn garble_zip_and_tree(go: &Go, module: &str) {
    garble_zip(go, module);
    let tree = go.modcache().join(format!("{module}@v1.0.0"));
    make_writable(&tree);
    fs::write(tree.join("planted.go"), "package planted\n").unwrap();
}

/// The problem kinds `modlens verify` reports, over all entries.
fn problem_kinds(go: &Go) -> BTreeSet<String> {
    let (_, report) = verify_code(go);
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["kind"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// After an interruption: go can still download and build with the module, and modlens finds
/// nothing worse than a recoverable state, which `refetch --broken` repairs.
fn assert_recoverable(go: &Go, module: &str, version: &str, when: &str) {
    let out = go
        .command(&["mod", "download", "-json", &format!("{module}@{version}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{when}: go mod download: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let project = go
        .workdir()
        .join(format!("build-{}", when.replace([':', ' '], "-")));
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("go.mod"),
        format!("module test.example/b\n\ngo 1.18\n\nrequire {module} {version}\n"),
    )
    .unwrap();
    fs::write(
        project.join("main.go"),
        format!("package main\n\nimport _ \"{module}\"\n\nfunc main() {{}}\n"),
    )
    .unwrap();
    let out = go
        .command(&["build", "./..."])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{when}: go build: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (_, report) = verify_code(go);
    let allowed = ["partial", "incomplete"];
    for e in report["entries"].as_array().unwrap() {
        for p in e["problems"].as_array().unwrap() {
            let kind = p["kind"].as_str().unwrap();
            assert!(
                allowed.contains(&kind),
                "{when}: {} {kind} is worse than recoverable",
                e["path"]
            );
        }
    }
    let out = output(&mut ml(go, &["refetch", "--broken", "--yes"]));
    assert!(
        out.status.success(),
        "{when}: refetch --broken: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let (code, report) = verify_code(go);
    assert_eq!(code, Some(0), "{when}: after refetch --broken: {report}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_sigkill_at_any_step_of_a_delete_leaves_a_recoverable_cache() {
    let Some(_) = Go::find("a_sigkill_at_any_step_of_a_delete") else {
        return;
    };
    let steps = [
        "locked",
        "partial written",
        "tree removed",
        "zip",
        "ziphash",
        "info",
        "mod",
        "partial removed",
        "list updated",
    ];
    for step in steps {
        let go = Go::find("a_sigkill_at_any_step_of_a_delete").unwrap();
        go.download(&standard_modules());
        kill_at(
            &go,
            &["clean", "--yes", "example.com/MixedCase@v1.2.3"],
            &format!("delete:{step}"),
        );
        assert_recoverable(
            &go,
            "example.com/MixedCase",
            "v1.2.3",
            &format!("delete:{step}"),
        );
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_sigkill_at_any_step_of_a_repair_leaves_a_recoverable_cache() {
    let Some(_) = Go::find("a_sigkill_at_any_step_of_a_repair") else {
        return;
    };
    let steps = [
        "reextract:partial written",
        "reextract:tree removed",
        "reextract:file written",
        "reextract:extracted",
    ];
    for step in steps {
        let go = Go::find("a_sigkill_at_any_step_of_a_repair").unwrap();
        go.download(&standard_modules());
        make_writable(&go.modcache());
        fs::write(
            go.modcache()
                .join("example.com/nested@v1.0.0/a/b/other.txt"),
            "edited",
        )
        .unwrap();
        kill_at(
            &go,
            &["refetch", "--yes", "example.com/nested@v1.0.0"],
            step,
        );
        assert_recoverable(&go, "example.com/nested", "v1.0.0", step);
    }
    // Re-fetching a version whose zip is garbage and whose tree was changed. Killed before the
    // new zip is in, the cache is as broken as before (plus a .partial and the scratch dir),
    // and refetch --broken repairs it; from then on go can build with it by itself.
    for step in [
        "fetch:downloaded",
        "swap:partial written",
        "swap:info",
        "swap:mod",
        "swap:ziphash",
    ] {
        let go = Go::find("a_sigkill_at_any_step_of_a_repair").unwrap();
        go.download(&standard_modules());
        garble_zip_and_tree(&go, "example.com/unicode");
        let before = problem_kinds(&go);
        kill_at(
            &go,
            &["refetch", "--yes", "example.com/unicode@v1.0.0"],
            step,
        );
        let after = problem_kinds(&go);
        assert!(
            after
                .iter()
                .all(|k| before.contains(k) || k == "partial" || k == "zip_modified"),
            "{step}: {before:?} became {after:?}"
        );
        let out = output(&mut ml(&go, &["refetch", "--broken", "--yes"]));
        assert!(
            out.status.success(),
            "{step}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let (code, report) = verify_code(&go);
        assert_eq!(code, Some(0), "{step}: {report}");
    }
    for step in [
        "swap:zip",
        "swap:tree aside",
        "swap:tree in",
        "swap:partial removed",
    ] {
        let go = Go::find("a_sigkill_at_any_step_of_a_repair").unwrap();
        go.download(&standard_modules());
        garble_zip_and_tree(&go, "example.com/unicode");
        kill_at(
            &go,
            &["refetch", "--yes", "example.com/unicode@v1.0.0"],
            step,
        );
        assert_recoverable(
            &go,
            "example.com/unicode",
            "v1.0.0",
            &format!("refetch {step}"),
        );
    }
    // Killed before the garbage zip is replaced, refetch --broken still repairs it.
    let go = Go::find("a_sigkill_at_any_step_of_a_repair").unwrap();
    go.download(&standard_modules());
    garble_zip_and_tree(&go, "example.com/unicode");
    kill_at(
        &go,
        &["refetch", "--yes", "example.com/unicode@v1.0.0"],
        "swap:partial written",
    );
    assert_eq!(
        problem_kinds(&go),
        BTreeSet::from(["partial".to_owned(), "zip_invalid".to_owned()])
    );
    let out = output(&mut ml(&go, &["refetch", "--broken", "--yes"]));
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(verify_code(&go).0, Some(0));

    // Re-zipping from an intact tree, killed after the new zip is written but before it
    // replaces the garbage: the garbage is still there (go builds from the tree regardless),
    // plus a temp zip, and refetch --broken finishes the job offline.
    let go = Go::find("a_sigkill_at_any_step_of_a_repair").unwrap();
    go.download(&standard_modules());
    garble_zip(&go, "example.com/unicode");
    kill_at(
        &go,
        &["refetch", "--yes", "example.com/unicode@v1.0.0"],
        "rezip:written",
    );
    assert_eq!(
        problem_kinds(&go),
        BTreeSet::from(["zip_invalid".to_owned()])
    );
    let (_, report) = verify_code(&go);
    assert_eq!(report["leftovers"].as_array().unwrap().len(), 1, "{report}");
    let out = output(ml(&go, &["refetch", "--broken", "--yes"]).env("GOPROXY", "off"));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(verify_code(&go).0, Some(0));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn go_waits_for_a_concurrent_delete_and_neither_corrupts_the_other() {
    let Some(go) = Go::find("go_waits_for_a_concurrent_delete") else {
        return;
    };
    go.download(&standard_modules());
    // modlens holds go's lock for 2 s after writing .partial.
    let mut deleting = ml(&go, &["clean", "--yes", "example.com/MixedCase@v1.2.3"])
        .env("MODLENS_FAULT_AT", "delete:partial written:sleep2000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let partial = go
        .modcache()
        .join("cache/download/example.com/!mixed!case/@v/v1.2.3.partial");
    let started = Instant::now();
    while !partial.exists() {
        assert!(
            started.elapsed().as_secs() < 10,
            "modlens never wrote .partial"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let go_started = Instant::now();
    let out = go
        .command(&["mod", "download", "-json", "example.com/MixedCase@v1.2.3"])
        .output()
        .unwrap();
    let go_took = go_started.elapsed();
    assert!(
        deleting.wait().unwrap().success(),
        "modlens finished its delete"
    );
    assert!(
        go_took.as_millis() >= 1000,
        "go waited for modlens's lock ({go_took:?})"
    );
    // go checks for the zip without the lock, then waits for the lock to extract it; the zip
    // is gone by then, so this go command may fail once ("open …zip: no such file"). Nothing is
    // corrupted: the cache verifies, and the next go command downloads the version again.
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stdout);
        assert!(
            msg.contains("no such file or directory"),
            "only the vanished zip may fail go: {msg}"
        );
    }
    let (code, report) = verify_code(&go);
    assert_eq!(code, Some(0), "the cache is consistent: {report}");
    let again = go
        .command(&["mod", "download", "-json", "example.com/MixedCase@v1.2.3"])
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert!(versions(&go).contains("example.com/MixedCase@v1.2.3"));
    assert_eq!(verify_code(&go).0, Some(0));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn symlinks_out_of_the_cache_are_never_followed_nor_removed_as_leftovers() {
    use std::os::unix::fs::symlink;
    let c = crate::support::fixture::HandCache::new();
    c.version(
        "example.com/a",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    fs::create_dir_all(c.outside().join("@v")).unwrap();
    fs::write(c.outside().join("precious.txt"), "keep me").unwrap();
    fs::write(c.outside().join("@v/v1.0.0.zip"), "keep me too").unwrap();
    symlink(c.outside(), c.path("example.com/link@v1.0.0")).unwrap();
    symlink(c.outside(), c.path("cache/download/example.com/evil")).unwrap();
    symlink(
        c.outside().join("precious.txt"),
        c.path("example.com/a@v1.0.0/escape.txt"),
    )
    .unwrap();

    let out = modlens(&[
        "clean",
        "--leftovers",
        "--yes",
        "--cache",
        c.root().to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        fs::symlink_metadata(c.path("example.com/link@v1.0.0")).is_ok()
            && fs::symlink_metadata(c.path("cache/download/example.com/evil")).is_ok(),
        "a link is not a temporary of go's: it is the user's to remove"
    );
    let out = modlens(&[
        "clean",
        "--yes",
        "--cache",
        c.root().to_str().unwrap(),
        "example.com/a@v1.0.0",
    ])
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!c.path("example.com/a@v1.0.0").exists());
    assert_eq!(
        fs::read_to_string(c.outside().join("precious.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(
        fs::read_to_string(c.outside().join("@v/v1.0.0.zip")).unwrap(),
        "keep me too"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn undecodable_names_are_listed_and_never_removed_as_leftovers() {
    let c = crate::support::fixture::HandCache::new();
    c.version(
        "example.com/a",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    c.file("example.com/Upper@v1.0.0/x.go", "package x\n");
    c.file("cache/download/example.com/bad/@v/v1.2.info", "{}");
    let root = c.root();
    let before = listing(&root);
    let report = crate::support::list_json(&root);
    let names: Vec<&str> = report["leftovers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("example.com/Upper@v1.0.0"))
            && names.iter().any(|n| n.contains("bad/@v/v1.2.info")),
        "{names:?}"
    );
    for args in [
        &["clean", "example.com/a", "--yes"][..],
        &["clean", "--leftovers", "--yes"][..],
    ] {
        let mut args = args.to_vec();
        args.extend(["--cache", root.to_str().unwrap()]);
        let out = modlens(&args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let after = listing(&root);
    for name in ["example.com/Upper@v1.0.0/x.go", "bad/@v/v1.2.info"] {
        assert!(
            after.iter().any(|p| p.contains(name)),
            "{name} was removed: {after:?}"
        );
    }
    assert!(before.len() > after.len(), "the version went: {after:?}");
    // Named explicitly, an unrecognized leftover goes; a name that is no leftover is an error.
    let root_arg = root.to_str().unwrap();
    let out = modlens(&[
        "clean",
        "--leftover",
        "example.com/Upper@v1.0.0",
        "--yes",
        "--cache",
        root_arg,
    ])
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!c.path("example.com/Upper@v1.0.0").exists());
    assert!(
        c.path("cache/download/example.com/bad/@v/v1.2.info")
            .exists()
    );
    let out = modlens(&[
        "clean",
        "--leftover",
        "example.com/a@v1.0.0",
        "--yes",
        "--cache",
        root_arg,
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a leftover"), "{}", stderr(&out));
}

#[test]
fn an_unreadable_directory_is_reported_and_a_failed_delete_changes_nothing_else() {
    use std::os::unix::fs::PermissionsExt;
    let c = crate::support::fixture::HandCache::new();
    c.version(
        "example.com/a",
        "v1.0.0",
        "v1.0.0",
        &[("a.go", "package a\n")],
    );
    c.version(
        "example.com/b",
        "v1.0.0",
        "v1.0.0",
        &[("b.go", "package b\n")],
    );
    let mode = |p: &Path, m| fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
    // A cache modlens's user may read but not write: root's, run as nobody; or, for a test
    // user who is not root, the user's own made read-only.
    let as_root = rustix::process::geteuid().is_root();
    let dirs: Vec<_> = walkdir::WalkDir::new(c.root().parent().unwrap())
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    for d in &dirs {
        mode(d, if as_root { 0o755 } else { 0o555 });
    }
    mode(&c.path("example.com/b@v1.0.0"), 0o000);
    let as_nobody = |args: &[&str]| {
        let mut cmd = if as_root {
            let mut cmd = Command::new("setpriv");
            cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(env!("CARGO_BIN_EXE_modlens"));
            cmd
        } else {
            Command::new(env!("CARGO_BIN_EXE_modlens"))
        };
        cmd.args(args)
            .args(["--cache", c.root().to_str().unwrap(), "--no-state"])
            .env("XDG_CONFIG_HOME", crate::support::test_config_home())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = as_nobody(&["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("example.com/b@v1.0.0") && stderr(&out).contains("ermission denied"),
        "{}",
        stderr(&out)
    );
    let before = listing(&c.root());
    let out = as_nobody(&["clean", "--yes", "example.com/a@v1.0.0"]);
    // Said once, before any plan: the user cannot write the cache.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("is not writable"), "{}", stderr(&out));
    assert_eq!(
        listing(&c.root()),
        before,
        "nothing was removed by a user without write access"
    );
    mode(&c.path("example.com/b@v1.0.0"), 0o755);
    for d in &dirs {
        mode(d, 0o755);
    }
}

/// A tmpfs mounted for one test, unmounted on drop.
struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn on_a_read_only_file_system_deletes_fail_cleanly_and_change_nothing() {
    let dir = crate::support::TempTree::new();
    let point = dir.path().join("ro");
    fs::create_dir_all(&point).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&point)
        .output();
    if !mounted.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIP on_a_read_only_file_system: cannot mount a tmpfs here (needs root)");
        return;
    }
    let _mount = Mount(point.clone());
    let root = point.join("modcache");
    for (v, f) in [("v1.0.0", "a.go"), ("v1.1.0", "a.go")] {
        let at_v = root.join("cache/download/example.com/a/@v");
        fs::create_dir_all(&at_v).unwrap();
        fs::write(
            at_v.join(format!("{v}.info")),
            format!("{{\"Version\":\"{v}\"}}"),
        )
        .unwrap();
        fs::write(at_v.join(format!("{v}.mod")), "module example.com/a\n").unwrap();
        fs::create_dir_all(root.join(format!("example.com/a@{v}"))).unwrap();
        fs::write(root.join(format!("example.com/a@{v}/{f}")), "package a\n").unwrap();
    }
    assert!(
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&point)
            .status()
            .unwrap()
            .success()
    );
    let before = listing(&root);
    let out = modlens(&[
        "clean",
        "example.com/*",
        "--yes",
        "--cache",
        root.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    // Said once, before any plan, in the system's words.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    assert_eq!(listing(&root), before);
    let out = modlens(&["list", "--cache", root.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "listing a read-only cache works: {}",
        stderr(&out)
    );
}

/// A tree deeper than the soft limit on open files allows (the walk holds one descriptor per
/// level) still verifies clean: modlens raises the soft limit to the hard one at start, as go
/// does.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_deep_tree_verifies_under_a_low_open_file_limit() {
    let Some(go) = Go::find("a_deep_tree_verifies") else {
        return;
    };
    let deep: &'static str = Box::leak(format!("{}deep.go", "d/".repeat(120)).into_boxed_str());
    go.download(&[
        FixtureModule::new("example.com/deep", "v1.0.0", "2023-01-01T00:00:00Z")
            .file(deep, "package d\n"),
    ]);
    let out = Command::new("sh")
        .args(["-c", "ulimit -Sn 64 && exec \"$@\"", "sh"])
        .arg(env!("CARGO_BIN_EXE_modlens"))
        .args(["verify", "--cache"])
        .arg(go.modcache())
        .env("MODLENS_STATE", crate::support::test_state())
        .env("XDG_CONFIG_HOME", crate::support::test_config_home())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// Toolchain modules order as go's `gover` does (go1.23rc1 < go1.23.4 < go1.23.10), and
/// `--toolchains` keeps the newest per platform, saying why.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn toolchains_keep_the_newest_per_platform_in_go_s_order() {
    let Some(go) = Go::find("toolchains_keep_the_newest_per_platform") else {
        return;
    };
    let toolchain = |version: &'static str| {
        crate::support::proxy::FixtureModule::new(
            "golang.org/toolchain",
            version,
            "2024-01-01T00:00:00Z",
        )
        .file("go/VERSION", "go\n")
    };
    go.download(&[
        toolchain("v0.0.1-go1.23rc1.linux-amd64"),
        toolchain("v0.0.1-go1.23.4.linux-amd64"),
        toolchain("v0.0.1-go1.23.10.linux-amd64"),
        toolchain("v0.0.1-go1.22.0.darwin-arm64"),
    ]);
    let out = output(&mut ml(
        &go,
        &["clean", "--toolchains", "--dry-run", "--json"],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut planned: Vec<String> = report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    planned.sort();
    assert_eq!(
        planned,
        [
            "golang.org/toolchain@v0.0.1-go1.23.4.linux-amd64",
            "golang.org/toolchain@v0.0.1-go1.23rc1.linux-amd64",
        ],
        "{report:#}"
    );
    let out = output(&mut ml(&go, &["clean", "--toolchains", "--dry-run"]));
    assert!(
        stderr(&out).contains("keeps golang.org/toolchain@v0.0.1-go1.23.10.linux-amd64: go1.23.10 is the newest toolchain for linux-amd64"),
        "{}",
        stderr(&out)
    );
}

/// Ctrl-C or SIGTERM during `clean --yes` stops between items, says so, and exits 1.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn an_interrupted_clean_says_so_and_exits_1() {
    let Some(go) = Go::find("an_interrupted_clean_says_so_and_exits_1") else {
        return;
    };
    go.download(&standard_modules());
    let before = fs::read_dir(go.modcache().join("example.com"))
        .unwrap()
        .count();
    for signal in [rustix::process::Signal::INT, rustix::process::Signal::TERM] {
        let mut clean = ml(&go, &["clean", "example.com/*", "--yes"]);
        // Each version pauses once deleted, so the signal lands between two of them.
        clean.env("MODLENS_FAULT_AT", "delete:list updated:sleep400");
        let child = crate::support::Spawned::start(&mut clean);
        let trees = || {
            fs::read_dir(go.modcache().join("example.com"))
                .unwrap()
                .count()
        };
        let started = Instant::now();
        while trees() == before {
            assert!(started.elapsed().as_secs() < 30, "nothing was deleted");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
        let out = child.finish();
        assert_eq!(out.status.code(), Some(1), "{signal:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
        assert!(trees() > 0, "{signal:?}: the rest is still there");
        go.download(&standard_modules());
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn refetch_dry_run_prints_the_plan_and_changes_nothing() {
    let Some(go) = Go::find("refetch_dry_run_prints_the_plan_and_changes_nothing") else {
        return;
    };
    go.download(&standard_modules());
    let tree = go.modcache().join("example.com/nested@v1.0.0");
    make_writable(&tree);
    let victim = fs::read_dir(&tree)
        .unwrap()
        .flatten()
        .find(|e| e.path().is_file())
        .unwrap();
    fs::write(victim.path(), "changed").unwrap();
    let before = crate::support::fingerprint(&go.modcache());
    let out = output(&mut ml(&go, &["refetch", "--broken", "--dry-run"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("example.com/nested@v1.0.0: re-extract"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("would repair 1 version"),
        "{}",
        stdout(&out)
    );
    // With --json, the same plan as one JSON object; and JSON when there is nothing to do.
    let out = output(&mut ml(
        &go,
        &["refetch", "--broken", "--dry-run", "--json"],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["dry_run"], true, "{plan:#}");
    assert_eq!(plan["plan"][0]["path"], "example.com/nested", "{plan:#}");
    assert_eq!(plan["plan"][0]["version"], "v1.0.0", "{plan:#}");
    assert!(
        plan["plan"][0]["repair"]
            .as_str()
            .unwrap()
            .starts_with("re-extract"),
        "{plan:#}"
    );
    let out = output(&mut ml(
        &go,
        &["refetch", "--json", "example.com/unicode@v1.0.0"],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["healthy"][0], "example.com/unicode@v1.0.0", "{plan:#}");
    assert_eq!(plan["repaired"], serde_json::json!([]), "{plan:#}");
    assert_eq!(crate::support::fingerprint(&go.modcache()), before);
    // A version only a download repairs, with GOPROXY=off: the plan says it will fail.
    let zip = go
        .modcache()
        .join("cache/download/example.com/nested/@v/v1.0.0.zip");
    make_writable(zip.parent().unwrap());
    fs::write(&zip, "not a zip").unwrap();
    let dry = |goproxy: &str| {
        let out = output(ml(&go, &["refetch", "--broken", "--dry-run"]).env("GOPROXY", goproxy));
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let said = dry("off");
    assert!(
        said.contains("example.com/nested@v1.0.0: download again"),
        "{said}"
    );
    assert!(said.contains("GOPROXY=off: go may not download"), "{said}");
    let said = dry(&format!("file://{}", go.proxy().display()));
    assert!(!said.contains("GOPROXY=off"), "{said}");
}

/// Policies never break what they keep: a kept version's module graph stays, so it still
/// builds offline after the clean.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_policy_keeps_what_a_kept_version_needs_to_build_offline() {
    let Some(go) = Go::find("a_policy_keeps_what_a_kept_version_needs") else {
        return;
    };
    let lib = |version: &'static str, time: &'static str| {
        FixtureModule::new("example.com/lib", version, time)
            .file("lib.go", "package m\n\nfunc F() int { return 1 }\n")
    };
    let mut app = FixtureModule::new("example.com/app", "v1.0.0", "2023-03-01T00:00:00Z").file(
        "app.go",
        "package app\n\nimport lib \"example.com/lib\"\n\nfunc G() int { return lib.F() }\n",
    );
    app.go_mod = "module example.com/app\n\ngo 1.18\n\nrequire example.com/lib v1.0.0\n".into();
    app.files.retain(|(name, _)| *name != "doc.go");
    // A second graph, where go reads tlib v1.0.0 only for the graph: tapp requires tlib
    // v1.1.0 itself, so go never selects the v1.0.0 that tmid v1.0.0 requires.
    let module = |path: &'static str, version: &'static str, requires: &str, code: &str| {
        let mut m = FixtureModule::new(path, version, "2023-01-01T00:00:00Z").file("m.go", code);
        m.go_mod = format!("module {path}\n\ngo 1.18\n{requires}");
        m.files.retain(|(name, _)| *name != "doc.go");
        m
    };
    let tlib = |version| {
        module(
            "example.com/tlib",
            version,
            "",
            "package tlib\n\nfunc F() int { return 2 }\n",
        )
    };
    let tmid = |version, requires| {
        module(
            "example.com/tmid",
            version,
            requires,
            "package tmid\n\nimport \"example.com/tlib\"\n\nfunc F() int { return tlib.F() }\n",
        )
    };
    let tapp = module(
        "example.com/tapp",
        "v1.0.0",
        "\nrequire (\n\texample.com/tlib v1.1.0\n\texample.com/tmid v1.0.0\n)\n",
        "package tapp\n\nimport (\n\t\"example.com/tlib\"\n\t\"example.com/tmid\"\n)\n\nfunc G() int { return tlib.F() + tmid.F() }\n",
    );
    go.download(&[
        lib("v1.0.0", "2023-01-01T00:00:00Z"),
        lib("v1.1.0", "2023-02-01T00:00:00Z"),
        app,
        tlib("v1.0.0"),
        tlib("v1.1.0"),
        tlib("v1.2.0"),
        tmid("v1.0.0", "\nrequire example.com/tlib v1.0.0\n"),
        tmid("v1.1.0", ""),
        tapp,
    ]);
    let project = go.project(
        "p",
        &[
            ("example.com/app", "v1.0.0"),
            ("example.com/tapp", "v1.0.0"),
        ],
    );
    fs::write(
        project.join("main.go"),
        "package main\n\nimport (\n\t\"example.com/app\"\n\t\"example.com/tapp\"\n)\n\nfunc main() { println(app.G() + tapp.G()) }\n",
    )
    .unwrap();
    let build = || {
        go.build(&project)
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=mod")
            .output()
            .unwrap()
    };
    let out = build();
    assert!(out.status.success(), "before: {}", stderr(&out));
    let out = output(&mut ml(&go, &["clean", "--keep-latest", "1", "--yes"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("keeps example.com/lib@v1.0.0: example.com/app@v1.0.0 needs it"),
        "{}",
        stderr(&out)
    );
    for kept in ["example.com/tlib@v1.1.0", "example.com/tmid@v1.0.0"] {
        assert!(
            stderr(&out).contains(&format!("keeps {kept}: example.com/tapp@v1.0.0 needs it")),
            "{}",
            stderr(&out)
        );
    }
    assert!(
        stderr(&out)
            .contains("keeps example.com/tlib@v1.0.0's .mod and .info: example.com/tapp@v1.0.0"),
        "{}",
        stderr(&out)
    );
    // Only the graph needs tlib v1.0.0: its .mod and .info stay, its source went.
    let at_v = go.modcache().join("cache/download/example.com/tlib/@v");
    assert!(at_v.join("v1.0.0.mod").is_file() && at_v.join("v1.0.0.info").is_file());
    assert!(!at_v.join("v1.0.0.zip").exists() && !at_v.join("v1.0.0.ziphash").exists());
    assert!(!go.modcache().join("example.com/tlib@v1.0.0").exists());
    assert!(!at_v.join("v1.0.0.partial").exists());
    assert!(
        fs::read_to_string(at_v.join("list"))
            .unwrap()
            .contains("v1.0.0")
    );
    let out = build();
    assert!(out.status.success(), "after: {}", stderr(&out));
    // A version kept for the graph alone is one go would have cached: nothing to report.
    let out = output(&mut ml(&go, &["verify"]));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}
