//! `modlens diff` on a version go downloaded, then edited as users edit caches: a line changed
//! in a text file (with a terminal escape in it), a byte of a binary file flipped, an editor's
//! backup file left, a file deleted. What modlens shows is exactly the bytes the test changed.

use std::fs;

use serde_json::Value;

use crate::support::go::Go;
use crate::support::proxy::FixtureModule;
use crate::support::{make_writable, stderr, stdout};

/// That `report` (diff --json) names one file, whose diff has the line `added`.
fn assert_one_file_adds(report: &Value, added: &str) {
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{report}");
    let lines = files[0]["lines"].as_array().unwrap();
    assert!(lines.iter().any(|l| l == added), "{added}: {report}");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn diff_shows_the_edited_bytes_of_a_tree_against_its_zip() {
    let Some(go) = Go::find("diff_shows_the_edited_bytes") else {
        return;
    };
    let mut binary: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let original_lines: Vec<String> = (1..=40).map(|i| format!("// line {i}")).collect();
    go.download(&[
        FixtureModule::new("example.com/edited", "v1.0.0", "2023-01-01T00:00:00Z")
            .file(
                "main.go",
                format!("package edited\n\n{}\n", original_lines.join("\n")),
            )
            .file("data.bin", binary.clone())
            .file("gone.go", "package edited\n")
            .file("sub/keep.go", "package sub\n"),
        FixtureModule::new("example.com/clean", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package clean\n"),
    ]);
    let cache = go.modcache();
    let tree = cache.join("example.com/edited@v1.0.0");
    make_writable(&tree);
    let mut lines = original_lines.clone();
    lines[19] = "// line 20 \u{1b}]0;pwned\u{7} debug".into();
    fs::write(
        tree.join("main.go"),
        format!("package edited\n\n{}\n", lines.join("\n")),
    )
    .unwrap();
    binary[123_457] ^= 0xff;
    fs::write(tree.join("data.bin"), &binary).unwrap();
    fs::write(tree.join("main.go~"), "backup\n").unwrap();
    fs::remove_file(tree.join("gone.go")).unwrap();

    let out = go
        .modlens(&cache, &["diff", "example.com/edited@v1.0.0", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = |name: &str| {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {report}"))
            .clone()
    };
    let main = file("main.go");
    assert_eq!(main["kind"], "text");
    assert_eq!(
        (main["added"].as_u64(), main["removed"].as_u64()),
        (Some(1), Some(1))
    );
    let diff_lines: Vec<&str> = main["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(diff_lines.contains(&"-// line 20"), "{diff_lines:?}");
    assert!(
        diff_lines.contains(&lines[19].replace("//", "+//").as_str()),
        "{diff_lines:?}"
    );
    assert!(
        diff_lines.contains(&" // line 19"),
        "context: {diff_lines:?}"
    );
    assert!(
        !diff_lines.contains(&" // line 10"),
        "only 3 lines of context: {diff_lines:?}"
    );
    let bin = file("data.bin");
    assert_eq!(bin["kind"], "binary");
    assert_eq!(bin["first_difference"], 123_457);
    assert_eq!(bin["authentic_bytes"], 300_000);
    assert_eq!(bin["cached_bytes"], 300_000);
    let backup = file("main.go~");
    assert_eq!(backup["kind"], "extra");
    assert_eq!(backup["head"][0], "backup");
    assert_eq!(file("gone.go")["kind"], "missing");
    assert_eq!(report["files"].as_array().unwrap().len(), 4, "{report}");
    // go agrees that the tree is modified.
    let verify = go
        .command(&["mod", "verify"])
        .current_dir(go.project("p", &[("example.com/edited", "v1.0.0")]))
        .output()
        .unwrap();
    assert!(!verify.status.success());

    // As text: the escape is shown, never sent; --stat counts; a PATH narrows.
    let out = go
        .modlens(&cache, &["diff", "example.com/edited@v1.0.0"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}'),
        "a raw escape reached the terminal: {text}"
    );
    assert!(
        text.contains("+// line 20 \\u001b]0;pwned\\u0007 debug"),
        "{text}"
    );
    assert!(text.contains("they differ from byte 123457 on"), "{text}");
    let out = go
        .modlens(&cache, &["diff", "--stat", "example.com/edited@v1.0.0"])
        .output()
        .unwrap();
    let stat = stdout(&out);
    assert!(stat.contains("modified  +1 -1  main.go"), "{stat}");
    assert!(
        stat.contains("missing") && stat.contains("gone.go"),
        "{stat}"
    );
    let out = go
        .modlens(
            &cache,
            &[
                "diff",
                "--json",
                "example.com/edited@v1.0.0",
                "data.bin",
                "sub",
            ],
        )
        .output()
        .unwrap();
    let narrowed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(narrowed["files"].as_array().unwrap().len(), 1, "{narrowed}");

    // Hostile edits stay bounded: a 40 MB file with one endless line in place of main.go's
    // sibling, and an extra file of 20,000 lines of 10,000 characters each.
    let huge = "x".repeat(40 << 20);
    fs::write(tree.join("sub/keep.go"), &huge).unwrap();
    let long_line = "y".repeat(10_000);
    let many: String = (0..20_000).map(|_| format!("{long_line}\n")).collect();
    fs::write(tree.join("flood.txt"), &many).unwrap();
    let out = go
        .modlens(&cache, &["diff", "example.com/edited@v1.0.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        out.stdout.len() < 1 << 20,
        "{} bytes of output for a flood",
        out.stdout.len()
    );
    let text = stdout(&out);
    assert!(
        text.contains("41943040 in the tree"),
        "the huge file's size is said"
    );
    assert!(
        text.contains("(the rest not shown)"),
        "the flood is cut: {}",
        &text[..text.len().min(3000)]
    );
    assert!(
        !text.lines().any(|l| l.chars().count() > 1_000),
        "every line is cut"
    );
    fs::remove_file(tree.join("flood.txt")).unwrap();

    // A version nobody touched: nothing differs, exit 0.
    let out = go
        .modlens(&cache, &["diff", "example.com/clean@v1.0.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A zip that is not go's (re-tagged: one file gained a line) is compared with an authentic
    // copy go downloads into a scratch directory; the cache is not written.
    let zip = cache.join("cache/download/example.com/clean/@v/v1.0.0.zip");
    make_writable(zip.parent().unwrap());
    crate::proxy_go::retag(&zip);
    let before = crate::support::fingerprint(&cache);
    let out = go
        .modlens(&cache, &["diff", "--json", "example.com/clean@v1.0.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not the one go downloaded"),
        "{}",
        stderr(&out)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["compared"],
        "the cached zip against the authentic zip"
    );
    // The re-tag added its line to the zip's first file.
    assert_one_file_adds(&report, "+// retagged");
    assert_eq!(
        crate::support::fingerprint(&cache),
        before,
        "the cache was written"
    );
    // With GOPROXY off, a team's store gives the authentic copy once go.sum proves it; an
    // unproven store is refused.
    let store = go.workdir().join("team-store");
    crate::support::copy_tree(&go.proxy(), &store);
    let project = go.project("pc", &[("example.com/clean", "v1.0.0")]);
    let from_store = |with_project: bool| {
        let mut cmd = go.modlens(&cache, &["diff", "--json", "example.com/clean@v1.0.0"]);
        cmd.arg("--from").arg(&store).env("GOPROXY", "off");
        if with_project {
            cmd.arg("--project").arg(&project);
        }
        cmd.output().unwrap()
    };
    let out = from_store(true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("+// retagged"), "{}", stdout(&out));
    let out = from_store(false);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("not proven"), "{}", stderr(&out));
    // A zip that cannot even be read as one: said, and the tree is compared with the
    // authentic copy instead (here the tree is go's: nothing differs).
    let len = fs::metadata(&zip).unwrap().len();
    fs::File::options()
        .write(true)
        .open(&zip)
        .unwrap()
        .set_len(len - 10)
        .unwrap();
    let diff_json = || {
        let out = go
            .modlens(&cache, &["diff", "--json", "example.com/clean@v1.0.0"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        (out.status.code(), stderr(&out), report)
    };
    let (code, said, report) = diff_json();
    assert_eq!(code, Some(0), "{said}{report}");
    assert!(said.contains("cannot be read as a zip"), "{said}");
    assert_eq!(report["compared"], "the tree against the authentic zip");
    // An edit in that tree is what it shows; and with the zip gone altogether, too.
    let clean_tree = cache.join("example.com/clean@v1.0.0");
    make_writable(&clean_tree);
    fs::write(clean_tree.join("a.go"), "package clean\n// edited\n").unwrap();
    for zip_gone in [false, true] {
        if zip_gone {
            fs::remove_file(&zip).unwrap();
        }
        let before = crate::support::fingerprint(&cache);
        let (code, said, report) = diff_json();
        assert_eq!(code, Some(1), "{said}{report}");
        assert_eq!(report["compared"], "the tree against the authentic zip");
        assert_one_file_adds(&report, "+// edited");
        assert_eq!(
            crate::support::fingerprint(&cache),
            before,
            "the cache was written"
        );
    }
}

/// Ctrl-C while go downloads an authentic copy (from a proxy that never answers): modlens
/// says it was interrupted and exits 1, go (in a process group of its own, out of the
/// terminal's reach) is killed, and its scratch directory is gone.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn ctrl_c_during_the_authentic_download_kills_go_and_leaves_nothing() {
    let Some(go) = Go::find("ctrl_c_during_the_authentic_download") else {
        return;
    };
    go.download(&[
        FixtureModule::new("example.com/hung", "v1.0.0", "2023-01-01T00:00:00Z")
            .file("a.go", "package hung\n"),
    ]);
    let cache = go.modcache();
    let at_v = cache.join("cache/download/example.com/hung/@v");
    make_writable(&at_v);
    fs::write(at_v.join("v1.0.0.zip"), "garbage").unwrap();
    let (port, asked) = crate::support::hanging_proxy();
    let tmp = go.sandbox.path().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    let child = go
        .modlens(&cache, &["diff", "--no-pager", "example.com/hung@v1.0.0"])
        .env("GOPROXY", format!("http://127.0.0.1:{port}"))
        .env("TMPDIR", &tmp)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    crate::support::wait_until(&asked, "go to ask the proxy");
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    let left = crate::support::entries(&tmp);
    assert!(left.is_empty(), "left behind: {left:?}");
    let go_left = fs::read_dir("/proc").unwrap().flatten().any(|p| {
        fs::read(p.path().join("environ"))
            .is_ok_and(|e| String::from_utf8_lossy(&e).contains(&format!("127.0.0.1:{port}")))
    });
    assert!(!go_left, "go still runs");
}
