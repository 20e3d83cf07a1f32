//! Remembered verdicts: a second `verify` of an unchanged cache hashes nothing and says the
//! same; every damage applied after a first verify is found by the next, incremental one,
//! including an edit that keeps the size and puts the modification time back, a file replaced
//! by a rename, and a go.sum line that changed while the cache did not.

use std::fs::{self, File, FileTimes};
use std::path::Path;

use serde_json::Value;

use crate::support::go::Go;
use crate::support::proxy::standard_modules;
use crate::support::{make_writable, modlens, stderr};

fn verify(go: &Go, project: &Path, extra: &[&str]) -> Value {
    verify_at(go, project, extra, None)
}

/// [`verify`] at `now` (`MODLENS_NOW`), when given.
fn verify_at(go: &Go, project: &Path, extra: &[&str], now: Option<&str>) -> Value {
    let state = go.sandbox.path().join("state.db");
    let cache = go.modcache().display().to_string();
    let project = project.display().to_string();
    let mut args = vec!["verify", "--json", "--cache", &cache, "--project", &project];
    args.extend(extra);
    let mut cmd = modlens(&args);
    cmd.env("MODLENS_STATE", &state);
    if let Some(now) = now {
        cmd.env("MODLENS_NOW", now);
    }
    let out = cmd.output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn counts(report: &Value) -> (u64, u64) {
    (
        report["summary"]["rehashed"].as_u64().unwrap(),
        report["summary"]["remembered"].as_u64().unwrap(),
    )
}

fn kinds_of(report: &Value, path: &str) -> Vec<String> {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .unwrap_or_else(|| panic!("{path} in {report:#}"))["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Writes `content` over `path` (same length), then puts its modification time back.
fn edit_keeping_mtime(path: &Path, content: &[u8]) {
    make_writable(path);
    let mtime = fs::metadata(path).unwrap().modified().unwrap();
    assert_eq!(fs::metadata(path).unwrap().len(), content.len() as u64);
    fs::write(path, content).unwrap();
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_times(FileTimes::new().set_modified(mtime))
        .unwrap();
    assert_eq!(fs::metadata(path).unwrap().modified().unwrap(), mtime);
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn every_damage_after_a_first_verify_is_found_by_the_next() {
    let Some(go) = Go::find("every_damage_after_a_first_verify_is_found") else {
        return;
    };
    go.download(&standard_modules());
    let project = go.project(
        "incremental",
        &[
            ("example.com/MixedCase", "v1.2.3"),
            ("example.com/nested", "v1.0.0"),
            ("example.com/unicode", "v1.0.0"),
            ("example.com/nested/v2", "v2.1.0"),
        ],
    );
    let first = verify(&go, &project, &[]);
    let total = first["summary"]["checked"].as_u64().unwrap();
    assert_eq!(counts(&first), (total, 0), "nothing remembered yet");
    assert_eq!(first["summary"]["problems"], 0, "{first:#}");
    let second = verify(&go, &project, &[]);
    assert_eq!(
        counts(&second),
        (0, total),
        "an unchanged cache is not hashed again"
    );
    assert_eq!(second["entries"], first["entries"], "and says the same");
    // Verdicts an older modlens kept as JSON text are still remembered.
    let db = rusqlite::Connection::open(go.sandbox.path().join("state.db")).unwrap();
    let stored: Vec<(String, String, Vec<u8>)> = db
        .prepare("SELECT path, version, verdict FROM verdicts")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (path, version, blob) in stored {
        let verdict: modlens::verify::Verdict = postcard::from_bytes(&blob).unwrap();
        db.execute(
            "UPDATE verdicts SET verdict = ?1 WHERE path = ?2 AND version = ?3",
            rusqlite::params![serde_json::to_string(&verdict).unwrap(), path, version],
        )
        .unwrap();
    }
    drop(db);
    let third = verify(&go, &project, &[]);
    assert_eq!(counts(&third), (0, total), "JSON verdicts are remembered");
    assert_eq!(third["entries"], first["entries"]);

    let cache = go.modcache();
    // 1. A tree file edited, same size, modification time put back.
    let hello = cache.join("example.com/!mixed!case@v1.2.3/hello.go");
    let text = fs::read(&hello).unwrap();
    let mut edited = text.clone();
    edited[0] = b'/';
    edit_keeping_mtime(&hello, &edited);
    let report = verify(&go, &project, &[]);
    assert_eq!(counts(&report), (1, total - 1), "{report:#}");
    assert!(kinds_of(&report, "example.com/MixedCase").contains(&"dir_modified".to_owned()));

    // 2. A tree file replaced by a rename: same name, size and time, another inode.
    let deep = cache.join("example.com/nested@v1.0.0/a/b/c/d/deep.go");
    make_writable(&deep);
    let mtime = fs::metadata(&deep).unwrap().modified().unwrap();
    let len = fs::metadata(&deep).unwrap().len() as usize;
    let other = deep.with_file_name("deep.go.new");
    fs::write(&other, "x".repeat(len)).unwrap();
    File::options()
        .write(true)
        .open(&other)
        .unwrap()
        .set_times(FileTimes::new().set_modified(mtime))
        .unwrap();
    fs::rename(&other, &deep).unwrap();
    let report = verify(&go, &project, &[]);
    assert!(kinds_of(&report, "example.com/nested").contains(&"dir_modified".to_owned()));

    // 3. A zip overwritten in place, same length and time.
    let zip = cache.join("cache/download/example.com/unicode/@v/v1.0.0.zip");
    let len = fs::metadata(&zip).unwrap().len() as usize;
    edit_keeping_mtime(&zip, &vec![b'z'; len]);
    let report = verify(&go, &project, &[]);
    assert!(kinds_of(&report, "example.com/unicode").contains(&"zip_invalid".to_owned()));

    // 4. A .ziphash removed.
    fs::remove_file(cache.join("cache/download/example.com/nested/v2/@v/v2.1.0.ziphash")).unwrap();
    let report = verify(&go, &project, &[]);
    assert!(
        kinds_of(&report, "example.com/nested/v2").contains(&"ziphash_missing".to_owned()),
        "{report:#}"
    );

    // 5. A .mod edited, same size and time: go.sum says otherwise.
    let legacy_mod = cache.join("cache/download/example.com/!mixed!case/@v/v1.2.3.mod");
    let mut text = fs::read(&legacy_mod).unwrap();
    let last = text.len() - 2;
    text[last] = b'9';
    edit_keeping_mtime(&legacy_mod, &text);
    let report = verify(&go, &project, &[]);
    assert!(
        kinds_of(&report, "example.com/MixedCase").contains(&"gomod_sum_mismatch".to_owned()),
        "{report:#}"
    );

    // 6. The cache unchanged, a go.sum line changed: the verdict depends on it.
    let before = verify(&go, &project, &[]);
    let (_, remembered) = counts(&before);
    assert_eq!(remembered, total, "nothing changed since: {before:#}");
    let sum = fs::read_to_string(project.join("go.sum")).unwrap();
    let changed: String = sum
        .lines()
        .map(|l| {
            if l.starts_with("example.com/pseudo ")
                || !l.starts_with("example.com/nested v1.0.0 h1:")
            {
                format!("{l}\n")
            } else {
                "example.com/nested v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
                    .to_owned()
            }
        })
        .collect();
    fs::write(project.join("go.sum"), changed).unwrap();
    let report = verify(&go, &project, &[]);
    assert_eq!(
        counts(&report).0,
        1,
        "only the version whose line changed: {report:#}"
    );
    assert!(kinds_of(&report, "example.com/nested").contains(&"gosum_mismatch".to_owned()));

    // 7. --full and --rehash-after hash everything again.
    assert_eq!(counts(&verify(&go, &project, &["--full"])), (total, 0));
    assert_eq!(
        counts(&verify(&go, &project, &["--rehash-after", "1s"])).1,
        total,
        "young"
    );
    // Three seconds later (MODLENS_NOW, no sleeping) every verdict is older than that.
    let later = crate::support::seconds_from_now(3);
    assert_eq!(
        counts(&verify_at(
            &go,
            &project,
            &["--rehash-after", "1s"],
            Some(&later)
        )),
        (total, 0)
    );
}
