//! `modlens list` against caches written by the real go command.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::support::go::{Go, du};
use crate::support::proxy::standard_modules;
use crate::support::{entry, list_json, path_buf, stderr, stdout};

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn list_reports_every_version_go_downloaded_with_its_dir_and_zip() {
    let Some(go) = Go::find("list_reports_every_version_go_downloaded") else {
        return;
    };
    let downloads = go.download(&standard_modules());
    let report = list_json(&go.modcache());

    let listed: BTreeSet<(String, String)> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let downloaded: BTreeSet<(String, String)> = downloads
        .iter()
        .map(|d| (d.path.clone(), d.version.clone()))
        .collect();
    assert_eq!(
        listed, downloaded,
        "modlens must list exactly what go downloaded"
    );

    for d in &downloads {
        let e = entry(&report, &d.path, &d.version);
        assert_eq!(
            path_buf(&e["dir"]),
            *d.dir.as_ref().unwrap(),
            "Dir of {}@{}",
            d.path,
            d.version
        );
        assert_eq!(
            path_buf(&e["zip"]),
            *d.zip.as_ref().unwrap(),
            "Zip of {}@{}",
            d.path,
            d.version
        );
        assert_eq!(e["extracted"], true);
        assert_eq!(e["has_zip"], true);
        assert_eq!(e["kind"], "module");
        assert_eq!(
            e["zip_bytes"],
            std::fs::metadata(d.zip.as_ref().unwrap()).unwrap().len()
        );
        assert!(e["files"].as_u64().unwrap() >= 2, "{e}");
        assert!(e["downloaded"].is_string() && e["last_used"].is_string());
        for piece in ["info", "mod", "zip", "ziphash", "lock"] {
            assert_eq!(
                e["pieces"][piece], true,
                "{piece} of {}@{}",
                d.path, d.version
            );
        }
        assert_eq!(e["pieces"]["partial"], false);
    }
    assert!(
        report["leftovers"].as_array().unwrap().is_empty(),
        "{}",
        report["leftovers"]
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn list_totals_match_du_of_a_go_written_cache() {
    let Some(go) = Go::find("list_totals_match_du") else {
        return;
    };
    go.download(&standard_modules());
    let report = list_json(&go.modcache());
    let totals = &report["totals"];
    assert_eq!(
        totals["disk_bytes"],
        du(&go.modcache(), false),
        "disk bytes vs du -sB1"
    );
    assert_eq!(
        totals["apparent_bytes"],
        du(&go.modcache(), true),
        "apparent bytes vs du -sb"
    );
    let parts: u64 = ["entries", "vcs", "sumdb", "leftovers", "shared"]
        .iter()
        .map(|p| totals[format!("{p}_disk_bytes")].as_u64().unwrap())
        .sum();
    assert_eq!(totals["disk_bytes"], parts, "the parts add up to the whole");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn list_reads_publish_time_and_origin_from_info() {
    let Some(go) = Go::find("list_reads_publish_time_and_origin") else {
        return;
    };
    go.download(&standard_modules());
    let report = list_json(&go.modcache());
    let e = entry(&report, "example.com/nested/v2", "v2.1.0");
    assert_eq!(e["published"], "2024-03-04T05:06:07Z");
    assert_eq!(e["origin"]["vcs"], "git");
    assert_eq!(e["origin"]["url"], "https://example.com/nested");
    assert_eq!(
        e["origin"]["hash"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    let legacy = entry(&report, "example.com/legacy", "v2.0.0+incompatible");
    assert_eq!(legacy["published"], "2019-05-06T07:08:09Z");
    assert!(legacy["origin"].is_null());
    let dir = path_buf(&entry(&report, "example.com/unicode", "v1.0.0")["dir"]);
    assert!(dir.join("données").join("é.txt").is_file());
    let mixed: PathBuf = path_buf(&entry(&report, "example.com/MixedCase", "v1.3.0-RC1")["dir"]);
    assert!(
        mixed.ends_with("example.com/!mixed!case@v1.3.0-!r!c1"),
        "{}",
        mixed.display()
    );
}

/// What go answers for the cache location in an environment: a path, or an error.
fn go_says(go: &crate::support::go::Go, vars: &[(&str, String)]) -> Result<String, String> {
    let mut cmd = std::process::Command::new(crate::support::go::go_binary().unwrap());
    cmd.args(["env", "GOMODCACHE"]).current_dir(go.workdir());
    for v in [
        "GOMODCACHE",
        "GOPATH",
        "HOME",
        "GOENV",
        "XDG_CONFIG_HOME",
        "GOFLAGS",
    ] {
        cmd.env_remove(v);
    }
    cmd.envs(vars.iter().map(|(k, v)| (k, v)));
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match (out.status.success(), text.is_empty()) {
        (true, false) if std::path::Path::new(&text).is_absolute() => Ok(text),
        (true, false) => Err("relative".into()),
        (true, true) => Err("module cache not found".into()),
        (false, _) => Err("relative".into()),
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_cache_is_located_exactly_as_go_locates_it_with_and_without_go() {
    let Some(go) = crate::support::go::Go::find("the_cache_is_located_exactly_as_go") else {
        return;
    };
    let base = go.sandbox.path().to_path_buf();
    let p = |rel: &str| base.join(rel).display().to_string();
    // A GOENV file as `go env -w GOMODCACHE=...` writes it.
    std::fs::create_dir_all(base.join("cfg")).unwrap();
    std::fs::write(
        base.join("cfg/env"),
        format!("GOMODCACHE={}\n", p("fromfile")),
    )
    .unwrap();
    let table: Vec<Vec<(&str, String)>> = vec![
        vec![("GOMODCACHE", p("explicit")), ("HOME", p("h"))],
        vec![("GOMODCACHE", "relative/mod".into()), ("HOME", p("h"))],
        vec![
            ("GOPATH", format!("{}:{}", p("gp1"), p("gp2"))),
            ("HOME", p("h")),
        ],
        vec![("GOPATH", format!(":{}", p("gp2"))), ("HOME", p("h"))],
        vec![("GOPATH", "relative".into()), ("HOME", p("h"))],
        vec![("GOPATH", String::new()), ("HOME", p("h"))],
        vec![("HOME", p("h"))],
        vec![("HOME", String::new())],
        vec![("GOENV", p("cfg/env")), ("HOME", p("h"))],
        vec![("GOENV", "off".into()), ("HOME", p("h"))],
    ];
    let empty_path = base.join("no-go-on-path");
    std::fs::create_dir_all(&empty_path).unwrap();
    for vars in &table {
        let expected = go_says(&go, vars);
        if let Ok(dir) = &expected {
            std::fs::create_dir_all(dir).unwrap();
        }
        for with_go in [true, false] {
            let mut cmd = crate::support::modlens(&["list", "--json"]);
            cmd.current_dir(go.workdir());
            for v in ["GOENV", "HOME", "XDG_CONFIG_HOME"] {
                cmd.env_remove(v);
            }
            cmd.envs(vars.iter().map(|(k, v)| (k, v)));
            if !with_go {
                cmd.env("PATH", &empty_path).env_remove("MODLENS_GO");
            }
            let out = cmd.output().unwrap();
            let what = format!("{vars:?}, go on PATH: {with_go}");
            match &expected {
                Ok(dir) => {
                    assert!(out.status.success(), "{what}: {}", stderr(&out));
                    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                    assert_eq!(report["cache"], dir.as_str(), "{what}");
                }
                Err(needle) => {
                    assert_eq!(out.status.code(), Some(2), "{what}: go says {needle}");
                    assert!(
                        stderr(&out).contains(needle.as_str()),
                        "{what}: {}",
                        stderr(&out)
                    );
                }
            }
        }
    }
}

/// With GOFIPS140 set, go 1.24 and later unpack golang.org/fips140 from GOROOT into the cache
/// (a tree and a `.lock`; go 1.27 adds a `.ziphash`). It is a version of its own kind: listed,
/// verified where it can be, never a leftover to delete.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_fips_module_go_unpacks_is_a_version_never_a_leftover() {
    let Some(go) = Go::find("the_fips_module_go_unpacks_is_a_version_never_a_leftover") else {
        return;
    };
    go.download(&[crate::support::proxy::FixtureModule::new(
        "example.com/a",
        "v1.0.0",
        "2023-01-01T00:00:00Z",
    )
    .file("a.go", "package m\n")]);
    let project = go.project("p", &[("example.com/a", "v1.0.0")]);
    std::fs::write(
        project.join("main.go"),
        "package main\n\nimport _ \"example.com/a\"\n\nfunc main() {}\n",
    )
    .unwrap();
    // An offline build in FIPS mode, which makes go unpack the module.
    let build_fips = || {
        go.build(&project)
            .env("GOFIPS140", "v1.0.0")
            .env("GOPROXY", "off")
            .output()
            .unwrap()
    };
    let out = build_fips();
    let fips = go.modcache().join("golang.org");
    if !fips.exists() {
        // Ask the go under test: before 1.24 there is no FIPS module (or GOFIPS140 is refused).
        eprintln!(
            "this go writes no FIPS module: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
        return;
    }
    crate::support::assert_ok(&out, "go build with GOFIPS140");
    let report = list_json(&go.modcache());
    let entries = report["entries"].as_array().unwrap();
    let fips_entry = entries
        .iter()
        .find(|e| e["path"] == "golang.org/fips140")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(fips_entry["kind"], "fips140", "{fips_entry:#}");
    assert_eq!(
        report["leftovers"].as_array().unwrap().len(),
        0,
        "{report:#}"
    );
    let run = |args: &[&str]| {
        let mut cmd = crate::support::modlens(args);
        go.sandbox_env(&mut cmd);
        cmd.arg("--cache").arg(go.modcache()).env("GOPROXY", "off");
        cmd.output().unwrap()
    };
    // Every layout go writes: also without the `.ziphash` (go 1.24 to 1.26).
    for drop_ziphash in [false, true] {
        if drop_ziphash {
            let at_v = go.modcache().join("cache/download/golang.org/fips140/@v");
            for f in std::fs::read_dir(&at_v).unwrap().flatten() {
                if f.file_name().to_string_lossy().ends_with(".ziphash") {
                    crate::support::make_writable(&at_v);
                    std::fs::remove_file(f.path()).unwrap();
                }
            }
        }
        if drop_ziphash {
            // Without GOROOT's snapshot at hand the tree cannot be judged: said, not remembered.
            let mut cmd = crate::support::modlens(&["verify"]);
            go.sandbox_env(&mut cmd);
            cmd.arg("--cache")
                .arg(go.modcache())
                .env("MODLENS_GO", "/nonexistent/go");
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
            assert!(stdout(&out).contains("1 skipped"), "{}", stdout(&out));
            assert!(stdout(&out).contains("not at hand"), "{}", stdout(&out));
        }
        let out = run(&["verify"]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        assert!(stdout(&out).contains("0 skipped"), "{}", stdout(&out));
        let out = run(&["clean", "--leftovers", "--dry-run"]);
        assert!(
            stdout(&out).contains("nothing to remove"),
            "{}",
            stdout(&out)
        );
    }
    // Damage is found against GOROOT's snapshot; the repair deletes it, and go unpacks it
    // again (it cannot download it).
    let tree = std::fs::read_dir(&fips)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("fips140@"))
        .unwrap();
    crate::support::make_writable(&tree);
    std::fs::write(tree.join("LICENSE"), "changed\n").unwrap();
    let out = run(&["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("golang.org/fips140"),
        "{}",
        stdout(&out)
    );
    let out = run(&["refetch", "--broken", "--yes"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(!tree.exists(), "deleted for go to unpack again");
    crate::support::assert_ok(&build_fips(), "go build with GOFIPS140, again");
    assert!(tree.exists(), "go unpacked it again");
    assert_eq!(run(&["verify"]).status.code(), Some(0));
}
