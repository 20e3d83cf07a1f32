//! `modlens diff MODULE@VERSION [PATH…]`: how the cache's tree of a version differs from its
//! intact zip, file by file (see [`crate::verify::diff`]): unified diffs for text, sizes and
//! the first differing offset for binary files, the head of an extra file, the name of a
//! missing one. `--stat` counts, `--json` for scripts; colours on a terminal unless NO_COLOR;
//! a pager (`$PAGER`, else `less -R`) on a terminal, as `git diff` does. Every line from a file
//! is escaped before it reaches the terminal. Exit status 0 when nothing differs, 1 when
//! something does, 2 on errors.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use super::Engine;
use crate::cache::fmt::{for_terminal, size};
use crate::cache::{ModuleKey, semver};
use crate::verify::diff::{Detail, DiffError, DiffLimits, FileDiff, diff_tree, diff_zips};

/// What a diff compares: the authentic side and the cache's.
#[derive(Clone, Copy)]
pub(super) struct Sides {
    pub old: &'static str,
    pub new: &'static str,
}

/// The tree against its intact zip.
const TREE: Sides = Sides {
    old: "zip",
    new: "tree",
};

/// A changed zip against an authentic copy.
const ZIPS: Sides = Sides {
    old: "authentic zip",
    new: "cached zip",
};

/// Options of `modlens diff`.
#[derive(Debug, Clone, clap::Args)]
pub struct DiffArgs {
    /// The version: MODULE@VERSION.
    #[arg(value_name = "MODULE@VERSION")]
    pub target: String,
    /// Only these files, or the files below these directories (paths in the module).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Only the changed files and how many lines changed.
    #[arg(long)]
    pub stat: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Never start a pager.
    #[arg(long)]
    pub no_pager: bool,
    /// When the cached zip is not go's, take the authentic copy from this store (a directory
    /// in go's proxy layout, whose copy must first match go.sum or a proven checksum-database
    /// answer, or a GOPROXY URL) instead of GOPROXY.
    #[arg(long, value_name = "STORE")]
    pub from: Option<String>,
    /// Projects whose go.sum lines prove a store's copy (with --from; repeatable).
    #[arg(long, value_name = "DIR", requires = "from")]
    pub project: Vec<std::path::PathBuf>,
}

