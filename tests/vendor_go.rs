//! `modlens vendor verify` on a project go vendored (`go mod vendor`), then edited: go is the
//! judge of `vendor/modules.txt` (its own words when it disagrees), and a fresh vendor
//! directory is never flagged, while an edited, added or deleted vendored file is, with the
//! bytes the test changed. Tests and packages go does not vendor are never "missing".

use std::fs;

use serde_json::Value;

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{stderr, stdout};

/// `modlens vendor verify --json DIR` on the sandbox's cache: its exit status and report.
fn vendor_verify(go: &Go, dir: &std::path::Path) -> (i32, Value) {
    let out = go
        .modlens(&go.modcache(), &["vendor", "verify", "--json"])
        .arg(dir)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), report)
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn vendor_verify_finds_edits_go_accepts_and_never_flags_a_fresh_vendor() {
    let Some(go) = Go::find("vendor_verify_finds_edits") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/lib", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("lib.go", "package m\n\nfunc F() int { return 1 }\n")
            .file("lib_test.go", "package m\n")
            .file("gen.go", "//go:build ignore\n\npackage main\n")
            .file("LICENSE", "MIT License\n")
            .file(
                "embed.go",
                "package m\n\nimport \"embed\"\n\n//go:embed static\nvar FS embed.FS\n",
            )
            .file("static/a.txt", "embedded\n")
            .file("static/.hidden", "not embedded\n")
            .file("sub/sub.go", "package sub\n\nconst S = 2\n")
            .file("other/other.go", "package other\n"),
    ]);
    let project = go.workdir().join("vendored");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("go.mod"),
        "module example.com/vendored\n\ngo 1.18\n\nrequire example.com/lib v1.0.0\n",
    )
    .unwrap();
    fs::write(
        project.join("main.go"),
        "package main\n\nimport (\n\tlib \"example.com/lib\"\n\t\"example.com/lib/sub\"\n)\n\n\
         func main() { _ = lib.F() + sub.S }\n",
    )
    .unwrap();
    let run_go = |args: &[&str]| {
        let out = go.command(args).current_dir(&project).output().unwrap();
        (out.status.success(), stderr(&out))
    };
    assert!(run_go(&["mod", "tidy"]).0);
    let (vendored, why) = run_go(&["mod", "vendor"]);
    assert!(vendored, "{why}");
    let verify = || vendor_verify(&go, &project);
    let (code, fresh) = verify();
    assert_eq!(code, 0, "a fresh go mod vendor is flagged: {fresh}");
    assert_eq!(fresh["modules"][0]["status"], "identical", "{fresh}");
    assert!(fresh["inconsistent"].is_null());
    // A machine with no module cache at all (CI that builds from vendor/): the zip comes
    // from the proxy into a scratch directory, and no cache is made.
    let none = go.sandbox.path().join("no-modcache");
    let out = go
        .modlens_bare(&["vendor", "verify", "--json"])
        .arg(&project)
        .env("GOMODCACHE", &none)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    assert_eq!(out.status.code(), Some(0), "{report}{}", stderr(&out));
    assert_eq!(report["modules"][0]["status"], "identical", "{report}");
    assert!(!none.exists(), "a module cache was made");

    // Edits go accepts: it builds the edited code without a word.
    let lib = project.join("vendor/example.com/lib");
    fs::write(
        lib.join("lib.go"),
        "package m\n\nfunc F() int { return 41 + 1 }\n",
    )
    .unwrap();
    fs::write(lib.join("lib.go.orig"), "package m\n").unwrap();
    fs::remove_file(lib.join("LICENSE")).unwrap();
    let (builds, why) = run_go(&["build", "-mod=vendor", "-o", "/dev/null", "."]);
    assert!(builds, "go accepts the edited vendor directory: {why}");
    // An embedded file go copied, gone (go notices this one when it builds).
    fs::remove_file(lib.join("static/a.txt")).unwrap();
    let (code, edited) = verify();
    assert_eq!(code, 1, "{edited}");
    let files = edited["modules"][0]["files"].as_array().unwrap();
    let by_name = |name: &str| files.iter().find(|f| f["name"] == name).cloned();
    let changed = by_name("lib.go").expect("lib.go modified");
    let lines = changed["lines"].as_array().unwrap();
    assert!(
        lines.iter().any(|l| l == "-func F() int { return 1 }"),
        "{changed}"
    );
    assert!(
        lines.iter().any(|l| l == "+func F() int { return 41 + 1 }"),
        "{changed}"
    );
    assert_eq!(by_name("lib.go.orig").unwrap()["kind"], "extra");
    assert_eq!(by_name("LICENSE").unwrap()["kind"], "missing");
    assert_eq!(
        by_name("static/a.txt").unwrap()["kind"],
        "missing",
        "an embedded file"
    );
    // What go does not vendor (tests, an ignored file, a package nobody imports) is never
    // missing.
    for never in [
        "lib_test.go",
        "gen.go",
        "other/other.go",
        "go.mod",
        "static/.hidden",
    ] {
        assert!(by_name(never).is_none(), "{never}: {edited}");
    }
    assert_eq!(files.len(), 4, "{edited}");

    // modules.txt out of step with go.mod: go's own words, when go objects.
    let txt = project.join("vendor/modules.txt");
    let text = fs::read_to_string(&txt).unwrap();
    fs::write(&txt, text.replace("## explicit; go 1.18\n", "")).unwrap();
    let (consistent, go_words) = run_go(&["list", "-mod=vendor", "-m"]);
    let (code, report) = verify();
    assert_eq!(code, 1);
    if consistent {
        assert!(report["inconsistent"].is_null(), "{report}");
    } else {
        let said = report["inconsistent"].as_str().unwrap();
        let first = go_words.lines().find(|l| l.contains("explicit")).unwrap();
        assert!(
            said.contains(first.trim()),
            "go said {go_words}, modlens {said}"
        );
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_module_a_directory_replaces_is_checked_against_that_directory() {
    let Some(go) = Go::find("vendor_directory_replacement") else {
        return;
    };
    let project = go.workdir().join("replaced");
    let local = project.join("local");
    fs::create_dir_all(local.join("sub")).unwrap();
    fs::write(
        project.join("go.mod"),
        "module example.com/replaced\n\ngo 1.18\n\nrequire example.com/local v0.0.0\n\n\
         replace example.com/local => ./local\n",
    )
    .unwrap();
    fs::write(
        project.join("main.go"),
        "package main\n\nimport \"example.com/local/sub\"\n\nfunc main() { _ = sub.S }\n",
    )
    .unwrap();
    fs::write(
        local.join("go.mod"),
        "module example.com/local\n\ngo 1.18\n",
    )
    .unwrap();
    fs::write(local.join("sub/sub.go"), "package sub\n\nconst S = 1\n").unwrap();
    fs::write(local.join("sub/sub_test.go"), "package sub\n").unwrap();
    fs::write(local.join("LICENSE"), "MIT License\n").unwrap();
    // What go never vendors from a directory: another module inside it, and its VCS data.
    fs::create_dir_all(local.join("sub/inner")).unwrap();
    fs::write(local.join("sub/inner/go.mod"), "module example.com/inner\n").unwrap();
    fs::write(local.join("sub/inner/inner.go"), "package inner\n").unwrap();
    fs::create_dir_all(local.join(".git/objects")).unwrap();
    fs::write(local.join(".git/objects/LICENSE"), "not copied\n").unwrap();
    let run_go = |args: &[&str]| {
        let out = go.command(args).current_dir(&project).output().unwrap();
        (out.status.success(), stderr(&out))
    };
    let (vendored, why) = run_go(&["mod", "vendor"]);
    assert!(vendored, "{why}");
    let verify = || vendor_verify(&go, &project);
    let (code, fresh) = verify();
    assert_eq!(code, 0, "a fresh go mod vendor is flagged: {fresh}");
    assert_eq!(
        fresh["modules"].as_array().unwrap().len(),
        1,
        "the replace directive's own line vendors nothing: {fresh}"
    );
    let module = &fresh["modules"][0];
    assert_eq!(module["status"], "identical", "{fresh}");
    assert_eq!(module["source"]["directory"], "./local", "{fresh}");

    // The directory moved on and vendor/ did not follow: go builds the stale copy without a
    // word, and `go mod vendor` would change it.
    fs::write(local.join("sub/sub.go"), "package sub\n\nconst S = 2\n").unwrap();
    let (builds, why) = run_go(&["build", "-mod=vendor", "-o", "/dev/null", "."]);
    assert!(builds, "{why}");
    let (code, stale) = verify();
    assert_eq!(code, 1, "{stale}");
    let files = stale["modules"][0]["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{stale}");
    assert_eq!(files[0]["name"], "sub/sub.go");
    let lines = files[0]["lines"].as_array().unwrap();
    // From the directory (what go would copy) to the vendored copy, as from a zip.
    assert!(lines.iter().any(|l| l == "-const S = 2"), "{stale}");
    assert!(lines.iter().any(|l| l == "+const S = 1"), "{stale}");
    // What go would copy again agrees: vendoring again makes it identical.
    assert!(run_go(&["mod", "vendor"]).0);
    assert_eq!(verify().0, 0);

    // The directory gone: nothing to compare with, which is said, and is not a pass.
    fs::rename(&local, project.join("moved")).unwrap();
    let (code, gone) = verify();
    assert_eq!(gone["modules"][0]["status"], "unverified", "{gone}");
    assert!(
        gone["modules"][0]["why"]
            .as_str()
            .unwrap()
            .contains("./local"),
        "{gone}"
    );
    assert_eq!(code, 1, "{gone}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_workspace_vendor_directory_is_judged_against_go_work() {
    let Some(go) = Go::find("vendor_workspace") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/lib", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("lib.go", "package m\n\nfunc F() int { return 1 }\n"),
    ]);
    let ws = go.workdir().join("ws");
    for (file, text) in [
        (
            "a/go.mod",
            "module example.com/a\n\ngo 1.22\n\nrequire example.com/lib v1.0.0\n",
        ),
        (
            "a/main.go",
            "package main\n\nimport (\n\t\"example.com/b\"\n\tlib \"example.com/lib\"\n)\n\n\
             func main() { _ = lib.F() + b.B }\n",
        ),
        ("b/go.mod", "module example.com/b\n\ngo 1.22\n"),
        ("b/b.go", "package b\n\nconst B = 1\n"),
        ("go.work", "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n"),
    ] {
        let path = ws.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    let run_go = |dir: &std::path::Path, args: &[&str]| {
        let out = go.command(args).current_dir(dir).output().unwrap();
        (out.status.success(), stderr(&out))
    };
    let (tidy, why) = run_go(&ws.join("a"), &["mod", "tidy"]);
    if !tidy && why.contains("go.work") && why.contains("1.22") {
        eprintln!("this go (before 1.22) has no go 1.22 workspaces; nothing to check: {why}");
        return;
    }
    // Before the workspace is vendored, a module of it is told where its vendor/ would be.
    let out = go
        .modlens(&go.modcache(), &["vendor", "verify"])
        .arg(ws.join("a"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end().lines().count(),
        1,
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("`go work vendor` there"),
        "{}",
        stderr(&out)
    );
    let (vendored, why) = run_go(&ws, &["work", "vendor"]);
    if !vendored {
        // `go work vendor` came with go 1.22.
        assert!(
            why.contains("unknown command") || why.contains("work vendor"),
            "{why}"
        );
        eprintln!("this go has no `go work vendor`; nothing to check: {why}");
        return;
    }
    let verify = || vendor_verify(&go, &ws);
    let (code, fresh) = verify();
    assert_eq!(code, 0, "a fresh go work vendor is flagged: {fresh}");
    assert_eq!(fresh["manifest"], "go.work", "{fresh}");
    // Asked about one of its modules, it checks the workspace's vendor/, which go builds the
    // module from, and says so.
    let (code, member) = vendor_verify(&go, &ws.join("a"));
    assert_eq!(code, 0, "{member}");
    assert_eq!(member["manifest"], "go.work", "{member}");
    assert_eq!(
        member["workspace"].as_str(),
        Some(ws.to_str().unwrap()),
        "{member}"
    );
    let out = go
        .modlens(&go.modcache(), &["vendor", "verify"])
        .arg(ws.join("a"))
        .output()
        .unwrap();
    assert!(
        stdout(&out).starts_with("the module is in the workspace"),
        "{}",
        stdout(&out)
    );
    assert!(fresh["inconsistent"].is_null(), "{fresh}");
    assert_eq!(fresh["modules"].as_array().unwrap().len(), 1, "{fresh}");

    fs::write(
        ws.join("vendor/example.com/lib/lib.go"),
        "package m\n\nfunc F() int { return 2 }\n",
    )
    .unwrap();
    let (builds, why) = run_go(
        &ws.join("a"),
        &["build", "-mod=vendor", "-o", "/dev/null", "."],
    );
    assert!(builds, "go builds the edited vendor directory: {why}");
    let (code, edited) = verify();
    assert_eq!(code, 1, "{edited}");
    let files = edited["modules"][0]["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{edited}");
    assert_eq!(files[0]["name"], "lib.go");
}

/// A hostile checkout's `vendor/modules.txt` names a "module" whose path climbs out of
/// `vendor/` (and a version that would climb out of the cache): nothing there is read or
/// shown, and the module is reported as not verified, with why.
#[test]
fn a_module_path_that_leaves_vendor_is_never_read() {
    let tmp = crate::support::TempTree::new();
    let project = tmp.path().join("project");
    let secret = tmp.path().join("secret");
    fs::create_dir_all(project.join("vendor/example.com/x")).unwrap();
    fs::create_dir_all(&secret).unwrap();
    fs::write(secret.join("id_rsa"), "PRIVATE KEY CANARY\n").unwrap();
    fs::write(project.join("go.mod"), "module example.com/p\n\ngo 1.18\n").unwrap();
    fs::write(
        project.join("vendor/modules.txt"),
        "# ../../secret v0.0.0 => ./local\n## explicit\n../../secret\n\
         # example.com/x v1.0.0/../../../../secret\n## explicit\nexample.com/x\n",
    )
    .unwrap();
    fs::write(project.join("vendor/example.com/x/x.go"), "package x\n").unwrap();
    fs::create_dir_all(project.join("local")).unwrap();
    let out = crate::support::modlens(&["vendor", "verify", "--json"])
        .arg(&project)
        .env("GOMODCACHE", tmp.path().join("no-modcache"))
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(!text.contains("CANARY"), "{text}");
    assert!(!stderr(&out).contains("CANARY"));
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(out.status.code(), Some(1), "{report}");
    let modules = report["modules"].as_array().unwrap();
    assert_eq!(modules.len(), 2, "{report}");
    assert_eq!(modules[0]["status"], "unverified");
    assert!(
        modules[0]["why"]
            .as_str()
            .unwrap()
            .contains("invalid module path"),
        "{report}"
    );
    assert_eq!(modules[1]["status"], "unverified");
    assert!(
        modules[1]["why"]
            .as_str()
            .unwrap()
            .contains("invalid version"),
        "{report}"
    );
}
