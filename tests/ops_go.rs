//! Delete and repair on caches written by the real go: afterwards go must still accept the
//! cache, and modlens must find nothing wrong.

use std::fs;
use std::sync::Arc;

use modlens::cache::{ModCache, ModuleKey, Snapshot};
use modlens::fix::delete::delete_version;
use modlens::fix::refetch::{GoRunner, Repair, repair};
use modlens::verify::Expectations;

use crate::support::go::Go;
use crate::support::proxy::standard_modules;
use crate::support::{make_writable, run};

fn snapshot(cache: &ModCache) -> Snapshot {
    crate::support::snapshot(cache.root())
}

fn key(path: &str, version: &str) -> ModuleKey {
    ModuleKey {
        path: path.into(),
        version: version.into(),
    }
}

fn go_env(go: &Go) -> GoRunner {
    GoRunner {
        goflags: String::new(),
        modcacherw: false,
        tree_index: None,
        program: crate::support::go::go_binary().map(Into::into),
        env: vec![
            ("GOPROXY".into(), format!("file://{}", go.proxy().display())),
            ("GOSUMDB".into(), "off".into()),
            ("GOFLAGS".into(), "-mod=mod".into()),
            ("GOTOOLCHAIN".into(), "local".into()),
            ("GOENV".into(), "off".into()),
            (
                "GOPATH".into(),
                go.sandbox.path().join("gopath").display().to_string(),
            ),
            ("GOCACHE".into(), go.gocache.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                crate::support::test_config_home().display().to_string(),
            ),
        ],
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_deleted_version_is_gone_except_its_lock_and_go_fetches_it_again() {
    let Some(go) = Go::find("a_deleted_version_is_gone") else {
        return;
    };
    go.download(&standard_modules());
    let cache = ModCache::new(go.modcache());
    let k = key("example.com/MixedCase", "v1.2.3");
    let mut steps = Vec::new();
    delete_version(&cache, &k, |s| steps.push(s.to_owned())).unwrap();
    assert_eq!(steps.first().map(String::as_str), Some("locked"));
    assert_eq!(
        steps.get(1).map(String::as_str),
        Some("partial written"),
        "the .partial goes first: {steps:?}"
    );

    assert!(!cache.tree_dir(&k).exists());
    let at_v = cache.at_v_dir(&k);
    let left: Vec<String> = fs::read_dir(&at_v)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("v1.2.3."))
        .collect();
    assert_eq!(left, ["v1.2.3.lock"], "only the lock stays");
    let list = fs::read_to_string(at_v.join("list")).unwrap_or_default();
    assert!(
        !list.lines().any(|l| l == "v1.2.3"),
        "list no longer names it: {list:?}"
    );
    let snap = snapshot(&cache);
    assert!(!snap.entries.iter().any(|e| e.key == k));
    assert!(snap.leftovers.is_empty(), "{:?}", snap.leftovers);

    let out = go
        .command(&["mod", "download", "-json", "example.com/MixedCase@v1.2.3"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "go fetches it again: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["verify", "--cache", go.modcache().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn an_edited_tree_is_re_extracted_offline_and_a_broken_zip_and_tree_are_re_fetched() {
    let Some(go) = Go::find("an_edited_tree_is_re_extracted") else {
        return;
    };
    go.download(&standard_modules());
    let cache = ModCache::new(go.modcache());
    make_writable(&go.modcache());
    let edited = key("example.com/nested", "v1.0.0");
    fs::write(cache.tree_dir(&edited).join("a/b/other.txt"), "tampered\n").unwrap();
    // Zip and tree both broken: nothing local can be trusted.
    let broken = key("example.com/unicode", "v1.0.0");
    fs::write(
        cache.version_file(&broken, modlens::cache::VersionFile::Zip),
        "garbage",
    )
    .unwrap();
    fs::write(cache.tree_dir(&broken).join("extra.go"), "package x\n").unwrap();

    let snap = snapshot(&cache);
    let expect = Arc::new(Expectations::default());
    let runner = go_env(&go);
    let entry = |k: &ModuleKey| snap.entries.iter().find(|e| e.key == *k).unwrap().clone();
    assert_eq!(
        repair(&cache, &entry(&edited), &expect, &runner).map_err(|e| e.to_string()),
        Ok(Repair::Reextracted)
    );
    assert_eq!(
        repair(&cache, &entry(&broken), &expect, &runner).map_err(|e| e.to_string()),
        Ok(Repair::Refetched)
    );

    let out = run(&["verify", "--cache", go.modcache().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let project = go.project(
        "p",
        &[
            ("example.com/nested", "v1.0.0"),
            ("example.com/unicode", "v1.0.0"),
        ],
    );
    let (ok, err) = go.mod_verify(&project);
    assert!(ok, "go mod verify accepts the repaired cache: {err}");
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(cache.tree_dir(&edited).join("a/b"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o222,
        0,
        "re-extracted directories are read-only, as go leaves them"
    );
    let mode = fs::metadata(cache.tree_dir(&edited).join("a/b/other.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o444);
}

/// "zip: not a valid zip file" with the tree intact: modlens rebuilds the zip from the tree
/// offline (no proxy at all), and go accepts the result with the same Sum as before.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_broken_zip_beside_an_intact_tree_is_re_zipped_offline() {
    let Some(go) = Go::find("a_broken_zip_beside_an_intact_tree") else {
        return;
    };
    let before = go.download(&standard_modules());
    let cache = ModCache::new(go.modcache());
    make_writable(&go.modcache());
    let truncated = key("example.com/MixedCase", "v1.2.3");
    let zip = cache.version_file(&truncated, modlens::cache::VersionFile::Zip);
    let len = fs::metadata(&zip).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&zip)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    // A valid zip of other content: zip_modified, tree still right.
    let swapped = key("example.com/nested", "v1.0.0");
    fs::copy(
        go.modcache()
            .join("cache/download/example.com/unicode/@v/v1.0.0.zip"),
        cache.version_file(&swapped, modlens::cache::VersionFile::Zip),
    )
    .unwrap();
    let project = go.project(
        "p",
        &[
            ("example.com/MixedCase", "v1.2.3"),
            ("example.com/nested", "v1.0.0"),
        ],
    );
    assert!(!go.mod_verify(&project).0, "go sees the damage first");
    let out = run(&[
        "verify",
        "--json",
        "--cache",
        go.modcache().to_str().unwrap(),
    ]);
    let verified: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for e in verified["entries"].as_array().unwrap() {
        for p in e["problems"].as_array().unwrap() {
            assert_eq!(p["fix"], "rezip", "verify advises rebuilding the zip: {p}");
        }
    }

    let cache_arg = go.modcache().display().to_string();
    let project_arg = project.display().to_string();
    let out = crate::support::modlens(&[
        "refetch",
        "--broken",
        "--yes",
        "--json",
        "--cache",
        &cache_arg,
        "--project",
        &project_arg,
    ])
    .env("GOPROXY", "off")
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        crate::support::stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let actions = crate::support::repair_actions(&report);
    assert!(
        actions.contains(&("example.com/MixedCase".into(), "re-zipped".into()))
            && actions.contains(&("example.com/nested".into(), "re-zipped".into())),
        "{text}"
    );

    let (ok, err) = go.mod_verify(&project);
    assert!(ok, "go mod verify accepts the rebuilt zips: {err}");
    let again = crate::support::go::parse_downloads(
        &go.command(&[
            "mod",
            "download",
            "-json",
            "example.com/MixedCase@v1.2.3",
            "example.com/nested@v1.0.0",
        ])
        .env("GOPROXY", "off")
        .output()
        .unwrap(),
    );
    for d in &again {
        let first = before.iter().find(|b| b.path == d.path).unwrap();
        assert_eq!(d.error, None);
        assert_eq!(d.sum, first.sum, "{} keeps its Sum", d.path);
    }
    let leftovers: Vec<_> = snapshot(&cache).leftovers;
    assert!(leftovers.is_empty(), "no temp zip left: {leftovers:?}");

    // go can extract the rebuilt zip itself: remove a tree and let go put it back, offline.
    let tree = cache.tree_dir(&truncated);
    make_writable(&tree);
    fs::remove_dir_all(&tree).unwrap();
    let out = go
        .command(&["mod", "download", "-json", "example.com/MixedCase@v1.2.3"])
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(tree.is_dir(), "go extracted the rebuilt zip");
    let out = run(&["verify", "--cache", go.modcache().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
