//! Stores checked online against a checksum database (`proxy verify --sumdb`): go's own test
//! database (`sumdb.NewTestServer`, go's test key) on 127.0.0.1 vouches for the authentic
//! fixtures; the store holds planted damage. Reached directly (a URL in GOSUMDB) and through a
//! proxy's `sumdb/<name>/supported` relay, a lying database, one signing with another key, and
//! one answering 404, 410 or 503. For every version, go fetching it through the store with that
//! GOSUMDB, into an empty cache and a project with no go.sum (so the database alone decides),
//! is the judge: modlens says `match` exactly where go accepts.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::proxy_go::{planted_store, statuses};
use crate::support::go::Go;
use crate::support::sumdb::{SumdbServer, VKEY};
use crate::support::{make_writable, modlens, stderr, stdout};

/// `modlens proxy verify --sumdb --json STORE` with `env`: exit status, statuses, report.
fn online_verdicts(store: &str, env: &[(&str, &str)]) -> (i32, BTreeMap<String, String>, Value) {
    let mut cmd = modlens(&["proxy", "verify", "--sumdb", "--json", store]);
    for var in ["GOPRIVATE", "GONOSUMDB", "GOPROXY", "GOFLAGS"] {
        cmd.env_remove(var);
    }
    cmd.env("GOENV", "off").envs(env.iter().copied());
    let out = cmd.output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), statuses(&report), report)
}

/// Whether go fetches `target` through `goproxy` with `gosumdb`, with no go.sum line to go by.
fn go_accepts_online(go: &Go, goproxy: &str, gosumdb: &str, target: &str) -> bool {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("go.mod"),
        "module test.example/p\n\ngo 1.18\n",
    )
    .unwrap();
    let fresh = tempfile::tempdir().unwrap();
    // Its own GOPATH: go remembers each database's latest tree there, and every test database
    // is a new tree.
    let gopath = tempfile::tempdir().unwrap();
    let out = go
        .command(&["mod", "download", "-json", target])
        .current_dir(project.path())
        .env("GOPROXY", goproxy)
        .env("GOSUMDB", gosumdb)
        .env("GOMODCACHE", fresh.path())
        .env("GOPATH", gopath.path())
        .output()
        .unwrap();
    make_writable(fresh.path());
    out.status.success()
}

