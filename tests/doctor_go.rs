//! `modlens doctor` against projects and caches the real go wrote: each damage the verifier
//! knows breaks go (a build or `go mod verify`) or is silently healed by it; the doctor names
//! it, `--fix --yes` fixes exactly it (offline where it can, else from the `file://` proxy), and
//! then go builds offline and verifies, while every version the project does not need stays
//! byte for byte as it was.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::go::{Go, shared_gocache};
use crate::support::proxy::FixtureModule;
use crate::support::{fingerprint, make_writable, stderr, stdout};

const TIME: &str = "2024-01-01T00:00:00Z";

fn module_with(path: &'static str, go_mod: &str, file: (&'static str, &str)) -> FixtureModule {
    let mut m = FixtureModule::new(path, "v1.0.0", TIME);
    m.go_mod = format!("module {path}\n\ngo 1.18\n{go_mod}");
    m.files = vec![(file.0, file.1.as_bytes().to_vec())];
    m
}

pub(crate) fn modules() -> Vec<FixtureModule> {
    vec![
        module_with(
            "example.com/dep",
            "\nrequire example.com/leaf v1.0.0\n",
            (
                "dep.go",
                "package dep\n\nimport \"example.com/leaf\"\n\nfunc Dep() int { return leaf.Leaf() + 1 }\n",
            ),
        ),
        module_with(
            "example.com/leaf",
            "",
            ("leaf.go", "package leaf\n\nfunc Leaf() int { return 41 }\n"),
        ),
        module_with("example.com/graphonly", "", ("g.go", "package graphonly\n")),
        module_with("example.com/other", "", ("o.go", "package other\n")),
    ]
}

/// A cache go filled, and a project needing `dep` (which imports `leaf`) and, only in its
/// module graph, `graphonly`, whose source the cache then does not hold, as go leaves it.
pub(crate) fn setup(go: &Go) -> PathBuf {
    go.download(&modules());
    let dir = go.workdir().join("app");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("go.mod"),
        "module test.example/app\n\ngo 1.18\n\nrequire (\n\texample.com/dep v1.0.0\n\
         \texample.com/graphonly v1.0.0\n\texample.com/leaf v1.0.0 // indirect\n)\n",
    )
    .unwrap();
    fs::write(
        dir.join("main.go"),
        "package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Dep()) }\n",
    )
    .unwrap();
    let out = go_in(
        go,
        &dir,
        &["mod", "download", "example.com/dep", "example.com/leaf"],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = go_in(go, &dir, &["build", "-o", "/dev/null", "."])
        .output()
        .unwrap();
    assert!(out.status.success(), "the fixture builds: {}", stderr(&out));
    let at_v = go
        .modcache()
        .join("cache/download/example.com/graphonly/@v");
    fs::remove_file(at_v.join("v1.0.0.zip")).unwrap();
    fs::remove_file(at_v.join("v1.0.0.ziphash")).unwrap();
    let tree = go.modcache().join("example.com/graphonly@v1.0.0");
    make_writable(&tree);
    fs::remove_dir_all(tree).unwrap();
    dir
}

pub(crate) fn go_in(go: &Go, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = go.command(args);
    cmd.current_dir(dir).env("GOCACHE", shared_gocache());
    cmd
}

/// `go build` offline and without changing go.mod or go.sum.
pub(crate) fn build_offline(go: &Go, dir: &Path) -> Output {
    go_in(go, dir, &["build", "-o", "/dev/null", "."])
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=readonly")
        .output()
        .unwrap()
}

pub(crate) fn doctor(go: &Go, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
    cmd.arg("doctor")
        .arg(dir)
        .args(args)
        .arg("--cache")
        .arg(go.modcache());
    go.sandbox_env(&mut cmd);
    cmd.env("GOCACHE", shared_gocache()).output().unwrap()
}

pub(crate) fn doctor_json(go: &Go, dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["--json"];
    all.extend(args);
    let out = doctor(go, dir, &all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), report)
}

pub(crate) fn module<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == path)
        .unwrap_or_else(|| panic!("{path} in {report:#}"))
}