pub fn run(engine: &Engine, args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let key = parse_target(&args.target)?;
    let cache = engine.cache();
    let limits = DiffLimits::default();
    let (diffs, sides) = match diff_tree(&cache, &key, &args.paths, limits) {
        Ok(diffs) => (diffs, TREE),
        // The zip is not go's: it is what changed, and an authentic copy says how.
        Err(DiffError::ZipChanged { why, .. }) => {
            safe_eprintln!(
                "modlens: the cached zip of {key} is not the one go downloaded ({why}); go \
                 downloads an authentic copy into a scratch directory to compare it with"
            );
            let mut go = engine.go_runner();
            if let Some(from) = &args.from {
                let expect = engine.expectations(&args.project, false)?;
                let proxy = crate::ops::store::repair_source(engine, from, &[&key], &expect)?;
                go.env.push(("GOPROXY".into(), proxy));
                go.env.push(("GONOPROXY".into(), "none".into()));
            }
            let authentic = crate::ops::diff::authentic_zip(&go, &key)?;
            let cached = cache.version_file(&key, crate::cache::VersionFile::Zip);
            let diffs = diff_zips(&key, &authentic.zip, &cached, &args.paths, limits)?;
            (diffs, ZIPS)
        }
        Err(e) => return Err(e.into()),
    };
    let text = if args.json {
        let report = serde_json::json!({
            "path": key.path,
            "version": key.version,
            "compared": format!("the {} against the {}", sides.new, sides.old),
            "files": diffs,
        });
        format!(
            "{}\n",
            for_terminal(&serde_json::to_string_pretty(&report)?)
        )
    } else {
        render(&key, &diffs, sides, args.stat, Paint::for_stdout())
    };
    let paged = !args.json && !args.no_pager && std::io::stdout().is_terminal();
    write_out(&text, paged)?;
    Ok(if diffs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn parse_target(target: &str) -> anyhow::Result<ModuleKey> {
    let (path, version) = target
        .split_once('@')
        .ok_or_else(|| anyhow::anyhow!("invalid argument {target:?}: want MODULE@VERSION"))?;
    if semver::canonical(version).as_deref() != Some(version) {
        anyhow::bail!("invalid argument {target:?}: {version:?} is not a canonical version");
    }
    Ok(ModuleKey {
        path: path.to_owned(),
        version: version.to_owned(),
    })
}

/// ANSI colours, or none.
#[derive(Clone, Copy)]
pub(super) struct Paint(pub bool);

impl Paint {
    /// Colours when standard output is a terminal, unless NO_COLOR.
    pub(super) fn for_stdout() -> Paint {
        Paint(
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
    }

    fn paint(self, code: &str, text: &str) -> String {
        // The text is escaped first: a file's bytes never reach the terminal as controls.
        let text = for_terminal(text);
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.into_owned()
        }
    }
}

fn render(key: &ModuleKey, diffs: &[FileDiff], sides: Sides, stat: bool, p: Paint) -> String {
    if diffs.is_empty() {
        return format!(
            "{}: the {} holds what the {} holds\n",
            for_terminal(&key.to_string()),
            sides.new,
            sides.old
        );
    }
    render_files(diffs, sides, stat, p)
}

/// Each file's diff (or, with `stat`, one line per file), `sides` naming what is compared.
pub(super) fn render_files(diffs: &[FileDiff], sides: Sides, stat: bool, p: Paint) -> String {
    let Sides { old, new } = sides;
    let mut out = String::new();
    let (old_dir, new_dir) = (old.replace(' ', "-"), new.replace(' ', "-"));
    for d in diffs {
        let summary = match &d.detail {
            Detail::Text { added, removed, .. } => format!("modified  +{added} -{removed}"),
            Detail::Binary { .. } => "modified  (binary)".to_owned(),
            Detail::Extra { bytes, .. } => format!("extra     {}", size(*bytes)),
            Detail::Missing { bytes } => format!("missing   {}", size(*bytes)),
            Detail::Unreadable { .. } => "unreadable".to_owned(),
        };
        if stat {
            out.push_str(&format!(
                "{}  {}\n",
                p.paint("1", &summary),
                for_terminal(&d.name)
            ));
            continue;
        }
        out.push_str(&p.paint("1", &format!("--- {old_dir}/{}\n", d.name)));
        out.push_str(&p.paint("1", &format!("+++ {new_dir}/{}\n", d.name)));
        match &d.detail {
            Detail::Text {
                lines, truncated, ..
            } => {
                for line in lines {
                    let code = match line.chars().next() {
                        Some('+') => "32",
                        Some('-') => "31",
                        Some('@') => "36",
                        _ => "0",
                    };
                    out.push_str(&p.paint(code, line));
                    out.push('\n');
                }
                if *truncated {
                    out.push_str(&p.paint("2", "… (more changes not shown)\n"));
                }
            }
            Detail::Binary {
                authentic_bytes,
                cached_bytes,
                first_difference,
            } => out.push_str(&format!(
                "binary: {authentic_bytes} bytes in the {old}, {cached_bytes} in the {new}; they \
                 differ from byte {first_difference} on\n"
            )),
            Detail::Extra {
                bytes,
                head,
                binary,
                truncated,
            } => {
                out.push_str(&format!("only in the {new} ({}):\n", size(*bytes)));
                if *binary {
                    out.push_str("  (binary)\n");
                }
                for line in head {
                    out.push_str(&p.paint("32", &format!("+{line}")));
                    out.push('\n');
                }
                if *truncated {
                    out.push_str(&p.paint("2", "… (the rest not shown)\n"));
                }
            }
            Detail::Missing { bytes } => out.push_str(&format!(
                "only in the {old} ({}): the {new} lacks it\n",
                size(*bytes)
            )),
            Detail::Unreadable { why } => {
                out.push_str(&format!("cannot be compared: {}\n", for_terminal(why)));
            }
        }
    }
    out
}

/// Writes `text` to standard output, through a pager when `paged` and one starts.
pub(super) fn write_out(text: &str, paged: bool) -> std::io::Result<()> {
    if paged && let Some(mut pager) = start_pager() {
        if let Some(mut stdin) = pager.stdin.take() {
            // A pager quit early closes the pipe: that is not an error.
            let _ = stdin.write_all(text.as_bytes());
        }
        let _ = pager.wait();
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// `$PAGER` (through the shell, as git runs it), else `less -R`; with git's `LESS=FRX`, so
/// that output shorter than a screen is printed and the pager quits.
fn start_pager() -> Option<std::process::Child> {
    let pager = std::env::var("PAGER").ok().filter(|p| !p.trim().is_empty());
    let mut cmd = match &pager {
        Some(p) if p.trim() == "cat" => return None,
        Some(p) => {
            let mut cmd = std::process::Command::new("sh");
            cmd.args(["-c", p]);
            cmd
        }
        None => {
            let mut cmd = std::process::Command::new("less");
            cmd.arg("-R");
            cmd
        }
    };
    if std::env::var_os("LESS").is_none() {
        cmd.env("LESS", "FRX");
    }
    cmd.stdin(std::process::Stdio::piped()).spawn().ok()
}
