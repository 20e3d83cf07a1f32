//! Repairs leave exactly what go leaves: a re-extracted tree has go's modes on every file and
//! directory, and a re-fetch runs go with the user's own settings, including those `go env -w`
//! wrote to the GOENV file.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::go::Go;
use crate::support::proxy::standard_modules;
use crate::support::{make_writable, modlens, stderr, stdout};

/// Every path below `tree` (relative) with its permission bits.
fn modes(tree: &Path) -> BTreeMap<String, u32> {
    walkdir::WalkDir::new(tree)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let rel = e.path().strip_prefix(tree).unwrap().display().to_string();
            (rel, e.metadata().unwrap().permissions().mode() & 0o7777)
        })
        .collect()
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_re_extracted_tree_has_go_s_modes_on_every_file_and_directory() {
    let Some(go) = Go::find("a_re_extracted_tree_has_go_s_modes") else {
        return;
    };
    go.download(&standard_modules());
    // example.com/nested has a/ (only a directory below it) and a/b/c/d/deep.go.
    let tree = go.modcache().join("example.com/nested@v1.0.0");
    let by_go = modes(&tree);
    assert!(by_go.contains_key("a") && by_go.contains_key("a/b/c/d/deep.go"));
    make_writable(&tree);
    fs::write(tree.join("a/b/other.txt"), "edited").unwrap();
    let out = modlens(&["refetch", "--yes", "example.com/nested@v1.0.0", "--json"])
        .arg("--cache")
        .arg(go.modcache())
        .env("GOPROXY", "off")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("re-extracted"), "{}", stdout(&out));
    assert_eq!(
        modes(&tree),
        by_go,
        "modes after re-extraction, path by path"
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_re_fetch_honours_the_settings_go_env_w_wrote() {
    let Some(go) = Go::find("a_re_fetch_honours_go_env_w") else {
        return;
    };
    go.download(&standard_modules());
    let at_v = go.modcache().join("cache/download/example.com/unicode/@v");
    let tree = go.modcache().join("example.com/unicode@v1.0.0");
    make_writable(&tree);
    fs::write(at_v.join("v1.0.0.zip"), "garbage").unwrap();
    fs::write(tree.join("planted.go"), "package planted\n").unwrap();
    // The proxy and -modcacherw come only from the GOENV file, as `go env -w` writes them.
    let goenv = go.sandbox.path().join("goenv");
    fs::write(
        &goenv,
        format!(
            "GOPROXY=file://{}\nGOSUMDB=off\nGOFLAGS=-modcacherw\n",
            go.proxy().display()
        ),
    )
    .unwrap();
    let out = modlens(&["refetch", "--yes", "example.com/unicode@v1.0.0"])
        .arg("--cache")
        .arg(go.modcache())
        .env("GOENV", &goenv)
        .env("GOTOOLCHAIN", "local")
        .env("GOPATH", go.sandbox.path().join("gopath"))
        .env("GOCACHE", &go.gocache)
        .env_remove("GOPROXY")
        .env_remove("GOSUMDB")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("re-fetched"), "{}", stdout(&out));
    let mode = fs::metadata(&tree).unwrap().permissions().mode();
    assert_ne!(
        mode & 0o200,
        0,
        "-modcacherw from the GOENV file keeps the tree writable"
    );
    let out = modlens(&["verify"])
        .arg("--cache")
        .arg(go.modcache())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn ctrl_c_during_a_download_kills_go_and_leaves_the_cache_as_it_was() {
    let Some(go) = Go::find("ctrl_c_during_a_download") else {
        return;
    };
    go.download(&standard_modules());
    // A proxy that accepts connections and never answers: go hangs on it.
    let (port, asked) = crate::support::hanging_proxy();
    let before = crate::support::fingerprint(&go.modcache());
    let target = "example.com/hanging@v1.0.0";
    let child = modlens(&["refetch", "--yes", target])
        .arg("--cache")
        .arg(go.modcache())
        .env("GOPROXY", format!("http://127.0.0.1:{port}"))
        .env("GOSUMDB", "off")
        .env("GOENV", "off")
        .env("GOPATH", go.sandbox.path().join("gopath"))
        .env("GOCACHE", &go.gocache)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    crate::support::wait_until(&asked, "go to ask the proxy");
    assert!(
        crate::support::process_running(&["mod download", target], &go.modcache()),
        "go is running"
    );
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed().as_secs() < 30);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));
    assert!(
        !crate::support::process_running(&["mod download", target], &go.modcache()),
        "no go process is left"
    );
    assert_eq!(
        crate::support::fingerprint(&go.modcache()),
        before,
        "the cache is as it was: no scratch dir, no partial download"
    );
    let out = modlens(&["verify"])
        .arg("--cache")
        .arg(go.modcache())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// A lost `.mod` beside an intact zip is restored offline from the zip's go.mod (or, for a
