//! Stores in an S3-compatible bucket (moto on 127.0.0.1), in the three key layouts teams use:
//! goproxy's S3 cacher (go's request paths), Athens on S3 (the same shape, module paths as
//! is) and Athens on MinIO (`<module>/<version>/…`, with `parts/` left by an interrupted
//! upload). The bytes are the planted store of `proxy_go`, whose verdicts go itself judges
//! there; in a bucket they must be the same, and go must accept exactly the `match` ones.
//! `proxy clean --yes` copies what is proven wrong to a trash prefix, then deletes it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::proxy_go::{planted_store, statuses};
use crate::support::go::Go;
use crate::support::s3::{ENV, S3Server, files_below};
use crate::support::{modlens, stderr, stdout};

/// `modlens proxy ACTION --json URL --endpoint … --project P [extra]`.
fn proxy(
    server: &S3Server,
    action: &str,
    url: &str,
    project: &std::path::Path,
    extra: &[&str],
) -> (i32, Value) {
    let mut cmd = modlens(&[
        "proxy",
        action,
        "--json",
        url,
        "--endpoint",
        &server.endpoint,
    ]);
    cmd.arg("--project").arg(project).args(extra).envs(ENV);
    let out = cmd.output().unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), report)
}

fn athens_key(path: &str, version: &str, file: &str) -> String {
    format!("{path}/{version}/{file}")
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn bucket_stores_in_every_layout_get_the_verdicts_of_the_same_bytes_on_disk() {
    let Some(go) = Go::find("bucket_stores_in_every_layout") else {
        return;
    };
    let (downloads, project, store) = planted_store(&go);
    let on_disk = {
        let out = modlens(&["proxy", "verify", "--json"])
            .arg(&store)
            .arg("--project")
            .arg(&project)
            .output()
            .unwrap();
        statuses(&serde_json::from_slice(&out.stdout).unwrap())
    };
    let server = S3Server::start();
    let files = files_below(&store);
    // goproxy's S3 cacher: go's request paths, below a prefix.
    let goproxy: Vec<(String, std::path::PathBuf)> = files
        .iter()
        .filter(|(k, _)| !k.ends_with(".ziphash") && !k.ends_with(".lock"))
        .map(|(k, p)| (format!("goproxy/{k}"), p.clone()))
        .collect();
    server.upload("team", &goproxy);
    let (code, report) = proxy(&server, "verify", "s3://team/goproxy", &project, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["layout"], "goproxy");
    assert_eq!(statuses(&report), on_disk);

    // Athens on S3: the same shape with module paths and versions as they are.
    let mut athens_s3 = Vec::new();
    let mut minio = Vec::new();
    for d in &downloads {
        let esc = |s: &str| modlens::cache::module::escape(s);
        let at = store.join(esc(&d.path)).join("@v");
        let ev = esc(&d.version);
        for ext in ["info", "mod", "zip"] {
            let file = at.join(format!("{ev}.{ext}"));
            athens_s3.push((format!("{}/@v/{}.{ext}", d.path, d.version), file.clone()));
        }
        minio.push((
            athens_key(&d.path, &d.version, "go.mod"),
            at.join(format!("{ev}.mod")),
        ));
        minio.push((
            athens_key(&d.path, &d.version, "source.zip"),
            at.join(format!("{ev}.zip")),
        ));
        minio.push((
            athens_key(&d.path, &d.version, &format!("{}.info", d.version)),
            at.join(format!("{ev}.info")),
        ));
    }
    server.upload("athens", &athens_s3);
    let (_, report) = proxy(&server, "verify", "s3://athens", &project, &[]);
    let mut want: BTreeMap<String, String> = on_disk.clone();
    // Athens keeps no @v/list, so the phantom version it named is not there.
    want.remove("example.com/pseudo@v1.9.9");
    assert_eq!(statuses(&report), want);

    // Athens on MinIO, with an upload interrupted: parts/ left below a sound version.
    let sound = "example.com/MixedCase@v1.3.0-RC1";
    assert_eq!(want[sound], "match");
    minio.push((
        athens_key(
            "example.com/MixedCase",
            "v1.3.0-RC1",
            "parts/source.zip.part.1",
        ),
        store.join("example.com/!mixed!case/@v/v1.3.0-!r!c1.mod"),
    ));
    server.upload("minio", &minio);
    let (_, report) = proxy(
        &server,
        "verify",
        "s3://minio/",
        &project,
        &["--path-style"],
    );
    assert_eq!(report["layout"], "athens");
    let got = statuses(&report);
    want.insert(sound.into(), "malformed".into());
    assert_eq!(got, want);
    // go, fetching through the same bytes, accepts exactly the versions that match.
    for (target, status) in &got {
        if target == sound || target == "example.com/pseudo@v1.9.9" {
            continue;
        }
        let fresh = tempfile::tempdir().unwrap();
        let accepted = go
            .command(&["mod", "download", "-json", target])
            .current_dir(&project)
            .env("GOPROXY", format!("file://{}", store.display()))
            .env("GOMODCACHE", fresh.path())
            .output()
            .unwrap()
            .status
            .success();
        crate::support::make_writable(fresh.path());
        assert_eq!(
            accepted,
            status == "match",
            "{target}: modlens says {status}"
        );
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn proxy_clean_of_a_bucket_copies_to_a_trash_prefix_then_deletes_only_the_wrong() {
    let Some(go) = Go::find("proxy_clean_of_a_bucket") else {
        return;
    };
    let (_, project, store) = planted_store(&go);
    let server = S3Server::start();
    let files: Vec<(String, std::path::PathBuf)> = files_below(&store)
        .into_iter()
        .filter(|(k, _)| !k.ends_with(".ziphash") && !k.ends_with(".lock"))
        .map(|(k, p)| (format!("store/{k}"), p))
        .collect();
    server.upload("team", &files);
    let before: BTreeMap<String, u64> = server.keys("team", "").into_iter().collect();
    let (_, verified) = proxy(&server, "verify", "s3://team/store", &project, &[]);
    let wrong: Vec<String> = statuses(&verified)
        .into_iter()
        .filter(|(_, s)| s == "mismatch" || s == "malformed")
        .map(|(t, _)| t)
        .collect();
    // Report first: nothing changes without --yes.
    let (code, plan) = proxy(&server, "clean", "s3://team/store", &project, &[]);
    assert_eq!(code, 1, "{plan}");
    assert_eq!(
        server
            .keys("team", "")
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        before
    );
    let (code, cleaned) = proxy(&server, "clean", "s3://team/store", &project, &["--yes"]);
    assert_eq!(code, 0, "{cleaned}");
    let moved: Vec<String> = cleaned["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    let mut expected = wrong.clone();
    // A version only @v/list names has no objects to move; it leaves the list.
    expected.sort();
    let mut moved_sorted = moved.clone();
    moved_sorted.sort();
    assert_eq!(moved_sorted, expected);
    let trash = cleaned["trash"].as_str().unwrap().to_owned();
    let trash_prefix = trash.trim_start_matches("s3://team/");
    assert!(trash_prefix.starts_with("store.modlens-trash/"), "{trash}");
    let after: BTreeMap<String, u64> = server.keys("team", "").into_iter().collect();
    let trashed: BTreeMap<String, u64> = server.keys("team", trash_prefix).into_iter().collect();
    for (key, size) in &before {
        let rel = key.trim_start_matches("store/");
        let is_wrong = wrong.iter().any(|w| {
            let (path, version) = w.split_once('@').unwrap();
            let esc = |s: &str| modlens::cache::module::escape(s);
            rel.starts_with(&format!("{}/@v/{}.", esc(path), esc(version)))
        });
        if is_wrong {
            assert!(!after.contains_key(key), "{key} was not removed");
            assert_eq!(
                trashed.get(&format!("{trash_prefix}{rel}")),
                Some(size),
                "{key} was not copied to the trash first"
            );
        } else if !rel.ends_with("/@v/list") {
            assert_eq!(after.get(key), Some(size), "{key} changed");
        }
    }
    // The store is clean now, and the list no longer names what left.
    let (code, again) = proxy(&server, "verify", "s3://team/store", &project, &[]);
    assert_eq!(code, 0, "{again}");
}

/// A second run over an unchanged bucket only lists it: every verdict is remembered for the
/// same objects (key, size, ETag) and nothing is downloaded; an object replaced under the same
/// key (a re-tagged release uploaded again) gets a new ETag, and only its version is fetched
/// and judged again.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_second_verify_of_an_unchanged_bucket_downloads_nothing() {
    let Some(go) = Go::find("a_second_verify_of_an_unchanged_bucket") else {
        return;
    };
    let (downloads, project, store) = planted_store(&go);
    let server = S3Server::start();
    let files: Vec<(String, std::path::PathBuf)> = files_below(&store)
        .into_iter()
        .filter(|(k, _)| !k.ends_with(".ziphash") && !k.ends_with(".lock"))
        .collect();
    server.upload("team", &files);
    let state = tempfile::tempdir().unwrap();
    let run = || {
        let mut cmd = modlens(&["proxy", "verify", "--json", "s3://team", "--endpoint"]);
        cmd.arg(&server.endpoint)
            .arg("--project")
            .arg(&project)
            .envs(ENV)
            .env("MODLENS_STATE", state.path().join("state.db"));
        let out = cmd.output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        (report, stderr(&out))
    };
    let (first, said) = run();
    let total = statuses(&first).len();
    assert_eq!(first["remembered"], 0);
    assert!(
        said.contains(&format!("fetched {total} of {total} versions")),
        "{said}"
    );
    let (second, said) = run();
    assert_eq!(statuses(&second), statuses(&first));
    assert_eq!(second["remembered"], total, "{second}");
    assert!(
        said.contains(&format!("fetched 0 of {total} versions")),
        "{said}"
    );
    // The authentic zip uploaded again over the re-tagged one: a new ETag, judged again.
    let d = downloads
        .iter()
        .find(|d| d.path == "example.com/MixedCase" && d.version == "v1.2.3")
        .unwrap();
    server.upload(
        "team",
        &[(
            "example.com/!mixed!case/@v/v1.2.3.zip".into(),
            std::path::PathBuf::from(d.zip.as_ref().unwrap()),
        )],
    );
    let (third, said) = run();
    assert!(
        said.contains(&format!("fetched 1 of {total} versions")),
        "{said}"
    );
    assert_eq!(third["remembered"], total - 1);
    assert_eq!(statuses(&third)["example.com/MixedCase@v1.2.3"], "match");
}