/// The reasons of `target`'s verdict.
fn reasons(report: &Value, target: &str) -> String {
    report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            format!(
                "{}@{}",
                v["path"].as_str().unwrap(),
                v["version"].as_str().unwrap()
            ) == target
        })
        .map(|v| v["reasons"].to_string())
        .unwrap_or_default()
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn online_verdicts_agree_with_go_directly_and_through_a_relay() {
    let Some(go) = Go::find("online_verdicts_agree") else {
        return;
    };
    let (downloads, _project, store) = planted_store(&go);
    let lied = "example.com/legacy@v2.0.0+incompatible";
    let db = SumdbServer::start(
        &go,
        &go.proxy(),
        &[
            &format!("-proxydir={}", store.display()),
            &format!("-lie={lied}"),
        ],
    );
    let shown = store.display().to_string();
    let direct = format!("{VKEY} {}", db.url);
    let (code, direct_statuses, report) = online_verdicts(&shown, &[("GOSUMDB", &direct)]);
    assert_eq!(code, 1, "{direct_statuses:?}");
    // Through the relay: GOSUMDB names no URL, so only the proxy's relay reaches the database.
    let (_, relayed, _) = online_verdicts(&shown, &[("GOSUMDB", VKEY), ("GOPROXY", &db.proxy)]);
    assert_eq!(relayed, direct_statuses);
    let expected = [
        ("example.com/MixedCase@v1.2.3", "mismatch"),
        ("example.com/unicode@v1.0.0", "mismatch"),
        ("example.com/MixedCase@v1.3.0-RC1", "match"),
        (lied, "mismatch"),
    ];
    for (target, status) in expected {
        assert_eq!(
            direct_statuses.get(target).map(String::as_str),
            Some(status),
            "{target}: {direct_statuses:?}"
        );
    }
    assert!(
        reasons(&report, lied).contains("the localhost.localdev/sumdb database says"),
        "{}",
        reasons(&report, lied)
    );
    let file_store = format!("file://{}", store.display());
    for d in &downloads {
        let target = format!("{}@{}", d.path, d.version);
        let status = &direct_statuses[&target];
        assert_eq!(
            go_accepts_online(&go, &file_store, &direct, &target),
            status == "match",
            "{target}: modlens says {status}; go through {file_store} with GOSUMDB={direct}"
        );
        assert_eq!(
            go_accepts_online(&go, &db.proxy, VKEY, &target),
            status == "match",
            "{target}: modlens says {status}; go through the relay {}",
            db.proxy
        );
    }
    // A private module is never asked about, and nothing else decides it.
    let (_, private, report) = online_verdicts(
        &shown,
        &[("GOSUMDB", &direct), ("GONOSUMDB", "example.com/unicode")],
    );
    assert_eq!(private["example.com/unicode@v1.0.0"], "unverifiable");
    assert!(reasons(&report, "example.com/unicode@v1.0.0").contains("private"));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn databases_that_cannot_vouch_decide_nothing() {
    let Some(go) = Go::find("databases_that_cannot_vouch") else {
        return;
    };
    let (_, _, store) = planted_store(&go);
    let shown = store.display().to_string();
    let file_store = format!("file://{}", store.display());
    let target = "example.com/MixedCase@v1.3.0-RC1";
    let cases: [(&[&str], &str); 4] = [
        (&["-foreign"], "not proven"),
        (&["-status=404"], "not in the checksum database"),
        (&["-status=410"], "not in the checksum database"),
        (&["-status=503"], "unreachable"),
    ];
    for (flags, why) in cases {
        let db = SumdbServer::start(&go, &go.proxy(), flags);
        let gosumdb = format!("{VKEY} {}", db.url);
        let (_, statuses, report) = online_verdicts(&shown, &[("GOSUMDB", &gosumdb)]);
        assert_eq!(statuses[target], "unverifiable", "{flags:?}: {statuses:?}");
        assert!(
            !statuses.values().any(|s| s == "match"),
            "{flags:?}: {statuses:?}"
        );
        assert!(
            reasons(&report, target).contains(why),
            "{flags:?}: {}",
            reasons(&report, target)
        );
        assert!(
            !go_accepts_online(&go, &file_store, &gosumdb, target),
            "{flags:?}: go accepted {target}"
        );
    }
    // A fork: the database shows modlens another tree than the one go saw (and remembered in
    // GOPATH). go's remembered tree holds `target` first; the other, signed with the same key,
    // holds another version first. Both go and modlens refuse it.
    let gopath = tempfile::tempdir().unwrap();
    let seen = SumdbServer::start(&go, &go.proxy(), &[]);
    let out = go
        .command(&["mod", "download", "-json", target])
        .current_dir(tempfile::tempdir().unwrap().path())
        .env("GOPROXY", &file_store)
        .env("GOSUMDB", format!("{VKEY} {}", seen.url))
        .env("GOPATH", gopath.path())
        .env("GOMODCACHE", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let fork = SumdbServer::start(&go, &go.proxy(), &[]);
    let forked = format!("{VKEY} {}", fork.url);
    assert!(go_accepts_online(
        &go,
        &file_store,
        &forked,
        "example.com/legacy@v2.0.0+incompatible"
    ));
    let gopath_text = gopath.path().display().to_string();
    let (_, statuses, report) =
        online_verdicts(&shown, &[("GOSUMDB", &forked), ("GOPATH", &gopath_text)]);
    assert_eq!(statuses[target], "unverifiable", "{statuses:?}");
    assert!(
        reasons(&report, target).contains("misbehavior"),
        "{}",
        reasons(&report, target)
    );
    let refused = go
        .command(&["mod", "download", "-json", target])
        .current_dir(tempfile::tempdir().unwrap().path())
        .env("GOPROXY", &file_store)
        .env("GOSUMDB", &forked)
        .env("GOPATH", gopath.path())
        .env("GOMODCACHE", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!refused.status.success(), "go accepted the fork");
    crate::support::make_writable(gopath.path());

    // Nobody listening at all.
    let gone = format!("{VKEY} http://127.0.0.1:9");
    let (_, statuses, report) = online_verdicts(&shown, &[("GOSUMDB", &gone)]);
    assert_eq!(statuses[target], "unverifiable");
    assert!(reasons(&report, target).contains("unreachable"));
}

/// The module cache checked online (`verify --sumdb`): every version is asked about once, the
/// proven answers and their tiles land where go caches them, and go then judges the cache by
/// them offline exactly as modlens does (the lied-about version refused, the others accepted).
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_module_cache_checked_online_is_judged_as_go_judges_it() {
    let Some(go) = Go::find("a_module_cache_checked_online") else {
        return;
    };
    let downloads = go.download(&crate::support::proxy::standard_modules());
    let lied = "example.com/legacy@v2.0.0+incompatible";
    let db = SumdbServer::start(&go, &go.proxy(), &[&format!("-lie={lied}")]);
    let gosumdb = format!("{VKEY} {}", db.url);
    let verify = |extra: &[(&str, &str)]| {
        let mut cmd = go.modlens(&go.modcache(), &["verify", "--sumdb", "--json"]);
        cmd.env("GOSUMDB", &gosumdb).envs(extra.iter().copied());
        let out = cmd.output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        (out.status.code().unwrap(), report)
    };
    let (code, report) = verify(&[("GONOSUMDB", "example.com/unicode")]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["sumdb"]["private"], 1, "{}", report["sumdb"]);
    assert_eq!(report["sumdb"]["asked"], downloads.len() - 1);
    assert_eq!(report["sumdb"]["installed"], downloads.len() - 1);
    let broken: Vec<String> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["status"] != "ok")
        .map(|v| {
            format!(
                "{}@{}",
                v["path"].as_str().unwrap(),
                v["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(broken, [lied], "{report}");
    let lookups = go
        .modcache()
        .join("cache/download/sumdb/localhost.localdev/sumdb/lookup");
    assert!(
        lookups
            .join("example.com/legacy@v2.0.0+incompatible")
            .is_file()
    );
    assert!(
        !lookups.join("example.com/unicode@v1.0.0").exists(),
        "a private module was asked about"
    );
    // A second run asks nothing: every answer is cached.
    let (_, again) = verify(&[("GONOSUMDB", "example.com/unicode")]);
    assert_eq!(again["sumdb"]["asked"], 0, "{}", again["sumdb"]);
    // go, with the database out of reach, judges by what modlens cached.
    let unreachable = format!("{VKEY} http://127.0.0.1:9");
    for d in &downloads {
        let target = format!("{}@{}", d.path, d.version);
        if d.path == "example.com/unicode" {
            continue;
        }
        let project = tempfile::tempdir().unwrap();
        std::fs::write(
            project.path().join("go.mod"),
            "module test.example/p\n\ngo 1.18\n",
        )
        .unwrap();
        let gopath = tempfile::tempdir().unwrap();
        let out = go
            .command(&["mod", "download", "-json", &target])
            .current_dir(project.path())
            .env("GOPROXY", "off")
            .env("GOSUMDB", &unreachable)
            .env("GOPATH", gopath.path())
            .output()
            .unwrap();
        assert_eq!(
            out.status.success(),
            target != lied,
            "{target}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }

    // A vendored project whose go.sum is gone: its zips are proven by the database's answers
    // modlens cached, and a fresh vendor directory is found identical.
    let project = go.workdir().join("vendored");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("go.mod"),
        "module example.com/vendored\n\ngo 1.18\n\nrequire example.com/nested v1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        project.join("main.go"),
        "package main\n\nimport _ \"example.com/nested\"\n\nfunc main() {}\n",
    )
    .unwrap();
    for args in [&["mod", "tidy"][..], &["mod", "vendor"]] {
        let out = go.command(args).current_dir(&project).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    std::fs::remove_file(project.join("go.sum")).unwrap();
    let out = go
        .modlens(&go.modcache(), &["vendor", "verify", "--json"])
        .arg(&project)
        .env("GOSUMDB", &gosumdb)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    assert_eq!(report["modules"][0]["status"], "identical", "{report}");
    assert_eq!(out.status.code(), Some(0), "{report}");
}
