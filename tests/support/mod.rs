//! Shared helpers for the integration tests: temp trees, the modlens binary, the real go
//! command with a `file://` proxy, and a hand-built cache for tests that do not need go.

#![allow(dead_code)]

pub mod fixture;
pub mod go;
pub mod oracle;
pub mod proxy;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A temp directory that is removed on drop even when go made parts of it read-only.
pub struct TempTree {
    dir: Option<tempfile::TempDir>,
}

impl TempTree {
    pub fn new() -> Self {
        TempTree {
            dir: Some(
                tempfile::Builder::new()
                    .prefix("modlens-test-")
                    .tempdir()
                    .unwrap(),
            ),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().unwrap().path()
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            make_writable(dir.path());
            let _ = dir.close();
        }
    }
}

/// Adds the owner's write bit to every directory below `path` (go makes module trees read-only).
pub fn make_writable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in walkdir::WalkDir::new(path).into_iter().flatten() {
        if entry.file_type().is_dir() {
            let mut perm = entry.metadata().unwrap().permissions();
            perm.set_mode(perm.mode() | 0o700);
            let _ = std::fs::set_permissions(entry.path(), perm);
        }
    }
}

/// A modlens command with no Go settings from the test runner's environment.
pub fn modlens(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_modlens"));
    cmd.args(args);
    for var in ["GOMODCACHE", "GOPATH", "GOFLAGS", "NO_COLOR"] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs modlens and returns its output, whatever the exit status.
pub fn run(args: &[&str]) -> Output {
    modlens(args).output().unwrap()
}

/// Runs `modlens list --json --cache <cache>` and parses the report.
pub fn list_json(cache: &Path) -> Value {
    let out = run(&["list", "--json", "--cache", cache.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "modlens list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The entry for `path@version` in a list report.
pub fn entry<'a>(report: &'a Value, path: &str, version: &str) -> &'a Value {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path && e["version"] == version)
        .unwrap_or_else(|| panic!("{path}@{version} is not in the list"))
}

/// The (module path, action) pairs of a `modlens refetch --json` report.
pub fn repair_actions(report: &Value) -> std::collections::BTreeSet<(String, String)> {
    report["repaired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["path"].as_str().unwrap().to_owned(),
                o["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn path_buf(v: &Value) -> PathBuf {
    PathBuf::from(v.as_str().unwrap())
}
