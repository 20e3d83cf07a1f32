//! Shared module stores against the real go: a store go filled (a module cache's
//! `cache/download`, copied as a team's `file://` proxy) with planted damage, judged by
//! `modlens proxy verify`; go, fetching every version through `GOPROXY=file://STORE` in a project
//! whose go.sum holds the authentic lines, is the judge. The same bytes in Athens' disk layout
//! get the same verdicts.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::go::{Download, Go};
use crate::support::proxy::standard_modules;
use crate::support::{make_writable, modlens, stderr, stdout};

/// A project whose go.sum holds go's own lines for every download.
fn project_with_sums(go: &Go, downloads: &[Download]) -> std::path::PathBuf {
    let dir = go.workdir().join("project");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("go.mod"), "module test.example/p\n\ngo 1.18\n").unwrap();
    let mut sums = String::new();
    for d in downloads {
        if let Some(sum) = &d.sum {
            sums.push_str(&format!("{} {} {sum}\n", d.path, d.version));
        }
        if let Some(sum) = &d.go_mod_sum {
            sums.push_str(&format!("{} {}/go.mod {sum}\n", d.path, d.version));
        }
    }
    fs::write(dir.join("go.sum"), sums).unwrap();
    dir
}

/// Each version's status in a `proxy verify --json` report, by `path@version`.
pub(crate) fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let name = format!(
                "{}@{}",
                v["path"].as_str().unwrap(),
                v["version"].as_str().unwrap()
            );
            (name, v["status"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// `modlens proxy verify STORE [--project P] --json`: the exit status, and each version's
/// status by `path@version`.
fn verdicts(store: &Path, project: Option<&Path>) -> (i32, BTreeMap<String, String>) {
    let mut cmd = modlens(&["proxy", "verify", "--json"]);
    cmd.arg(store);
    if let Some(project) = project {
        cmd.arg("--project").arg(project);
    }
    let out = cmd.output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    let statuses = statuses(&report);
    (out.status.code().unwrap(), statuses)
}

/// Whether go, fetching `module@version` through the store into an empty module cache in
/// `project` (whose go.sum it checks), succeeds.
fn go_accepts(go: &Go, store: &Path, project: &Path, target: &str) -> bool {
    let fresh = tempfile::tempdir().unwrap();
    let out = go
        .command(&["mod", "download", "-json", target])
        .current_dir(project)
        .env("GOPROXY", format!("file://{}", store.display()))
        .env("GOMODCACHE", fresh.path())
        .env("GOFLAGS", "-mod=mod")
        .output()
        .unwrap();
    make_writable(fresh.path());
    out.status.success()
}

/// go's downloads of the standard fixtures (and of a module whose path differs from one of
/// theirs only in case), a project whose go.sum holds their lines, and a copy of go's
/// `cache/download` as a store with damage planted.
pub(crate) fn planted_store(go: &Go) -> (Vec<Download>, std::path::PathBuf, std::path::PathBuf) {
    let mut downloads = go.download(&standard_modules());
    // A module whose path differs from another's only in case, at the same version: its
    // verdict must not be the other's.
    downloads.extend(
        go.download(&[crate::support::proxy::FixtureModule::new(
            "example.com/mixedcase",
            "v1.2.3",
            "2023-01-03T00:00:00Z",
        )
        .file("lower.go", "package m\n")]),
    );
    let project = project_with_sums(go, &downloads);
    let store = go.workdir().join("store");
    crate::support::copy_tree(&go.modcache().join("cache/download"), &store);
    make_writable(&store);
    let v = |path: &str| store.join(path);
    // Another content under the same version (a valid zip: a re-tagged release), a flipped
    // byte in a zip's data, a truncated zip, an edited go.mod, an .info that names another
    // version, and a list that names a version the store does not hold.
    retag(&v("example.com/!mixed!case/@v/v1.2.3.zip"));
    let zip = v("example.com/pseudo/@v/v1.2.4-0.20230105000000-abcdefabcdef.zip");
    let mut bytes = fs::read(&zip).unwrap();
    let name_len = u16::from_le_bytes([bytes[26], bytes[27]]) as usize;
    let extra_len = u16::from_le_bytes([bytes[28], bytes[29]]) as usize;
    bytes[30 + name_len + extra_len] ^= 0x20;
    fs::write(&zip, &bytes).unwrap();
    let zip = v("example.com/nested/@v/v1.0.0.zip");
    let len = fs::metadata(&zip).unwrap().len();
    fs::File::options()
        .write(true)
        .open(&zip)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let go_mod = v("example.com/unicode/@v/v1.0.0.mod");
    fs::write(&go_mod, "module example.com/unicode\n\ngo 1.99\n").unwrap();
    let info = v("example.com/nested/v2/@v/v2.1.0.info");
    fs::write(
        &info,
        r#"{"Version":"v2.1.1","Time":"2024-03-04T05:06:07Z"}"#,
    )
    .unwrap();
    let list = v("example.com/pseudo/@v/list");
    let mut text = fs::read_to_string(&list).unwrap_or_default();
    text.push_str("v1.9.9\n");
    fs::write(&list, text).unwrap();

    (downloads, project, store)
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn store_verdicts_agree_with_go_fetching_through_the_store() {
    let Some(go) = Go::find("store_verdicts_agree_with_go") else {
        return;
    };
    let (downloads, project, store) = planted_store(&go);
    let (code, statuses) = verdicts(&store, Some(&project));
    assert_eq!(code, 1, "{statuses:?}");
    // Named as GOPROXY names it, the same store.
    let as_url = std::path::PathBuf::from(format!("file://{}", store.display()));
    assert_eq!(verdicts(&as_url, Some(&project)), (code, statuses.clone()));
    let expected = [
        ("example.com/MixedCase@v1.2.3", "mismatch"),
        ("example.com/mixedcase@v1.2.3", "match"),
        ("example.com/nested@v1.0.0", "malformed"),
        ("example.com/unicode@v1.0.0", "mismatch"),
        ("example.com/nested/v2@v2.1.0", "malformed"),
        ("example.com/pseudo@v1.9.9", "malformed"),
        (
            "example.com/pseudo@v1.2.4-0.20230105000000-abcdefabcdef",
            "malformed",
        ),
        ("example.com/legacy@v2.0.0+incompatible", "match"),
        ("example.com/MixedCase@v1.3.0-RC1", "match"),
    ];
    for (target, status) in expected {
        assert_eq!(
            statuses.get(target).map(String::as_str),
            Some(status),
            "{target}: {statuses:?}"
        );
    }
    // go is the judge of every version go.sum names.
    for d in &downloads {
        let target = format!("{}@{}", d.path, d.version);
        let accepted = go_accepts(&go, &store, &project, &target);
        let status = &statuses[&target];
        assert_eq!(
            accepted,
            status == "match",
            "{target}: modlens says {status}, go {}",
            if accepted { "accepts it" } else { "refuses it" }
        );
    }

    // A go.sum with only a version's go.mod line proves its go.mod, not its zip: unverifiable,
    // and said so.
    let mod_only = go.workdir().join("mod-only");
    fs::create_dir_all(&mod_only).unwrap();
    let legacy = downloads
        .iter()
        .find(|d| d.path == "example.com/legacy")
        .unwrap();
    fs::write(
        mod_only.join("go.mod"),
        "module test.example/m\n\ngo 1.18\n",
    )
    .unwrap();
    fs::write(
        mod_only.join("go.sum"),
        format!(
            "example.com/legacy v2.0.0+incompatible/go.mod {}\n",
            legacy.go_mod_sum.as_ref().unwrap()
        ),
    )
    .unwrap();
    let out = modlens(&["proxy", "verify", "--json"])
        .arg(&store)
        .arg("--project")
        .arg(&mod_only)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let legacy_verdict = report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["path"] == "example.com/legacy")
        .unwrap();
    assert_eq!(legacy_verdict["status"], "unverifiable");
    assert!(
        legacy_verdict["reasons"][0]
            .as_str()
            .unwrap()
            .contains("its go.mod is proven"),
        "{legacy_verdict}"
    );

    // Without go.sum lines, nothing says what a version should be.
    let (_, statuses) = verdicts(&store, None);
    assert_eq!(
        statuses["example.com/legacy@v2.0.0+incompatible"],
        "unverifiable"
    );
    assert_eq!(statuses["example.com/nested@v1.0.0"], "malformed");

    // The same bytes in Athens' disk layout get the same verdicts (the list's phantom aside:
    // Athens keeps no list).
    let athens = go.workdir().join("athens");
    for d in &downloads {
        let key_dir = athens.join(&d.path).join(&d.version);
        fs::create_dir_all(&key_dir).unwrap();
        let esc = |s: &str| modlens::cache::module::escape(s);
        let from = store.join(esc(&d.path)).join("@v");
        let ev = esc(&d.version);
        fs::copy(from.join(format!("{ev}.mod")), key_dir.join("go.mod")).unwrap();
        fs::copy(from.join(format!("{ev}.zip")), key_dir.join("source.zip")).unwrap();
        fs::copy(
            from.join(format!("{ev}.info")),
            key_dir.join(format!("{}.info", d.version)),
        )
        .unwrap();
    }
    // An interrupted save: the zip never written.
    let interrupted = athens.join("example.com/pseudo/v0.0.0-20230101000000-abcdefabcdef");
    fs::remove_file(interrupted.join("source.zip")).unwrap();
    let (code, athens_statuses) = verdicts(&athens, Some(&project));
    assert_eq!(code, 1);
    for (target, status) in &verdicts(&store, Some(&project)).1 {
        let want = if target == "example.com/pseudo@v0.0.0-20230101000000-abcdefabcdef" {
            "malformed"
        } else {
            status.as_str()
        };
        if target == "example.com/pseudo@v1.9.9" {
            continue;
        }
        assert_eq!(
            athens_statuses.get(target).map(String::as_str),
            Some(want),
            "{target} in Athens' layout: {athens_statuses:?}"
        );
    }
    // `--layout` reads a store as told; `proxy list` names every version.
    let out = modlens(&["proxy", "list", "--json", "--layout", "athens"])
        .arg(&athens)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["layout"], "athens");
    assert_eq!(
        listed["versions"].as_array().unwrap().len(),
        downloads.len()
    );
}

/// Rewrites the zip at `path` as a valid zip of the same names with one file's content
/// changed, as a re-tagged release would be.
pub(crate) fn retag(path: &Path) {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        entries.push((entry.name().unwrap().to_string(), data));
    }
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (i, (name, data)) in entries.iter().enumerate() {
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(data).unwrap();
        if i == 0 {
            out.write_all(b"// retagged\n").unwrap();
        }
    }
    fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}

