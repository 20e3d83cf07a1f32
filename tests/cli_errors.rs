//! Bad input gets one clear line on stderr and exit status 2, and nothing is written.

use crate::support::fixture::HandCache;
use crate::support::{modlens, run, stderr};

fn assert_one_line_error(out: &std::process::Output, needle: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit status; stderr: {}",
        stderr(out)
    );
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{needle:?} in {err:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_missing_cache_is_a_one_line_error() {
    let c = HandCache::new();
    let missing = c.root().join("nope");
    let out = run(&["list", "--cache", missing.to_str().unwrap()]);
    assert_one_line_error(&out, "does not exist");
    assert!(stderr(&out).contains("--cache"), "names the source");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_cache_path_that_is_a_file_is_a_one_line_error() {
    let c = HandCache::new();
    c.file("afile", "x");
    let out = run(&["list", "--cache", c.path("afile").to_str().unwrap()]);
    assert_one_line_error(&out, "is not a directory");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn an_unreadable_cache_is_a_one_line_error() {
    use std::os::unix::fs::PermissionsExt;
    let c = HandCache::new();
    let mode = |p: &std::path::Path, m| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(c.root().parent().unwrap(), 0o755);
    mode(&c.root(), 0o000);
    let cache = c.root().to_str().unwrap().to_owned();
    // Root reads anything, so as root the check runs as the unprivileged user `nobody`.
    let out = if is_root() {
        std::process::Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                env!("CARGO_BIN_EXE_modlens"),
            ])
            .args(["list", "--cache", &cache, "--no-state"])
            .env("XDG_CONFIG_HOME", crate::support::test_config_home())
            .output()
            .unwrap()
    } else {
        run(&["list", "--cache", &cache])
    };
    mode(&c.root(), 0o755);
    assert_one_line_error(&out, "cannot read cache directory");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_relative_gomodcache_is_rejected_as_go_rejects_it() {
    let out = modlens(&["list"])
        .env("GOMODCACHE", "relative/mod")
        .output()
        .unwrap();
    assert_one_line_error(&out, "GOMODCACHE entry is relative");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn gomodcache_is_used_when_no_flag_is_given() {
    let c = HandCache::new();
    c.version("example.com/a", "v1.0.0", "v1.0.0", &[]);
    let out = modlens(&["list", "--json"])
        .env("GOMODCACHE", c.root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["cache"], c.root().to_str().unwrap());
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_first_gopath_entry_is_used_when_go_is_absent() {
    let c = HandCache::new();
    let gopath = c.root();
    std::fs::create_dir_all(gopath.join("pkg/mod")).unwrap();
    let out = modlens(&["list", "--json"])
        .env("GOPATH", format!("{}:/elsewhere", gopath.display()))
        .env("PATH", "/nonexistent")
        .env_remove("MODLENS_GO")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["cache"], gopath.join("pkg/mod").to_str().unwrap());
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn no_cache_at_all_says_where_it_looked() {
    let c = HandCache::new();
    let out = modlens(&["list"])
        .env("HOME", c.root())
        .env("PATH", "/nonexistent")
        .env_remove("MODLENS_GO")
        .output()
        .unwrap();
    assert_one_line_error(&out, "go/pkg/mod");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn without_a_cache_and_without_go_the_explorer_shows_the_demo() {
    let c = HandCache::new();
    let out = modlens(&[])
        .env("HOME", c.root())
        .env("PATH", "/nonexistent")
        .env_remove("MODLENS_GO")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("demo"), "{}", stderr(&out));
    assert!(crate::support::stdout(&out).contains("example.com/hello"));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_malformed_filter_is_an_error_not_a_match_all() {
    let c = HandCache::new();
    c.version("example.com/a", "v1.0.0", "v1.0.0", &[]);
    let out = run(&[
        "list",
        "--cache",
        c.root().to_str().unwrap(),
        "--filter",
        "example.com/[a",
    ]);
    assert_one_line_error(&out, "invalid pattern");
    let out = run(&[
        "list",
        "--cache",
        c.root().to_str().unwrap(),
        "--filter",
        "",
    ]);
    assert_one_line_error(&out, "empty pattern");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn an_unknown_sort_key_is_a_usage_error() {
    let c = HandCache::new();
    let out = run(&[
        "list",
        "--cache",
        c.root().to_str().unwrap(),
        "--sort",
        "colour",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("colour"));
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn doctor_and_explain_say_in_one_line_what_they_cannot_use() {
    let Some(go) = crate::support::go::Go::find("doctor_and_explain_errors") else {
        return;
    };
    let cache = go.modcache();
    let cache = cache.to_str().unwrap();
    let empty = go.workdir().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = crate::support::modlens(&["doctor", "--cache", cache]);
    go.sandbox_env(&mut cmd);
    let out = cmd.current_dir(&empty).output().unwrap();
    assert_one_line_error(&out, "has no go.mod or go.work, here or above");
    let out = run(&["doctor", "/no/such/project", "--cache", cache]);
    assert_one_line_error(&out, "/no/such/project: is not a directory");
    let out = run(&["explain", "/no/such/file", "--cache", cache]);
    assert_one_line_error(&out, "/no/such/file");
    let out = run(&["explain", "FILE", "--cache", cache, "--", "go", "version"]);
    assert_one_line_error(&out, "either FILE or -- COMMAND");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_duration_that_reads_two_ways_is_an_error_with_a_hint() {
    let c = HandCache::new();
    c.version("example.com/a", "v1.0.0", "v1.0.0", &[]);
    let root = c.root();
    for args in [
        &["clean", "--older-than", "1m", "--dry-run"][..],
        &["trash", "empty", "--older-than", "3m", "--yes"],
    ] {
        let out = modlens(args).arg("--cache").arg(&root).output().unwrap();
        assert_one_line_error(&out, "did you mean");
    }
}

/// A bad value is the error the user sees whatever else is wrong: it is checked before the
/// cache is looked for (here it does not exist) and before a demo is built.
#[test]
fn a_bad_flag_value_is_reported_before_the_cache_is_looked_for() {
    let c = HandCache::new();
    let missing = c.root().join("nope");
    let cases: &[(&[&str], &str)] = &[
        (&["clean", "--older-than", "1m"], "did you mean"),
        (&["clean", "--max-size", "10Q"], "invalid size"),
        (&["clean"], "say what to clean"),
        (&["clean", "[bad"], "invalid pattern"),
        (&["verify", "--rehash-after", "soon"], "invalid duration"),
        (&["list", "--filter", "[bad"], "invalid"),
        (&["history", "--since", "2m"], "did you mean"),
        (&["trash", "empty", "--older-than", "x"], "invalid duration"),
        (&["--trash-keep", "1m", "list"], "invalid --trash-keep"),
        (&["refetch"], "say what to repair"),
        (&["refetch", "example.com/a"], "want MODULE@VERSION"),
        (&["refetch", "example.com/a@v1"], "not a canonical version"),
        (&["diff", "Example..com/a@v1.0.0"], "malformed module path"),
    ];
    for (args, needle) in cases {
        let out = modlens(args).arg("--cache").arg(&missing).output().unwrap();
        assert_one_line_error(&out, needle);
        assert!(!missing.exists(), "{args:?} created nothing");
    }
    let out = modlens(&["--demo", "clean", "--older-than", "1m"])
        .output()
        .unwrap();
    assert_one_line_error(&out, "did you mean");
    let out = modlens(&["gocache", "clean", "--max-size", "10Q"])
        .arg("--dir")
        .arg(&missing)
        .output()
        .unwrap();
    assert_one_line_error(&out, "invalid size");
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn with_go_but_no_cache_yet_the_explorer_shows_the_demo_and_says_why() {
    if crate::support::go::Go::find("with_go_but_no_cache_yet").is_none() {
        return;
    }
    let c = HandCache::new();
    let out = modlens(&[])
        .env("HOME", c.outside())
        .env_remove("GOPATH")
        .env("GOENV", "off")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("go has not downloaded a module yet"),
        "{}",
        stderr(&out)
    );
    assert!(crate::support::stdout(&out).contains("example.com/hello"));
}

#[test]
fn a_missing_argument_or_subcommand_is_named_in_one_line() {
    let out = modlens(&["diff"]).output().unwrap();
    assert_one_line_error(&out, "<MODULE@VERSION>");
    let out = modlens(&["proxy", "verify"]).output().unwrap();
    assert_one_line_error(&out, "<STORE>");
    for (args, command) in [
        (&["vendor"][..], "`modlens vendor` needs a subcommand"),
        (&["trash"][..], "`modlens trash` needs a subcommand"),
        (&["proxy"][..], "`modlens proxy` needs a subcommand"),
    ] {
        let out = modlens(args).output().unwrap();
        assert_one_line_error(&out, command);
    }
    // A module path that would climb out of the cache is refused before anything is read.
    let c = HandCache::new();
    let out = run(&[
        "diff",
        "--cache",
        c.root().to_str().unwrap(),
        "../../etc@v1.0.0",
    ]);
    assert_one_line_error(&out, "malformed module path");
}
