//! Finding the module cache the way a user's go command would.
//!
//! The order is: `--cache DIR`, then `GOMODCACHE`, then what `go env GOMODCACHE` answers (it
//! also sees `go env -w` settings and `$GOROOT/go.env`), and only without go on PATH, go's own
//! rule: the first `GOPATH` entry plus `/pkg/mod`, with `$HOME/go` as the GOPATH when it is
//! unset or empty. As in go, a relative GOMODCACHE or GOPATH is an error, and so is an empty
//! answer (a GOPATH whose first entry is empty, or no HOME): "module cache not found", never a
//! guess. The settings come from the run's [`GoEnv`].

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::cache::goenv::{GoAnswer as GoEnvAnswer, GoEnv};

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

/// What running `go env GOMODCACHE` gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoAnswer {
    /// go is not on PATH (or could not be started).
    NotAvailable,
    /// What it printed, trimmed; empty when go has no module cache.
    Value(String),
    /// It failed, with its message (e.g. a relative GOPATH).
    Failed(String),
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LocateError(pub String);

/// What locating needs from the outside world; tests pass fakes.
pub struct Env<'a> {
    /// Reads an environment variable.
    pub var: &'a dyn Fn(&str) -> Option<OsString>,
    /// Runs `go env GOMODCACHE`.
    pub go_env: &'a dyn Fn() -> GoAnswer,
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
    let not_found = || {
        LocateError(
            "module cache not found: neither GOMODCACHE nor GOPATH is set (as go says); \
             set one, or pass --cache DIR"
                .into(),
        )
    };
    let relative = |what: &str, dir: &Path| {
        LocateError(format!(
            "{what} entry is relative; must be absolute path: {:?}",
            dir.display().to_string()
        ))
    };
    match (env.go_env)() {
        GoAnswer::Value(text) if text.is_empty() => return Err(not_found()),
        GoAnswer::Value(text) => {
            let dir = PathBuf::from(text);
            if !dir.is_absolute() {
                return Err(relative("GOMODCACHE", &dir));
            }
            return Ok((dir, Source::GoEnv));
        }
        GoAnswer::Failed(message) => {
            return Err(LocateError(format!(
                "`go env GOMODCACHE` failed: {message}"
            )));
        }
        GoAnswer::NotAvailable => {}
    }
    // go's rule, for when go cannot be asked: GOPATH's first entry, else $HOME/go.
    let gopath = (env.var)("GOPATH").filter(|v| !v.is_empty());
    let (gopath, source) = match gopath {
        Some(list) => {
            let first = std::env::split_paths(&list).next().unwrap_or_default();
            (first, Source::GoPath)
        }
        None => match (env.var)("HOME").filter(|v| !v.is_empty()) {
            Some(home) => (PathBuf::from(home).join("go"), Source::Home),
            None => return Err(not_found()),
        },
    };
    if gopath.as_os_str().is_empty() {
        return Err(not_found());
    }
    if !gopath.is_absolute() {
        return Err(relative("GOPATH", &gopath));
    }
    Ok((gopath.join("pkg").join("mod"), source))
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

/// What go answers for GOMODCACHE, from the run's settings.
pub fn gomodcache_answer(goenv: &GoEnv) -> GoAnswer {
    match goenv.go_answer() {
        GoEnvAnswer::NotAvailable => GoAnswer::NotAvailable,
        GoEnvAnswer::Failed(message) => GoAnswer::Failed(message.clone()),
        GoEnvAnswer::Values(values) => {
            GoAnswer::Value(values.get("GOMODCACHE").cloned().unwrap_or_default())
        }
    }
}

/// Locates the cache by the rules above, from the run's settings.
pub fn locate_with(flag: Option<&Path>, goenv: &GoEnv) -> Result<Located, LocateError> {
    with_env(goenv, |env| locate(flag, env))
}

/// Where the cache is by the rules above, from the run's settings, whether or not it exists.
pub fn chosen_with(flag: Option<&Path>, goenv: &GoEnv) -> Result<(PathBuf, Source), LocateError> {
    with_env(goenv, |env| choose(flag, env))
}

fn with_env<T>(
    goenv: &GoEnv,
    then: impl FnOnce(&Env<'_>) -> Result<T, LocateError>,
) -> Result<T, LocateError> {
    let cwd = std::env::current_dir()
        .map_err(|e| LocateError(format!("cannot read the current directory: {e}")))?;
    let var = |k: &str| goenv.var_os(k);
    let go_env = || gomodcache_answer(goenv);
    let env = Env {
        var: &var,
        go_env: &go_env,
        cwd: &cwd,
    };
    then(&env)
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
        let go_env = move || match go {
            None => GoAnswer::NotAvailable,
            Some(text) => GoAnswer::Value(text.to_owned()),
        };
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

    #[test]
    fn an_empty_answer_is_go_s_error_never_a_fallback() {
        for (vars, go) in [
            (&[("GOPATH", ":/b"), ("HOME", "/h")][..], None),
            (&[("HOME", "")][..], None),
            (&[("HOME", "/h")][..], Some("")),
        ] {
            let err = choose_with(None, vars, go).unwrap_err();
            assert!(err.0.contains("module cache not found"), "{vars:?}: {err}");
        }
    }
}