pub(crate) fn kinds(module: &Value) -> Vec<String> {
    module["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// What a damage breaks for go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GoSees {
    /// `go build` fails.
    Build,
    /// `go build` works, `go mod verify` fails.
    Verify,
    /// go notices nothing (it heals it, or does not look).
    Nothing,
}

struct Case {
    name: &'static str,
    damage: fn(&Path),
    go_sees: GoSees,
    state: &'static str,
    kind: Option<&'static str>,
    /// Whether the doctor mends it without downloading.
    offline: bool,
}

pub(crate) fn leaf_at_v(cache: &Path) -> PathBuf {
    cache.join("cache/download/example.com/leaf/@v")
}

pub(crate) fn leaf_tree(cache: &Path) -> PathBuf {
    let tree = cache.join("example.com/leaf@v1.0.0");
    make_writable(&tree);
    tree
}

/// Removes a file or tree; what is already gone stays gone.
pub(crate) fn rm(path: &Path) {
    let result = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    if let Err(e) = result {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::NotFound,
            "{}: {e}",
            path.display()
        );
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a source file edited",
            damage: |c| {
                fs::write(
                    leaf_tree(c).join("leaf.go"),
                    "package leaf\n\nfunc Leaf() int { return }\n",
                )
                .unwrap()
            },
            go_sees: GoSees::Build,
            state: "broken",
            kind: Some("dir_modified"),
            offline: true,
        },
        Case {
            name: "a source file deleted",
            damage: |c| fs::remove_file(leaf_tree(c).join("leaf.go")).unwrap(),
            go_sees: GoSees::Build,
            state: "broken",
            kind: Some("dir_modified"),
            offline: true,
        },
        Case {
            name: "a garbage zip and no tree",
            damage: |c| {
                fs::write(leaf_at_v(c).join("v1.0.0.zip"), "garbage").unwrap();
                fs::remove_dir_all(leaf_tree(c)).unwrap();
            },
            go_sees: GoSees::Build,
            state: "broken",
            kind: Some("zip_invalid"),
            offline: false,
        },
        Case {
            name: "a garbage zip beside an intact tree",
            damage: |c| fs::write(leaf_at_v(c).join("v1.0.0.zip"), "garbage").unwrap(),
            go_sees: GoSees::Verify,
            state: "broken",
            kind: Some("zip_invalid"),
            offline: true,
        },
        Case {
            name: "an interrupted extraction (.partial)",
            damage: |c| fs::write(leaf_at_v(c).join("v1.0.0.partial"), "").unwrap(),
            go_sees: GoSees::Nothing,
            state: "broken",
            kind: Some("partial"),
            offline: true,
        },
        Case {
            name: "a missing .ziphash",
            damage: |c| rm(&leaf_at_v(c).join("v1.0.0.ziphash")),
            go_sees: GoSees::Nothing,
            state: "broken",
            kind: Some("ziphash_missing"),
            offline: true,
        },
        Case {
            name: "an edited .mod",
            damage: |c| {
                let path = leaf_at_v(c).join("v1.0.0.mod");
                let mut perms = fs::metadata(&path).unwrap().permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                perms.set_readonly(false);
                fs::set_permissions(&path, perms).unwrap();
                fs::write(path, "module example.com/leaf\n\ngo 1.99\n").unwrap();
            },
            go_sees: GoSees::Build,
            state: "broken",
            kind: Some("gomod_sum_mismatch"),
            offline: true,
        },
        Case {
            name: "a missing .mod",
            damage: |c| rm(&leaf_at_v(c).join("v1.0.0.mod")),
            go_sees: GoSees::Build,
            state: "broken",
            kind: Some("mod_missing"),
            offline: true,
        },
        Case {
            name: "an empty .mod",
            damage: |c| {
                let path = leaf_at_v(c).join("v1.0.0.mod");
                rm(&path);
                fs::write(path, "").unwrap();
            },
            go_sees: GoSees::Build,
            state: "broken",
            kind: Some("mod_invalid"),
            offline: true,
        },
        Case {
            name: "zip and tree gone, .mod left",
            damage: |c| {
                fs::remove_file(leaf_at_v(c).join("v1.0.0.zip")).unwrap();
                fs::remove_file(leaf_at_v(c).join("v1.0.0.ziphash")).unwrap();
                fs::remove_dir_all(leaf_tree(c)).unwrap();
            },
            go_sees: GoSees::Build,
            state: "source_missing",
            kind: None,
            offline: false,
        },
        Case {
            name: "the whole version gone",
            damage: |c| {
                fs::remove_dir_all(c.join("cache/download/example.com/leaf")).unwrap();
                fs::remove_dir_all(leaf_tree(c)).unwrap();
            },
            go_sees: GoSees::Build,
            state: "missing",
            kind: None,
            offline: false,
        },
    ]
}

/// Everything in the cache that the project does not need.
pub(crate) fn unneeded(cache: &Path) -> Vec<std::collections::BTreeMap<PathBuf, String>> {
    vec![
        fingerprint(&cache.join("cache/download/example.com/other")),
        fingerprint(&cache.join("example.com/other@v1.0.0")),
    ]
}