#[test]
fn a_directory_that_is_no_store_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("just/some/dirs")).unwrap();
    for args in [&["proxy", "verify"][..], &["proxy", "list"]] {
        let out = modlens(args).arg(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("holds no module store"),
            "{}",
            stderr(&out)
        );
    }
    let out = modlens(&["proxy", "list"])
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the store"),
        "{}",
        stderr(&out)
    );
    // Values copied from GOPROXY: a list is refused before anything is asked, a file:// URL
    // that names no local directory is a bad value.
    for (store, said) in [
        ("https://proxy.example.com,direct", "is a GOPROXY list"),
        (
            "file:///srv/a|https://proxy.example.com",
            "is a GOPROXY list",
        ),
        (
            "file://host/srv/goproxy",
            "not the file:// URL of a local directory",
        ),
    ] {
        let out = modlens(&["proxy", "list", store]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{store}");
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
        assert!(stderr(&out).contains(said), "{store}: {}", stderr(&out));
    }
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn proxy_clean_reports_first_then_moves_only_what_is_proven_wrong() {
    let Some(go) = Go::find("proxy_clean_reports_first") else {
        return;
    };
    let (downloads, project, store) = planted_store(&go);
    let canary = go.workdir().join("canary.txt");
    fs::write(&canary, "outside the store\n").unwrap();
    let before = crate::support::fingerprint(&store);
    let clean = |extra: &[&str]| {
        let mut cmd = modlens(&["proxy", "clean"]);
        cmd.arg(&store).arg("--project").arg(&project).args(extra);
        cmd.output().unwrap()
    };
    // Report first: nothing moves without --yes.
    let out = clean(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("would move 6 versions"),
        "{}",
        stdout(&out)
    );
    assert_eq!(crate::support::fingerprint(&store), before);

    let out = clean(&["--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let trash_root = go.workdir().join("store.modlens-trash");
    let runs: Vec<_> = fs::read_dir(&trash_root).unwrap().flatten().collect();
    assert_eq!(runs.len(), 1, "one run in the trash");
    let run = runs[0].path();
    assert!(run.join("example.com/!mixed!case/@v/v1.2.3.zip").is_file());
    assert!(run.join("example.com/nested/@v/v1.0.0.zip").is_file());
    // Nothing proven wrong is left; everything else stays, and go still gets it.
    let (code, statuses) = verdicts(&store, Some(&project));
    assert_eq!(code, 0, "{statuses:?}");
    assert!(!statuses.contains_key("example.com/MixedCase@v1.2.3"));
    assert!(
        !statuses.contains_key("example.com/pseudo@v1.9.9"),
        "dropped from the list"
    );
    let list = fs::read_to_string(store.join("example.com/pseudo/@v/list")).unwrap();
    assert!(!list.contains("v1.9.9"), "{list}");
    for d in &downloads {
        let target = format!("{}@{}", d.path, d.version);
        if statuses.get(&target).is_some_and(|s| s == "match") {
            assert!(go_accepts(&go, &store, &project, &target), "{target}");
        }
    }
    assert_eq!(fs::read_to_string(&canary).unwrap(), "outside the store\n");

    // A module cache is repaired by its own commands, never by proxy clean.
    let out = modlens(&["proxy", "clean", "--yes"])
        .arg(go.modcache())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refetch --broken"),
        "{}",
        stderr(&out)
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn refetch_from_a_store_uses_its_proven_copy_and_refuses_an_unproven_one() {
    let Some(go) = Go::find("refetch_from_a_store") else {
        return;
    };
    let (_, project, store) = planted_store(&go);
    // The cache's copy of a version the store holds intact: a truncated zip and an edited
    // tree, so that only a download repairs it.
    let cache = go.modcache();
    make_writable(&cache);
    let target = "example.com/pseudo@v0.0.0-20230101000000-abcdefabcdef";
    let zip =
        cache.join("cache/download/example.com/pseudo/@v/v0.0.0-20230101000000-abcdefabcdef.zip");
    let len = fs::metadata(&zip).unwrap().len();
    fs::File::options()
        .write(true)
        .open(&zip)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    fs::write(cache.join(format!("{target}/go.mod")), "module edited\n").unwrap();
    let refetch = |from: &Path, version: &str| {
        go.modlens(&cache, &["refetch", "--yes"])
            .arg("--project")
            .arg(&project)
            .arg("--from")
            .arg(from)
            .arg(version)
            .env("GOPROXY", "off")
            .output()
            .unwrap()
    };
    // Repaired offline when it can be: the store is not needed for an edited tree.
    let mixed_tree = cache.join("example.com/!mixed!case@v1.2.3/hello.go");
    fs::write(&mixed_tree, "package m\n").unwrap();
    let out = refetch(&store, "example.com/MixedCase@v1.2.3");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("re-extracted, verified"),
        "{}",
        stdout(&out)
    );
    // With its zip gone bad too, only a download repairs it, and the store's copy is not what
    // go.sum says: refused, and nothing changes.
    make_writable(&cache);
    fs::write(&mixed_tree, "package m\n").unwrap();
    let mixed_zip = cache.join("cache/download/example.com/!mixed!case/@v/v1.2.3.zip");
    fs::write(&mixed_zip, "not a zip").unwrap();
    let before = crate::support::fingerprint(&cache);
    let out = refetch(&store, "example.com/MixedCase@v1.2.3");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("mismatch"), "{}", stderr(&out));
    assert_eq!(crate::support::fingerprint(&cache), before);
    // GOPROXY is off: the repair can only come from the store, named as GOPROXY names it.
    let as_url = std::path::PathBuf::from(format!("file://{}", store.display()));
    let out = refetch(&as_url, target);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("re-fetched, verified"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        fs::read(&zip).unwrap(),
        fs::read(store.join("example.com/pseudo/@v/v0.0.0-20230101000000-abcdefabcdef.zip"))
            .unwrap()
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_second_verify_of_an_unchanged_store_remembers_and_a_changed_version_is_judged_again() {
    let Some(go) = Go::find("a_second_verify_of_an_unchanged_store") else {
        return;
    };
    let (_, project, store) = planted_store(&go);
    let state = go.workdir().join("state.db");
    let run = || {
        let out = modlens(&["proxy", "verify", "--json"])
            .arg(&store)
            .arg("--project")
            .arg(&project)
            .env("MODLENS_STATE", &state)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        let statuses = statuses(&report);
        (report["remembered"].as_u64().unwrap(), statuses)
    };
    let (remembered, first) = run();
    assert_eq!(remembered, 0);
    let (remembered, second) = run();
    assert_eq!(
        remembered as usize,
        first.len(),
        "nothing changed: every verdict remembered"
    );
    assert_eq!(first, second);
    // A zip changed since: judged again, and found.
    retag(&store.join("example.com/legacy/@v/v2.0.0+incompatible.zip"));
    let (remembered, third) = run();
    assert_eq!(remembered as usize, first.len() - 1);
    assert_eq!(third["example.com/legacy@v2.0.0+incompatible"], "mismatch");
    assert!(state.is_file(), "the state database named by MODLENS_STATE");
}

/// A run killed (SIGKILL) part way resumes: the verdicts of every chunk finished before the
/// kill are in the state database, the next run reuses them and judges only the rest, and its
/// verdicts are those of an uninterrupted run. The store is 6,200 versions (three chunks of
/// 2,048 and a rest), each a hard link to go's own download of one fixture.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_store_verification_killed_part_way_resumes_where_it_stopped() {
    let Some(go) = Go::find("a_store_verification_killed_part_way") else {
        return;
    };
    go.download(&[crate::support::proxy::FixtureModule::new(
        "example.com/many",
        "v1.0.0",
        "2023-01-01T00:00:00Z",
    )
    .file("a.go", "package a\n")]);
    let from = go.modcache().join("cache/download/example.com/many/@v");
    let store = go.workdir().join("big-store");
    const VERSIONS: usize = 6_200;
    for i in 0..VERSIONS {
        let at = store.join(format!("example.com/m{i:05}/@v"));
        fs::create_dir_all(&at).unwrap();
        for ext in ["info", "mod", "zip"] {
            fs::hard_link(
                from.join(format!("v1.0.0.{ext}")),
                at.join(format!("v1.0.0.{ext}")),
            )
            .unwrap();
        }
    }
    let state = go.workdir().join("state.db");
    let verify = |state: Option<&Path>| {
        let mut cmd = modlens(&["proxy", "verify", "--json"]);
        cmd.arg(&store);
        match state {
            Some(state) => cmd.env("MODLENS_STATE", state),
            None => cmd.arg("--no-state"),
        };
        cmd
    };
    let mut child = verify(Some(&state))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let count = || -> usize {
        rusqlite::Connection::open_with_flags(&state, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT count(*) FROM store_verdicts", [], |r| r.get(0)))
            .unwrap_or(0)
    };
    let mut killed = false;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if count() >= 2048 {
            child.kill().unwrap();
            child.wait().unwrap();
            killed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let kept = count();
    assert!(
        kept % 2048 == 0 || kept == VERSIONS,
        "whole chunks only: {kept}"
    );
    if !killed {
        eprintln!("the run finished before it could be killed; checking the full resume only");
    }
    let out = verify(Some(&state)).output().unwrap();
    let resumed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        resumed["remembered"].as_u64().unwrap() as usize,
        kept,
        "{}",
        stderr(&out)
    );
    let out = verify(None).output().unwrap();
    let fresh: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(statuses(&resumed), statuses(&fresh));
    assert_eq!(statuses(&fresh).len(), VERSIONS);
}

/// Serves `dir` over HTTP on 127.0.0.1 (Python's static file server); stopped when dropped.
fn serve(dir: &Path) -> crate::support::Server {
    let script = "import functools, http.server, sys\n\
        h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n\
        h.log_message = lambda *a: None\n\
        s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)\n\
        print(s.server_address[1], flush=True)\n\
        s.serve_forever()\n";
    crate::support::start_server(
        std::process::Command::new("python3")
            .args(["-c", script])
            .arg(dir),
    )
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_store_behind_a_url_gets_the_verdicts_go_agrees_with() {
    let Some(go) = Go::find("a_store_behind_a_url") else {
        return;
    };
    let (downloads, project, store) = planted_store(&go);
    let server = serve(&store);
    let url = server.url.clone();
    let out = modlens(&["proxy", "verify", "--json", &url])
        .arg("--project")
        .arg(&project)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(report["store"], url.as_str());
    let remote = statuses(&report);
    let (_, local) = verdicts(&store, Some(&project));
    assert_eq!(remote, local, "the same bytes, over HTTP or on disk");
    // go, fetching through the URL, agrees with every verdict.
    for d in &downloads {
        let target = format!("{}@{}", d.path, d.version);
        let fresh = tempfile::tempdir().unwrap();
        let fetched = go
            .command(&["mod", "download", "-json", &target])
            .current_dir(&project)
            .env("GOPROXY", &url)
            .env("GOMODCACHE", fresh.path())
            .env("GOFLAGS", "-mod=mod")
            .output()
            .unwrap();
        make_writable(fresh.path());
        assert_eq!(
            fetched.status.success(),
            remote[&target] == "match",
            "{target}"
        );
    }
    // A second run over the unchanged URL downloads nothing: each piece's size and
    // Last-Modified (what Python's server says; an ETag where a server sends one) stand for
    // it. A zip replaced since is the only version fetched and judged again.
    let state = go.workdir().join("url-state.db");
    let run = || {
        let out = modlens(&["proxy", "verify", "--json", &url])
            .arg("--project")
            .arg(&project)
            .env("MODLENS_STATE", &state)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            statuses(&report),
            report["remembered"].clone(),
            stderr(&out),
        )
    };
    // The store's files were written moments ago; an hour ago, their Last-Modified times are
    // settled (see below).
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for file in walkdir::WalkDir::new(&store).into_iter().flatten() {
        if file.file_type().is_file() {
            let f = fs::File::options().write(true).open(file.path()).unwrap();
            f.set_modified(an_hour_ago).unwrap();
        }
    }
    let total = remote.len();
    let (first, _, said) = run();
    assert_eq!(first, remote);
    assert!(
        said.contains(&format!("fetched {total} of {total} versions")),
        "{said}"
    );
    let (second, remembered, said) = run();
    assert_eq!(second, remote);
    assert_eq!(remembered, total, "{said}");
    assert!(
        said.contains(&format!("fetched 0 of {total} versions")),
        "{said}"
    );
    // Replaced just now: HTTP times are whole seconds, so a Last-Modified this close to the
    // server's Date could hide another change within the same second. The version is judged
    // again, and its verdict is not taken as standing for that time either.
    let legacy = store.join("example.com/legacy/@v/v2.0.0+incompatible.zip");
    retag(&legacy);
    for _ in 0..2 {
        let (third, remembered, said) = run();
        assert!(
            said.contains(&format!("fetched 1 of {total} versions")),
            "{said}"
        );
        assert_eq!(remembered, total - 1);
        assert_eq!(third["example.com/legacy@v2.0.0+incompatible"], "mismatch");
    }

    // Without go.sum (and no catalog), nothing names the versions to check; and nothing is
    // cleaned over HTTP.
    let out = modlens(&["proxy", "verify", &url]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("needs --project"), "{}", stderr(&out));
    let out = modlens(&["proxy", "clean", "--yes", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("on the server"), "{}", stderr(&out));
    // Athens' /catalog lists what it holds: then no go.sum is needed to find the versions.
    let entries: Vec<Value> = downloads
        .iter()
        .map(|d| serde_json::json!({"module": d.path, "version": d.version}))
        .collect();
    let catalog = serde_json::json!({"modules": entries, "next": ""});
    fs::write(store.join("catalog"), catalog.to_string()).unwrap();
    let out = modlens(&["proxy", "verify", "--json", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses = statuses(&report);
    assert_eq!(
        statuses.len(),
        downloads.len() + 1,
        "the catalog's and the list's: {statuses:?}"
    );
    assert_eq!(statuses["example.com/nested@v1.0.0"], "malformed");
    assert_eq!(
        statuses["example.com/legacy@v2.0.0+incompatible"],
        "unverifiable"
    );
}

/// A store verification stops when its cancel token is set (Ctrl-C and SIGTERM set it in the
/// CLI): no version is judged after, and it says it was interrupted; unset, every version is.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_cancelled_store_verification_judges_nothing_more_and_says_so() {
    let Some(go) = Go::find("a_cancelled_store_verification") else {
        return;
    };
    let (_, _, store_dir) = planted_store(&go);
    let store = modlens::cache::store::Store::open(&store_dir, None).unwrap();
    let listing = store.list();
    assert!(listing.versions.len() > 3);
    let gosums = modlens::verify::gosum::GoSums::default();
    let private = |_: &str| false;
    let expect = modlens::verify::store::StoreExpectations {
        gosums: &gosums,
        verifiers: &[],
        private: &private,
        online: None,
    };
    let pools = crate::support::pools(2);
    let run = |cancel: &modlens::cache::cancel::CancelToken| {
        let mut judged = 0;
        let check = modlens::ops::store::StoreCheck {
            store: &store,
            expect: &expect,
            memory: None,
            cancel,
        };
        let recalled = modlens::ops::store::verify_store(
            &pools,
            &check,
            &listing.versions,
            &|_, _| {},
            &mut |chunk| judged += chunk.len(),
        );
        (judged, recalled.interrupted)
    };
    let cancel = modlens::cache::cancel::CancelToken::new();
    assert_eq!(run(&cancel), (listing.versions.len(), false));
    cancel.cancel();
    assert_eq!(run(&cancel), (0, true));
}

/// Serves `dir` over HTTP on 127.0.0.1 slowly, in the `phase` given: "head" answers every HEAD
/// two seconds late, "zip" trickles each zip's body a byte every 200 ms. The file `started`
/// appears once the slow part has begun. Stopped when dropped.
fn serve_slowly(dir: &Path, phase: &str, started: &Path) -> crate::support::Server {
    let script = "import functools, http.server, os, sys, time\n\
        root, phase, started = sys.argv[1], sys.argv[2], sys.argv[3]\n\
        class H(http.server.SimpleHTTPRequestHandler):\n\
        \x20   def log_message(self, *a): pass\n\
        \x20   def do_HEAD(self):\n\
        \x20       if phase == 'head':\n\
        \x20           open(started, 'w').close(); time.sleep(2)\n\
        \x20       super().do_HEAD()\n\
        \x20   def do_GET(self):\n\
        \x20       if phase != 'zip' or not self.path.endswith('.zip'):\n\
        \x20           return super().do_GET()\n\
        \x20       data = open(os.path.join(root, self.path.lstrip('/')), 'rb').read()\n\
        \x20       self.send_response(200)\n\
        \x20       self.send_header('Content-Length', str(len(data)))\n\
        \x20       self.end_headers()\n\
        \x20       open(started, 'w').close()\n\
        \x20       for b in data:\n\
        \x20           self.wfile.write(bytes([b])); self.wfile.flush(); time.sleep(0.2)\n\
        s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(H, directory=root))\n\
        s.daemon_threads = True\n\
        print(s.server_address[1], flush=True)\n\
        s.serve_forever()\n";
    crate::support::start_server(
        std::process::Command::new("python3")
            .args(["-c", script])
            .arg(dir)
            .arg(phase)
            .arg(started),
    )
}

/// Ctrl-C while a store behind a URL is listed, or while a zip is still coming, stops within
/// moments (not when the listing or the download would end), says so, exits 1, and leaves no
/// scratch directory.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn ctrl_c_stops_a_remote_store_s_listing_and_its_downloads_at_once() {
    let Some(go) = Go::find("ctrl_c_stops_a_remote_store") else {
        return;
    };
    let (_, project, store) = planted_store(&go);
    for (phase, said) in [("head", "was not listed to the end"), ("zip", "judged")] {
        let started = go.workdir().join(format!("{phase}-started"));
        let server = serve_slowly(&store, phase, &started);
        let url = &server.url;
        let tmp = go.sandbox.path().join(format!("tmp-{phase}"));
        fs::create_dir_all(&tmp).unwrap();
        let child = modlens(&["proxy", "verify", url, "--no-state"])
            .arg("--project")
            .arg(&project)
            .env("TMPDIR", &tmp)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let waited = std::time::Instant::now();
        while !started.exists() {
            assert!(waited.elapsed().as_secs() < 20, "{phase}: never began");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // The mirror is private (0700): a store's modules may be a company's own code.
        for dir in crate::support::entries(&tmp) {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::symlink_metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o7777, 0o700, "{}", dir.display());
        }
        let signalled = std::time::Instant::now();
        let pid = child.id().to_string();
        let kill = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status();
        assert!(kill.unwrap().success());
        let out = child.wait_with_output().unwrap();
        // Here each HEAD takes 2 s (three per version, for several versions) and a zip
        // trickles for a minute or more: stopping at the next check is well inside 10 s,
        // finishing the work is not.
        assert!(
            signalled.elapsed().as_secs() < 10,
            "{phase}: took {:?}",
            signalled.elapsed()
        );
        assert_eq!(out.status.code(), Some(1), "{phase}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("interrupted"),
            "{phase}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(said), "{phase}: {}", stderr(&out));
        let left = crate::support::entries(&tmp);
        assert!(left.is_empty(), "{phase}: left behind: {left:?}");
    }
}
