//! Finding the module cache the way a user's go command would.
//!
//! The order is: `--cache DIR`, then `GOMODCACHE`, then `go env GOMODCACHE` (which also sees
//! `go env -w` settings and `$GOROOT/go.env`), then the first `GOPATH` entry plus `/pkg/mod`,
//! then `$HOME/go/pkg/mod`. As in go, a relative GOMODCACHE or GOPATH is an error. This is the
//! only place in modlens that reads those environment variables.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the cache path came from, so errors can say which setting to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `--cache` flag.
    Flag,
    /// The `GOMODCACHE` environment variable.
    GoModCacheEnv,
    /// `go env GOMODCACHE`.
    GoEnv,
    /// The first `GOPATH` entry.
    GoPath,
    /// The default `$HOME/go/pkg/mod`.
    Home,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Flag => "--cache",
            Source::GoModCacheEnv => "GOMODCACHE",
            Source::GoEnv => "`go env GOMODCACHE`",
            Source::GoPath => "GOPATH",
            Source::Home => "the default $HOME/go/pkg/mod",
        })
    }
}

/// A cache directory that exists and can be read.
#[derive(Debug, Clone)]
pub struct Located {
    /// The absolute cache root, as the user spelled it (not canonicalized, so that paths match
    /// what go prints).
    pub root: PathBuf,
    /// Where it came from.
    pub source: Source,
}

/// Why no usable cache was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocateError(pub String);

impl fmt::Display for LocateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LocateError {}

/// What locating needs from the outside world; tests pass fakes.
pub struct Env<'a> {
    /// Reads an environment variable.
    pub var: &'a dyn Fn(&str) -> Option<OsString>,
    /// Runs `go env GOMODCACHE`; `None` when go is not available.
    pub go_env: &'a dyn Fn() -> Option<PathBuf>,
    /// The current directory, to make `--cache` absolute.
    pub cwd: &'a Path,
}

/// Picks the cache path by the rules above, without checking the directory.
pub fn choose(flag: Option<&Path>, env: &Env<'_>) -> Result<(PathBuf, Source), LocateError> {
    if let Some(dir) = flag {
        return Ok((env.cwd.join(dir), Source::Flag));
    }
    if let Some(dir) = (env.var)("GOMODCACHE").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if !dir.is_absolute() {
            return Err(LocateError(format!(
                "GOMODCACHE entry is relative ({}); must be an absolute path",
                dir.display()
            )));
        }
        return Ok((dir, Source::GoModCacheEnv));
    }
    if let Some(dir) = (env.go_env)().filter(|d| d.is_absolute()) {
        return Ok((dir, Source::GoEnv));
    }
    let gopath = (env.var)("GOPATH").unwrap_or_default();
    if let Some(first) = std::env::split_paths(&gopath)
        .next()
        .filter(|p| !p.as_os_str().is_empty())
    {
        if !first.is_absolute() {
            return Err(LocateError(format!(
                "GOPATH entry is relative ({}); must be an absolute path",
                first.display()
            )));
        }
        return Ok((first.join("pkg").join("mod"), Source::GoPath));
    }
    let home = (env.var)("HOME").filter(|v| !v.is_empty()).ok_or_else(|| {
        LocateError("cannot find the module cache: set GOMODCACHE or pass --cache".into())
    })?;
    Ok((
        PathBuf::from(home).join("go").join("pkg").join("mod"),
        Source::Home,
    ))
}

/// Chooses the cache and checks that it is a readable directory.
pub fn locate(flag: Option<&Path>, env: &Env<'_>) -> Result<Located, LocateError> {
    let (root, source) = choose(flag, env)?;
    check_dir(&root, source)?;
    Ok(Located { root, source })
}

fn check_dir(root: &Path, source: Source) -> Result<(), LocateError> {
    let shown = root.display();
    match std::fs::metadata(root) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let hint = if source == Source::Home {
                "; no module cache found: set GOMODCACHE, pass --cache DIR, or try `modlens --demo`"
            } else {
                ""
            };
            Err(LocateError(format!(
                "cache directory {shown} (from {source}) does not exist{hint}"
            )))
        }
        Err(err) => Err(LocateError(format!(
            "cannot read cache directory {shown} (from {source}): {err}"
        ))),
        Ok(meta) if !meta.is_dir() => Err(LocateError(format!(
            "cache path {shown} (from {source}) is not a directory"
        ))),
        Ok(_) => match std::fs::read_dir(root) {
            Ok(_) => Ok(()),
            Err(err) => Err(LocateError(format!(
                "cannot read cache directory {shown} (from {source}): {err}"
            ))),
        },
    }
}

/// Runs `go env GOMODCACHE`, if go is on PATH.
pub fn go_env_gomodcache() -> Option<PathBuf> {
    go_env("GOMODCACHE").map(PathBuf::from)
}

/// Runs `go env NAME`, if go is on PATH, and returns a non-empty value. Its stderr is
/// discarded: a broken go installation just means this source is skipped.
pub fn go_env(name: &str) -> Option<String> {
    let out = Command::new("go")
        .args(["env", name])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose_with(
        flag: Option<&str>,
        vars: &[(&str, &str)],
        go: Option<&str>,
    ) -> Result<(PathBuf, Source), LocateError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let var = move |k: &str| {
            vars.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| OsString::from(v))
        };
        let go_env = move || go.map(PathBuf::from);
        let env = Env {
            var: &var,
            go_env: &go_env,
            cwd: Path::new("/work"),
        };
        choose(flag.map(Path::new), &env)
    }

    #[test]
    fn sources_are_tried_in_order() {
        let all = [
            ("GOMODCACHE", "/env/mod"),
            ("GOPATH", "/gp1:/gp2"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(
            choose_with(Some("rel"), &all, Some("/go/mod")).unwrap(),
            (PathBuf::from("/work/rel"), Source::Flag)
        );
        assert_eq!(
            choose_with(None, &all, Some("/go/mod")).unwrap(),
            (PathBuf::from("/env/mod"), Source::GoModCacheEnv)
        );
        assert_eq!(
            choose_with(None, &all[1..], Some("/go/mod")).unwrap(),
            (PathBuf::from("/go/mod"), Source::GoEnv)
        );
        assert_eq!(
            choose_with(None, &all[1..], None).unwrap(),
            (PathBuf::from("/gp1/pkg/mod"), Source::GoPath)
        );
        assert_eq!(
            choose_with(None, &all[2..], None).unwrap(),
            (PathBuf::from("/home/u/go/pkg/mod"), Source::Home)
        );
    }

    #[test]
    fn relative_settings_are_errors_as_in_go() {
        let err = choose_with(None, &[("GOMODCACHE", "rel/mod")], None).unwrap_err();
        assert!(err.0.contains("GOMODCACHE entry is relative"), "{err}");
        let err = choose_with(None, &[("GOPATH", "gp")], None).unwrap_err();
        assert!(err.0.contains("GOPATH entry is relative"), "{err}");
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let got = choose_with(
            None,
            &[("GOMODCACHE", ""), ("GOPATH", ""), ("HOME", "/h")],
            None,
        )
        .unwrap();
        assert_eq!(got.1, Source::Home);
    }
}