fn run_case(case: &Case) {
    let Some(go) = Go::find("doctor_fixes_each_damage") else {
        return;
    };
    let dir = setup(&go);
    let cache = go.modcache();
    let (code, report) = doctor_json(&go, &dir, &[]);
    assert_eq!(
        code,
        Some(0),
        "{}: a healthy project: {report:#}",
        case.name
    );
    assert_eq!(
        module(&report, "example.com/graphonly")["state"],
        "verified"
    );
    assert_eq!(
        module(&report, "example.com/graphonly")["needs_source"],
        false
    );
    assert_eq!(module(&report, "example.com/leaf")["needs_source"], true);
    let go_mod = fs::read(dir.join("go.mod")).unwrap();
    let go_sum = fs::read(dir.join("go.sum")).unwrap();
    let others = unneeded(&cache);

    (case.damage)(&cache);
    let built = build_offline(&go, &dir).status.success();
    let verified = go.mod_verify_output(&dir).status.success();
    let seen = match (built, verified) {
        (false, _) => GoSees::Build,
        (true, false) => GoSees::Verify,
        (true, true) => GoSees::Nothing,
    };
    assert_eq!(seen, case.go_sees, "{}: what go notices", case.name);
    if case.go_sees == GoSees::Nothing {
        // go healed it (or would on its next run); damage it again for the doctor to see.
        (case.damage)(&cache);
    }

    let (code, report) = doctor_json(&go, &dir, &[]);
    let leaf = module(&report, "example.com/leaf");
    assert_eq!(code, Some(1), "{}: {report:#}", case.name);
    assert_eq!(leaf["state"], case.state, "{}: {leaf:#}", case.name);
    if let Some(kind) = case.kind {
        assert!(
            kinds(leaf).iter().any(|k| k == kind),
            "{}: {leaf:#}",
            case.name
        );
    }
    assert_eq!(module(&report, "example.com/dep")["state"], "verified");

    let (code, report) = doctor_json(&go, &dir, &["--fix", "--yes"]);
    assert_eq!(code, Some(0), "{}: fixed: {report:#}", case.name);
    assert_eq!(
        report["fix"]["before"]["broken"].as_u64().unwrap()
            + report["fix"]["before"]["missing"].as_u64().unwrap(),
        1
    );
    assert_eq!(report["fix"]["after"]["broken"], 0);
    assert_eq!(report["fix"]["after"]["missing"], 0);
    assert_eq!(
        report["fix"]["bytes_downloaded"] == 0,
        case.offline,
        "{}: mended offline: {report:#}",
        case.name
    );
    assert_eq!(module(&report, "example.com/leaf")["state"], "verified");
    // For people: what was done to each version, then the project as it is now, then counts.
    (case.damage)(&cache);
    let out = doctor(&go, &dir, &["--fix", "--yes"]);
    let text = stdout(&out);
    let at = |what: &str| {
        text.find(what)
            .unwrap_or_else(|| panic!("{}: {what:?} in {text}", case.name))
    };
    assert!(
        at("  example.com/leaf@v1.0.0: ") < at("now:\n")
            && at("now:\n") < at("verified        example.com/leaf@v1.0.0")
            && at("verified        example.com/leaf") < at("fixed 1 of 1 version"),
        "{}: {text}",
        case.name
    );
    let out = build_offline(&go, &dir);
    assert!(
        out.status.success(),
        "{}: go builds offline: {}",
        case.name,
        stderr(&out)
    );
    let out = go.mod_verify_output(&dir);
    assert!(
        out.status.success(),
        "{}: go mod verify: {}",
        case.name,
        stderr(&out)
    );
    assert_eq!(
        unneeded(&cache),
        others,
        "{}: nothing else changed",
        case.name
    );
    assert_eq!(
        fs::read(dir.join("go.mod")).unwrap(),
        go_mod,
        "go.mod untouched"
    );
    assert_eq!(
        fs::read(dir.join("go.sum")).unwrap(),
        go_sum,
        "go.sum untouched"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn doctor_fixes_damaged_sources() {
    for case in cases().iter().take(3) {
        run_case(case);
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn doctor_fixes_damaged_zips_and_markers() {
    for case in cases().iter().skip(3).take(3) {
        run_case(case);
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn doctor_fixes_bad_mods_and_missing_versions() {
    for case in cases().iter().skip(6) {
        run_case(case);
    }
}

/// A workspace of two modules: the doctor, run at the workspace root, sees what each module
/// needs (go's workspace build list, every module's go.sum) and fixes a dependency only the
/// second one has.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_workspace_brings_what_every_module_needs() {
    let Some(go) = Go::find("doctor_a_workspace") else {
        return;
    };
    setup(&go);
    let tool = go.workdir().join("tool");
    fs::create_dir_all(&tool).unwrap();
    fs::write(
        tool.join("go.mod"),
        "module test.example/tool\n\ngo 1.18\n\nrequire example.com/other v1.0.0\n",
    )
    .unwrap();
    fs::write(
        tool.join("main.go"),
        "package main\n\nimport _ \"example.com/other\"\n\nfunc main() {}\n",
    )
    .unwrap();
    let out = go_in(&go, &tool, &["mod", "download", "example.com/other"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let root = go.workdir();
    fs::write(
        root.join("go.work"),
        "go 1.18\n\nuse (\n\t./app\n\t./tool\n)\n",
    )
    .unwrap();
    let other = go.modcache().join("example.com/other@v1.0.0");
    make_writable(&other);
    fs::write(other.join("o.go"), "package other\n\nvar broken = \n").unwrap();
    let built = go_in(&go, &root, &["build", "-o", "/dev/null", "./tool"])
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=readonly")
        .output()
        .unwrap();
    assert!(
        !built.status.success(),
        "the damage breaks the workspace's build"
    );

    // The workspace's own files, as go left them: the doctor never writes them (no go.work.sum
    // appears, no go.mod or go.sum changes), with or without --fix.
    let project_files = || {
        let mut files = crate::support::fingerprint(&root);
        files.retain(|p, _| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("go.") || p == &root
        });
        files
    };
    let before = project_files();
    assert!(
        before.keys().any(|p| p.ends_with("go.work")) && before.len() >= 5,
        "{before:?}"
    );
    let (code, report) = doctor_json(&go, &root, &[]);
    assert_eq!(project_files(), before, "the doctor wrote a project file");
    assert_eq!(code, Some(1), "{report:#}");
    assert!(
        report["gowork"].as_str().unwrap().ends_with("go.work"),
        "{report:#}"
    );
    assert_eq!(module(&report, "example.com/other")["state"], "broken");
    assert_eq!(module(&report, "example.com/leaf")["state"], "verified");
    assert_eq!(module(&report, "example.com/dep")["state"], "verified");
    let (code, report) = doctor_json(&go, &root, &["--fix", "--yes"]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(
        project_files(),
        before,
        "the doctor's fix wrote a project file"
    );
    let built = go_in(&go, &root, &["build", "-o", "/dev/null", "./tool"])
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=readonly")
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", stderr(&built));
}

/// A version its author retracted (in a later version's go.mod): offline the doctor cannot
/// know; with --online it asks the proxy, as go does, and says so in the author's words.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn online_the_doctor_names_a_retracted_version() {
    let Some(go) = Go::find("online_the_doctor_names_a_retracted_version") else {
        return;
    };
    let old = module_with("example.com/retr", "", ("r.go", "package retr\n"));
    let mut new = FixtureModule::new("example.com/retr", "v1.1.0", TIME);
    new.go_mod =
        "module example.com/retr\n\ngo 1.18\n\nretract v1.0.0 // it deletes your files\n".into();
    new.files = vec![("r.go", b"package retr\n".to_vec())];
    go.download(&[old, new]);
    let dir = go.workdir().join("retr");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("go.mod"),
        "module test.example/retr\n\ngo 1.18\n\nrequire example.com/retr v1.0.0\n",
    )
    .unwrap();
    let (code, report) = doctor_json(&go, &dir, &[]);
    assert_eq!(
        code,
        Some(0),
        "offline nothing says it is retracted: {report:#}"
    );
    let (code, report) = doctor_json(&go, &dir, &["--online"]);
    assert_eq!(code, Some(1), "{report:#}");
    let retr = module(&report, "example.com/retr");
    assert_eq!(retr["state"], "retracted", "{retr:#}");
    assert_eq!(retr["unusable"], "it deletes your files", "{retr:#}");
}

/// modlens's own calls to go never switch (and download) a toolchain: a project that needs a
/// newer go gets go's own error line, not a download.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_doctor_never_makes_go_download_a_toolchain() {
    let Some(go) = Go::find("the_doctor_never_makes_go_download_a_toolchain") else {
        return;
    };
    let dir = go.workdir().join("future");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("go.mod"),
        "module test.example/future\n\ngo 1.99\n",
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
    cmd.arg("doctor")
        .arg(&dir)
        .arg("--cache")
        .arg(go.modcache());
    go.sandbox_env(&mut cmd);
    let out = cmd.env_remove("GOTOOLCHAIN").output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("downloading go1.99"), "{err}");
    assert!(
        !go.modcache().join("golang.org/toolchain").exists()
            && !go
                .modcache()
                .join("cache/download/golang.org/toolchain")
                .exists(),
        "no toolchain was downloaded"
    );
    // go 1.21 and later refuse the project in their own words (with GOTOOLCHAIN=path:
    // 'cannot find "go1.99.0" in PATH'); go 1.19 reads it.
    if out.status.code() == Some(2) {
        assert!(err.contains("1.99"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