/// module without one, the line go makes up), when go.sum confirms its hash: the same bytes go
/// wrote, after which go verifies and builds offline. Without a confirming line it is fetched.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_lost_mod_is_restored_from_the_zip_as_go_wrote_it() {
    let Some(go) = Go::find("a_lost_mod_is_restored_from_the_zip") else {
        return;
    };
    go.download(&standard_modules());
    let needed = [
        ("example.com/legacy", "v2.0.0+incompatible"),
        ("example.com/nested", "v1.0.0"),
    ];
    let project = go.project("p", &needed);
    let at_v = |path: &str| go.modcache().join("cache/download").join(path).join("@v");
    let lost = [
        at_v("example.com/legacy").join("v2.0.0+incompatible.mod"),
        at_v("example.com/nested").join("v1.0.0.mod"),
        at_v("example.com/unicode").join("v1.0.0.mod"),
    ];
    let by_go: Vec<Vec<u8>> = lost.iter().map(|p| fs::read(p).unwrap()).collect();
    for path in &lost {
        fs::remove_file(path).unwrap();
    }
    let run = |args: &[&str]| {
        let mut cmd = modlens(args);
        go.sandbox_env(&mut cmd);
        cmd.arg("--cache")
            .arg(go.modcache())
            .arg("--project")
            .arg(&project)
            .env("GOPROXY", "off");
        cmd.output().unwrap()
    };
    let out = run(&["verify", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fix_of = |path: &str| {
        report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == path)
            .and_then(|e| e["problems"][0]["fix"].as_str())
            .unwrap_or_else(|| panic!("{path} in {report:#}"))
            .to_owned()
    };
    assert_eq!(fix_of("example.com/legacy"), "restore_mod");
    assert_eq!(fix_of("example.com/nested"), "restore_mod");
    assert_eq!(fix_of("example.com/unicode"), "refetch", "no go.sum line");
    let restore = [
        "refetch",
        "--yes",
        "example.com/legacy@v2.0.0+incompatible",
        "example.com/nested@v1.0.0",
    ];
    // Killed between its steps, it leaves the .mod missing (and a temp file, a leftover) or
    // whole, never torn.
    for (at, whole) in [
        ("restore_mod:written", false),
        ("restore_mod:renamed", true),
    ] {
        let mut cmd = modlens(&restore);
        go.sandbox_env(&mut cmd);
        cmd.args(["--jobs", "1", "--cache"])
            .arg(go.modcache())
            .arg("--project")
            .arg(&project);
        let out = cmd.env("MODLENS_FAULT_AT", at).output().unwrap();
        let signal = std::os::unix::process::ExitStatusExt::signal(&out.status);
        assert_eq!(signal, Some(9), "killed at {at}: {}", stderr(&out));
        match fs::read(&lost[0]) {
            Ok(bytes) => assert!(whole && bytes == by_go[0], "{at}"),
            Err(_) => assert!(!whole, "{at}"),
        }
    }
    let out = run(&restore);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains(".mod restored"), "{}", stdout(&out));
    for (path, bytes) in lost.iter().zip(&by_go).take(2) {
        assert_eq!(&fs::read(path).unwrap(), bytes, "{}", path.display());
    }
    let (verified, why) = go.mod_verify(&project);
    assert!(verified, "go mod verify: {why}");
}
