//! `modlens vendor verify [DIR]`: a project's (or a workspace's) `vendor/` directory against
//! go.mod or go.work (go's own check) and, file by file, against the modules' zips (see
//! [`crate::ops::vendor`]), with the diff of each file that differs. Exit status 0 when it is
//! what `go mod vendor` would write, 1 when it is not or cannot be proven so, 2 on errors: CI
//! can run it instead of `go mod vendor && git diff`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::patch::{Paint, ShowArgs, Sides, render_files, write_out};
use crate::cache::fmt::{count, escaped_path, for_terminal};
use crate::ops::vendor::{Checked, Source, VendorInputs, VendorReport};

/// Options of `modlens vendor`.
#[derive(Debug, Clone, clap::Args)]
pub struct VendorArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: VendorAction,
}

/// The `vendor` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum VendorAction {
    /// Check vendor/modules.txt against go.mod, and every vendored file against its module's
    /// zip (proven by go.sum) or replacement directory: modified, extra and missing files,
    /// with their diffs.
    Verify(VendorVerifyArgs),
}

/// Options of `vendor verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct VendorVerifyArgs {
    /// The project (default: the current directory).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// How the diffs are shown.
    #[command(flatten)]
    pub show: ShowArgs,
}

const FROM_ZIP: Sides = Sides {
    old: "zip",
    new: "vendored copy",
};

const FROM_DIRECTORY: Sides = Sides {
    old: "replacement directory",
    new: "vendored copy",
};

pub fn run(inputs: &VendorInputs<'_>, args: &VendorArgs) -> anyhow::Result<ExitCode> {
    let VendorAction::Verify(args) = &args.action;
    // Ctrl-C kills go (in a process group of its own) and removes its scratch directories.
    inputs.cancel.cancel_on_interrupt()?;
    let report = crate::ops::vendor::verify_vendor(inputs, &args.dir)?;
    if inputs.cancel.is_cancelled() {
        safe_eprintln!("modlens: interrupted: vendor/ was not checked to the end");
        return Ok(ExitCode::from(1));
    }
    let wrong = report.inconsistent.is_some()
        || report
            .modules
            .iter()
            .any(|m| !matches!(m.checked, Checked::Identical));
    let text = if args.show.json {
        format!(
            "{}\n",
            for_terminal(&serde_json::to_string_pretty(&report)?)
        )
    } else {
        human(&report, args.show.stat, Paint::for_stdout())
    };
    write_out(&text, args.show.paged())?;
    Ok(if wrong {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn human(report: &VendorReport, stat: bool, p: Paint) -> String {
    let mut out = String::new();
    if let Some(root) = &report.workspace {
        out.push_str(&format!(
            "the module is in the workspace {}: checked its vendor directory, {} (`go work \
             vendor` writes it there, and go builds the module from it)\n",
            escaped_path(&root.join("go.work")),
            escaped_path(&root.join("vendor"))
        ));
    }
    match (&report.inconsistent, &report.not_judged) {
        (Some(words), _) => out.push_str(&format!("{}\n", for_terminal(words))),
        (None, Some(why)) => out.push_str(&format!(
            "vendor/modules.txt not judged against {}: go could not run ({})\n",
            report.manifest,
            for_terminal(why)
        )),
        (None, None) => out.push_str(&format!(
            "vendor/modules.txt is consistent with {} (go says)\n",
            report.manifest
        )),
    }
    let (mut identical, mut differ, mut unverified) = (0, 0, 0);
    for m in &report.modules {
        let name = for_terminal(&format!("{} {}", m.path, m.version)).into_owned();
        let (from, source, sides) = match &m.source {
            None => (String::new(), "its zip", FROM_ZIP),
            Some(Source::Module(key)) => (
                format!(" (from {})", for_terminal(key)),
                "its zip",
                FROM_ZIP,
            ),
            Some(Source::Directory(dir)) => (
                format!(" (from {})", for_terminal(dir)),
                "its replacement directory",
                FROM_DIRECTORY,
            ),
        };
        match &m.checked {
            Checked::Identical => identical += 1,
            Checked::Unverified { why } => {
                unverified += 1;
                out.push_str(&format!(
                    "{name}{from}: not verified: {}\n",
                    for_terminal(why)
                ));
            }
            Checked::Differs { files } => {
                differ += 1;
                out.push_str(&format!(
                    "{name}{from}: {} {} from {source}\n",
                    count(files.len() as u64, "file"),
                    if files.len() == 1 {
                        "differs"
                    } else {
                        "differ"
                    }
                ));
                out.push_str(&render_files(files, sides, stat, p));
            }
        }
    }
    out.push_str(&format!(
        "{}: {identical} as go would copy them, {differ} differ, {unverified} not verified\n",
        count(report.modules.len() as u64, "vendored module")
    ));
    out
}
