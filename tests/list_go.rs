//! `modlens list` against caches written by the real go command.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::support::go::{Go, du};
use crate::support::proxy::standard_modules;
use crate::support::{entry, list_json, path_buf};

#[test]
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
