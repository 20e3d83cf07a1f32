//! `modlens vendor verify [DIR]`: a project's `vendor/` directory against go.mod (go's own
//! check) and, file by file, against the modules' zips (see [`crate::ops::vendor`]), with the
//! diff of each file that differs. Exit status 0 when it is what `go mod vendor` would write,
//! 1 when it is not, 2 on errors: CI can run it instead of `go mod vendor && git diff`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Engine;
use super::patch::{Paint, ShowArgs, Sides, render_files, write_out};
use crate::cache::fmt::{count, for_terminal};
use crate::ops::vendor::{Checked, VendorReport};

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
    /// zip (proven by go.sum): modified, extra and missing files, with their diffs.
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

const VENDOR: Sides = Sides {
    old: "zip",
    new: "vendored copy",
};

pub fn run(engine: &Engine, args: &VendorArgs) -> anyhow::Result<ExitCode> {
    let VendorAction::Verify(args) = &args.action;
    let report = crate::ops::vendor::verify_vendor(engine, &args.dir)?;
    let wrong = report.inconsistent.is_some()
        || report
            .modules
            .iter()
            .any(|m| matches!(m.checked, Checked::Differs { .. }));
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
    match (&report.inconsistent, &report.not_judged) {
        (Some(words), _) => out.push_str(&format!("{}\n", for_terminal(words))),
        (None, Some(why)) => out.push_str(&format!(
            "vendor/modules.txt not judged against go.mod: go could not run ({})\n",
            for_terminal(why)
        )),
        (None, None) => out.push_str("vendor/modules.txt is consistent with go.mod (go says)\n"),
    }
    let (mut identical, mut differ, mut unverified, mut local) = (0, 0, 0, 0);
    for m in &report.modules {
        let name = for_terminal(&format!("{} {}", m.path, m.version)).into_owned();
        let from = m
            .source
            .as_ref()
            .map(|s| format!(" (from {})", for_terminal(s)))
            .unwrap_or_default();
        match &m.checked {
            Checked::Identical => identical += 1,
            Checked::ReplacedByDirectory => local += 1,
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
                    "{name}{from}: {} differ from its zip\n",
                    count(files.len() as u64, "file")
                ));
                out.push_str(&render_files(files, VENDOR, stat, p));
            }
        }
    }
    out.push_str(&format!(
        "{}: {identical} as in their zips, {differ} differ, {unverified} not verified, {local} \
         replaced by directories\n",
        count(report.modules.len() as u64, "vendored module")
    ));
    out
}
