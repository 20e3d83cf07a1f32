//! Reading go's errors: the lines of real go versions, and as CI logs show them.

use super::*;

/// The same error as CI logs show it: after a GitHub Actions timestamp, BuildKit's step
/// and seconds, or a bracketed time; go's continuation lines keep their indentation.
#[test]
fn ci_log_prefixes_are_read_past() {
    for prefix in [
        "2026-12-07T04:00:00.1234567Z ",
        "#12 4.123 ",
        "[04:00:00] ",
        "",
    ] {
        let text = format!(
            "{prefix}verifying example.com/a@v1.0.0: checksum mismatch\n\
             {prefix}\tdownloaded: h1:AAAA\n\
             {prefix}\tgo.sum:     h1:BBBB\n\
             {prefix}example.com/b v1.2.0: dir has been modified (/c/example.com/b@v1.2.0)\n"
        );
        let found = read(&text);
        let keys: Vec<String> = found
            .iter()
            .map(|f| f.key.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect();
        assert_eq!(
            keys,
            ["example.com/a@v1.0.0", "example.com/b@v1.2.0"],
            "{prefix:?}"
        );
        assert!(
            matches!(
                &found[0].kind,
                GoErrorKind::ChecksumMismatch { downloaded: Some(h), expected: Some(e), .. }
                    if h == "h1:AAAA" && e == "h1:BBBB"
            ),
            "{prefix:?}: {:?}",
            found[0].kind
        );
    }
}

#[test]
fn an_importers_source_position_is_not_the_culprit() {
    let found = read(
        "go: downloading example.com/b v1.0.0\n\
         ../mc/example.com/a@v1.0.0/a.go:3:8: module lookup disabled by GOPROXY=off\n",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].key.as_ref().map(ToString::to_string).as_deref(),
        Some("example.com/b@v1.0.0")
    );
    assert_eq!(found[0].kind, GoErrorKind::LookupDisabled);
}

/// The git command lines of go 1.21 and later (`--end-of-options`, as in
/// `modfetch/codehost/git.go`), with git's own words on the continuation line.
#[test]
fn newer_git_command_lines_are_git_failures() {
    for command in [
        "git ls-remote -q --end-of-options origin",
        "git -c protocol.version=2 fetch -f --depth=1 --end-of-options origin \
         refs/tags/v1.0.0:refs/tags/v1.0.0",
        "git fetch -f --end-of-options origin refs/heads/*:refs/heads/* refs/tags/*:refs/tags/*",
    ] {
        let said = format!(
            "go: example.com/secret.git@v1.0.0: invalid version: {command} in \
             /mc/cache/vcs/3ace44: exit status 128:\n\tfatal: could not read Username for \
             'https://example.com': terminal prompts disabled\n"
        );
        let found = read(&said);
        assert_eq!(found.len(), 1, "{said}");
        assert_eq!(found[0].kind, GoErrorKind::GitFailed, "{said}");
        assert_eq!(
            found[0].key.as_ref().map(ToString::to_string).as_deref(),
            Some("example.com/secret.git@v1.0.0")
        );
    }
}

/// A line of any length (a log line with no newline for megabytes) is kept to its first
/// kilobyte, cut at a character boundary.
#[test]
fn a_long_line_is_kept_short() {
    let line = format!(
        "{}verifying example.com/a@v1.0.0: dir has been modified",
        "é".repeat(5000)
    );
    let found = read(&line);
    assert_eq!(found.len(), 1);
    assert!(found[0].line.ends_with('…'), "{}", found[0].line);
    assert!(found[0].line.len() <= MAX_LINE + '…'.len_utf8());
}

/// go 1.21 and later name only the importing position when a module cannot be loaded
/// offline: each position is its own error, and the position is kept for finding the import.
#[test]
fn errors_naming_only_a_position_keep_it() {
    let found = read(
        "main.go:3:8: module lookup disabled by GOPROXY=off\n\
         main.go:4:2: module lookup disabled by GOPROXY=off\n\
         main.go:4:2: module lookup disabled by GOPROXY=off\n\
         main.go:5:2: example.com/a@v1.0.0: module lookup disabled by GOPROXY=off\n",
    );
    let positions: Vec<Option<&str>> = found.iter().map(|f| f.position.as_deref()).collect();
    assert_eq!(positions, [Some("main.go:3:8"), Some("main.go:4:2"), None]);
    assert_eq!(found[0].line, "module lookup disabled by GOPROXY=off");
    assert_eq!(
        found[2].key.as_ref().map(ToString::to_string).as_deref(),
        Some("example.com/a@v1.0.0")
    );
}
