//! Showing file diffs to people, for `diff` and `vendor verify`: each file's unified diff (or
//! one line per file), colours when standard output is a terminal unless NO_COLOR, every line
//! from a file escaped first, and a pager (`$PAGER`, else `less -R`) on a terminal.

use std::io::{IsTerminal, Write};

use crate::cache::fmt::{for_terminal, size};
use crate::verify::diff::{Detail, FileDiff, Shown};

/// What a diff compares: the authentic side and the cache's.
#[derive(Clone, Copy)]
pub(crate) struct Sides {
    pub old: &'static str,
    pub new: &'static str,
}

/// ANSI colours, or none.
#[derive(Clone, Copy)]
pub(crate) struct Paint(pub bool);

impl Paint {
    /// Colours when standard output is a terminal, unless NO_COLOR.
    pub(crate) fn for_stdout() -> Paint {
        Paint(
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
    }

    pub(crate) fn paint(self, code: &str, text: &str) -> String {
        // The text is escaped first: a file's bytes never reach the terminal as controls.
        let text = for_terminal(text);
        if self.0 && !code.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.into_owned()
        }
    }
}

/// Each file's diff (or, with `stat`, one line per file), `sides` naming what is compared.
pub(crate) fn render_files(diffs: &[FileDiff], sides: Sides, stat: bool, p: Paint) -> String {
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
        for (line, kind) in d.shown(old, new) {
            let code = match kind {
                Shown::Hunk => "36",
                Shown::Added => "32",
                Shown::Removed => "31",
                Shown::Elided => "2",
                Shown::Said | Shown::Plain => "",
            };
            out.push_str(&p.paint(code, &line));
            out.push('\n');
        }
    }
    out
}

/// How file diffs are shown (`diff`, `vendor verify`).
#[derive(Debug, Clone, clap::Args)]
pub struct ShowArgs {
    /// Only the changed files, one line each, with how many lines changed.
    #[arg(long)]
    pub stat: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Never start a pager.
    #[arg(long)]
    pub no_pager: bool,
}

impl ShowArgs {
    /// Whether the output goes through a pager: on a terminal, unless JSON or --no-pager.
    pub(crate) fn paged(&self) -> bool {
        !self.json && !self.no_pager && std::io::stdout().is_terminal()
    }
}

/// Writes `text` to standard output, through a pager when `paged` and one starts.
pub(crate) fn write_out(text: &str, paged: bool) -> std::io::Result<()> {
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
