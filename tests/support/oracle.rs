//! A throwaway Go program built from the `golang.org/x/mod` copy vendored in GOROOT, so tests
//! can ask Go itself how it orders versions and which cache names it accepts.
//!
//! GOROOT's `src/cmd/vendor/golang.org/x/mod` is copied into a temp module named
//! `golang.org/x/mod`, a `main` package is added beside it, and `go run` builds it offline.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::go::Go;

const MAIN_GO: &str = r#"package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	var lines []string
	for in.Scan() {
		lines = append(lines, in.Text())
	}
	switch os.Args[1] {
	case "sort":
		semver.Sort(lines)
		fmt.Println(strings.Join(lines, "\n"))
	case "decode":
		for _, l := range lines {
			f := strings.Fields(l)
			p, err1 := module.UnescapePath(f[0])
			v, err2 := module.UnescapeVersion(f[1])
			if err1 == nil && err2 == nil && module.CanonicalVersion(v) == v && module.Check(p, v) == nil {
				fmt.Printf("ok %s %s\n", p, v)
			} else {
				fmt.Println("invalid")
			}
		}
	}
}
"#;

/// Runs the oracle with `mode` (`sort` or `decode`), feeding it `input` lines.
pub fn ask_go(go: &Go, mode: &str, input: &[&str]) -> Vec<String> {
    let goroot =
        String::from_utf8(go.command(&["env", "GOROOT"]).output().unwrap().stdout).unwrap();
    let xmod = Path::new(goroot.trim()).join("src/cmd/vendor/golang.org/x/mod");
    assert!(
        xmod.is_dir(),
        "GOROOT has no vendored x/mod at {}",
        xmod.display()
    );
    let dir = go.sandbox.path().join("oracle");
    let status = Command::new("cp")
        .arg("-r")
        .arg(&xmod)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(dir.join("go.mod"), "module golang.org/x/mod\n\ngo 1.17\n").unwrap();
    std::fs::create_dir_all(dir.join("oracle")).unwrap();
    std::fs::write(dir.join("oracle/main.go"), MAIN_GO).unwrap();
    let mut child = go
        .command(&["run", "./oracle", mode])
        .current_dir(&dir)
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.join("\n").as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "go run oracle: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}
