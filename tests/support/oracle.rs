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
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// fileTiles reads tiles as go's sumdb client caches them: the exact tile, or the full tile
// cut to the width asked for.
type fileTiles struct{ dir string }

func (f fileTiles) Height() int { return 8 }

func (f fileTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(t.Path())))
		if err != nil {
			full := t
			full.W = 1 << 8
			data, err = os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(full.Path())))
			if err != nil {
				return nil, err
			}
			if len(data) < t.W*tlog.HashSize {
				return nil, fmt.Errorf("short tile %s", full.Path())
			}
			data = data[:t.W*tlog.HashSize]
		}
		out[i] = data
	}
	return out, nil
}

func (f fileTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	var lines []string
	for in.Scan() {
		lines = append(lines, in.Text())
	}
	switch os.Args[1] {
	case "tlog-build":
		// A checksum database of n records: its tiles written under dir as go caches them,
		// and the key, the signed tree note and the records printed as JSON.
		dir := os.Args[2]
		n, err := strconv.ParseInt(os.Args[3], 10, 64)
		fail(err)
		skey, vkey, err := note.GenerateKey(rand.Reader, "sum.oracle.test")
		fail(err)
		signer, err := note.NewSigner(skey)
		fail(err)
		var stored []tlog.Hash
		hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				out[i] = stored[x]
			}
			return out, nil
		})
		records := make([]string, n)
		for i := int64(0); i < n; i++ {
			h := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%032d", i)))
			records[i] = fmt.Sprintf("example.com/m%d v1.0.0 h1:%s\nexample.com/m%d v1.0.0/go.mod h1:%s\n", i, h, i, h)
			hs, err := tlog.StoredHashes(i, []byte(records[i]), hr)
			fail(err)
			stored = append(stored, hs...)
		}
		th, err := tlog.TreeHash(n, hr)
		fail(err)
		msg, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: n, Hash: th}))}, signer)
		fail(err)
		for _, t := range tlog.NewTiles(8, 0, n) {
			data, err := tlog.ReadTileData(t, hr)
			fail(err)
			p := filepath.Join(dir, filepath.FromSlash(t.Path()))
			fail(os.MkdirAll(filepath.Dir(p), 0o777))
			fail(os.WriteFile(p, data, 0o666))
		}
		fail(json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
			"vkey": vkey, "note": string(msg), "root": th.String(), "records": records,
		}))
		return
	case "tlog-check":
		// For each input line "<id> <base64 record>": does go's client accept the record,
		// proven through the cached tiles (tlog.TileHashReader) against the signed root?
		dir := os.Args[2]
		n, err := strconv.ParseInt(os.Args[3], 10, 64)
		fail(err)
		th, err := tlog.ParseHash(os.Args[4])
		fail(err)
		for _, l := range lines {
			f := strings.Fields(l)
			id, err := strconv.ParseInt(f[0], 10, 64)
			fail(err)
			rec, err := base64.StdEncoding.DecodeString(f[1])
			fail(err)
			hr := tlog.TileHashReader(tlog.Tree{N: n, Hash: th}, fileTiles{dir})
			p, err := tlog.ProveRecord(n, id, hr)
			if err == nil {
				err = tlog.CheckRecord(p, n, th, id, tlog.RecordHash(rec))
			}
			if err == nil {
				fmt.Println("accept")
			} else {
				fmt.Println("reject")
			}
		}
		return
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
    ask_go_with(go, &[mode], input)
}

/// Runs the oracle with `args` (a mode and its arguments), feeding it `input` lines.
pub fn ask_go_with(go: &Go, args: &[&str], input: &[&str]) -> Vec<String> {
    let dir = oracle_module(go);
    let mut child = go
        .command(&["run", "./oracle"])
        .args(args)
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

/// GOROOT's vendored x/mod copied into the sandbox as a module (once), with the oracle's main
/// package in `oracle/`; other programs built from x/mod live beside it.
pub fn oracle_module(go: &Go) -> std::path::PathBuf {
    let dir = go.sandbox.path().join("oracle");
    if !dir.exists() {
        let goroot =
            String::from_utf8(go.command(&["env", "GOROOT"]).output().unwrap().stdout).unwrap();
        let xmod = Path::new(goroot.trim()).join("src/cmd/vendor/golang.org/x/mod");
        assert!(
            xmod.is_dir(),
            "GOROOT has no vendored x/mod at {}",
            xmod.display()
        );
        copy_oracle(&xmod, &dir, &language_version(go));
    }
    dir
}

/// The running go's language version (`1.27` for go1.27.3): GOROOT's vendored x/mod is written
/// for the go it ships with, and newer ones use features an older `go` line turns off.
fn language_version(go: &Go) -> String {
    let out = go.command(&["env", "GOVERSION"]).output().unwrap();
    let version = String::from_utf8_lossy(&out.stdout);
    let version = version.trim().trim_start_matches("go");
    let mut parts = version.split(['.', 'r', 'b', ' ', '-']);
    format!(
        "{}.{}",
        parts.next().unwrap_or("1"),
        parts.next().unwrap_or("17")
    )
}

/// Copies GOROOT's vendored x/mod to `dir` as a module, with the oracle's main package.
fn copy_oracle(xmod: &Path, dir: &Path, language: &str) {
    let status = Command::new("cp")
        .arg("-r")
        .arg(xmod)
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
    // Older x/mod signs notes with golang.org/x/crypto/ed25519, vendored beside it.
    let xcrypto = xmod.parent().unwrap().join("crypto");
    let mut go_mod = format!("module golang.org/x/mod\n\ngo {language}\n");
    if xcrypto.is_dir() {
        let status = Command::new("cp")
            .arg("-r")
            .arg(&xcrypto)
            .arg(dir.join("xcrypto"))
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::write(
            dir.join("xcrypto/go.mod"),
            format!("module golang.org/x/crypto\n\ngo {language}\n"),
        )
        .unwrap();
        go_mod.push_str(
            "\nrequire golang.org/x/crypto v0.0.0\n\nreplace golang.org/x/crypto => ./xcrypto\n",
        );
    }
    std::fs::write(dir.join("go.mod"), go_mod).unwrap();
    std::fs::create_dir_all(dir.join("oracle")).unwrap();
    std::fs::write(dir.join("oracle/main.go"), MAIN_GO).unwrap();
}
