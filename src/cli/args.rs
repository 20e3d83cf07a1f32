//! The options of each subcommand, as clap reads them.

use std::path::PathBuf;

use super::clean;
use crate::cache::sort::SortKey;
use crate::ops::policy::{self, Policy, TimeBasis};

/// Options of `modlens clean`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CleanArgs {
    /// Versions downloaded (or, with --by last-used, last used) longer ago than DURATION,
    /// e.g. 90d, 12w, 6mo, 1y.
    #[arg(long, help_heading = POLICIES, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// Which time --older-than compares.
    #[arg(long, value_enum, default_value_t = clean::ByTime::Downloaded, requires = "older_than")]
    pub by: clean::ByTime,
    /// All but the newest N (at least 1) versions of each module, newest as go's @latest
    /// means it: releases above prereleases above pseudo-versions. A prerelease or
    /// pseudo-version newer than the newest kept release is kept too (someone is testing it).
    #[arg(long, help_heading = POLICIES, value_name = "N")]
    pub keep_latest: Option<usize>,
    /// Versions no go.sum of the --project directories names.
    #[arg(long, help_heading = POLICIES)]
    pub unused: bool,
    /// Projects whose go.sum lines count as use (repeatable); also checked by --broken.
    #[arg(long, value_name = "DIR")]
    pub project: Vec<PathBuf>,
    /// With --project, read every go.sum below DIR.
    #[arg(long, requires = "project")]
    pub recursive: bool,
    /// All toolchains (golang.org/toolchain) but the newest.
    #[arg(long, help_heading = POLICIES)]
    pub toolchains: bool,
    /// Versions the verifier finds problems with.
    #[arg(long, help_heading = POLICIES)]
    pub broken: bool,
    /// Remove the least recently used versions until the cache fits in SIZE (e.g. 10G).
    #[arg(long, help_heading = POLICIES, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Leftovers of go's interrupted work: `*.tmp` files, `*.tmp-*` dirs, orphan `.partial`
    /// files and orphan trees (never names go does not write).
    #[arg(long)]
    pub leftovers: bool,
    /// A leftover to remove by name, whatever its kind (e.g. an unrecognized file that
    /// `list` shows), as a path relative to the cache root or inside it (repeatable). It must
    /// be one of the leftovers the scan lists; an unreadable one cannot be removed.
    #[arg(long = "leftover", value_name = "PATH")]
    pub named_leftovers: Vec<PathBuf>,
    /// Repositories under cache/vcs (go clones them again when needed).
    #[arg(long)]
    pub vcs: bool,
    /// Only print what would be removed.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Move the versions into the trash instead of deleting them (`modlens trash restore`
    /// puts them back). Frees no space until the trash is emptied.
    #[arg(long)]
    pub trash: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Restrict version policies to these modules (path, path@version or glob); alone, they
    /// select exactly the matching versions.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
}

/// The heading of the version policies in `clean --help`; a flag under it is a policy.
const POLICIES: &str = "Policies (a version goes only if every policy given selects it)";

impl CleanArgs {
    /// The version policies the flags give, in the order they narrow; a value that would
    /// select everything, or nothing sensible, is an error, and so is selecting nothing at all.
    pub fn policies(&self) -> anyhow::Result<Vec<Policy>> {
        let mut policies = Vec::new();
        if let Some(text) = &self.older_than {
            let by = match self.by {
                clean::ByTime::Downloaded => TimeBasis::Downloaded,
                clean::ByTime::LastUsed => TimeBasis::LastUsed,
            };
            let age = policy::parse_duration(text)?;
            policies.push(Policy::OlderThan { age, by });
        }
        match self.keep_latest {
            Some(0) => anyhow::bail!(
                "invalid --keep-latest 0: it would remove every version; keep at least 1 (to \
                 remove versions, name them as PATTERNs)"
            ),
            Some(n) => policies.push(Policy::KeepLatest(n)),
            None => {}
        }
        if self.unused {
            if self.project.is_empty() {
                anyhow::bail!(
                    "--unused needs --project DIR: the projects whose go.sum lines count as use"
                );
            }
            policies.push(Policy::Unused);
        }
        if self.toolchains {
            policies.push(Policy::Toolchains);
        }
        if self.broken {
            policies.push(Policy::Broken);
        }
        if let Some(text) = &self.max_size {
            match policy::parse_size(text)? {
                0 => anyhow::bail!(
                    "invalid --max-size {text:?}: a cache of 0 bytes is no cache; give a size \
                     above zero"
                ),
                _ if self.trash => anyhow::bail!(
                    "--trash cannot be used with --max-size: a trashed version still takes its \
                     space (run `clean --max-size` alone: it empties the trash first)"
                ),
                max => policies.push(Policy::MaxSize(max)),
            }
        }
        if policies.is_empty()
            && self.patterns.is_empty()
            && !self.leftovers
            && !self.vcs
            && self.named_leftovers.is_empty()
        {
            anyhow::bail!(
                "say what to clean: {}, --leftovers, --leftover PATH, --vcs, or PATTERNs",
                CleanArgs::policy_flags().join(", ")
            );
        }
        Ok(policies)
    }

    /// The policy flags, as `--help` names them.
    pub fn policy_flags() -> Vec<String> {
        use clap::CommandFactory;
        super::Cli::command()
            .find_subcommand("clean")
            .map(|clean| {
                clean
                    .get_arguments()
                    .filter(|a| a.get_help_heading() == Some(POLICIES))
                    .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Options of `modlens history`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HistoryArgs {
    /// How far back, e.g. 30d, 12w (default: everything recorded).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// One line per ISO week instead of per day.
    #[arg(long)]
    pub weekly: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Options of `modlens doctor`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DoctorArgs {
    /// The project: a directory in a module (go.mod) or a workspace (go.work); default: the
    /// current directory.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Also ask the proxy which needed versions their authors retracted (go reads, and
    /// caches, each module's latest go.mod).
    #[arg(long)]
    pub online: bool,
    #[command(flatten)]
    pub fixing: FixFlags,
}

/// `--fix`, `--yes` and `--json` of the commands that can fix what they find.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FixFlags {
    /// Repair the broken versions (offline first) and download the missing ones through go,
    /// then check again.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: do not ask (needed when stdin is not a terminal).
    #[arg(long, short = 'y', requires = "fix")]
    pub yes: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Options of `modlens explain`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ExplainArgs {
    /// A file holding go's output; without it (and without -- COMMAND), standard input.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Check against this project's go.sum (default: the module or workspace of the current
    /// directory, if any).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    #[command(flatten)]
    pub fixing: FixFlags,
    /// Run this command and explain its output, e.g. `modlens explain -- go build ./...`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Options of `modlens refetch`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RefetchArgs {
    /// Repair every version with problems, and remove leftovers of interrupted work.
    #[arg(long)]
    pub broken: bool,
    /// Concurrent repairs (go processes), default 4.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
    /// Check the results against these projects' go.sum too (repeatable).
    #[arg(long, value_name = "DIR")]
    pub project: Vec<PathBuf>,
    /// With --project, read every go.sum below DIR.
    #[arg(long, requires = "project")]
    pub recursive: bool,
    /// Print the plan (what each version gets) and change nothing.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Do not ask (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Download from this store instead of GOPROXY: a directory in go's proxy layout (or its
    /// file:// URL), whose copies must first be proven (go.sum, checksum-database answers), or
    /// a proxy URL.
    #[arg(long, value_name = "STORE")]
    pub from: Option<String>,
    /// Versions to repair, as MODULE@VERSION.
    #[arg(value_name = "MODULE@VERSION")]
    pub modules: Vec<String>,
}

/// Options of `modlens verify`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VerifyArgs {
    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Also check the cache against DIR/go.sum and DIR/go.work.sum (repeatable).
    #[arg(long, value_name = "DIR")]
    pub project: Vec<PathBuf>,
    /// With --project, read every go.sum and go.work.sum below DIR.
    #[arg(long, requires = "project")]
    pub recursive: bool,
    /// Hash every version again, even those whose remembered verdict would stand.
    #[arg(long)]
    pub full: bool,
    /// First ask the checksum database GOSUMDB names, online, about every version with no
    /// cached answer (never about those GONOSUMDB or GOPRIVATE make private), and cache its
    /// proven answers as go does; every version is then judged by them.
    #[arg(long)]
    pub sumdb: bool,
    /// Hash a version again when its last full hash is older than this, even if nothing about
    /// it changed (disk corruption changes no metadata).
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub rehash_after: String,
    /// Number of hashing threads (default: one per core, plus one).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
    /// Module versions to check: a module path, `path@version`, or a glob such as
    /// `github.com/acme/*` (default: all).
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
}

/// Options of `modlens list`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListArgs {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Order of the versions.
    #[arg(long, value_enum, default_value_t = SortKey::Name)]
    pub sort: SortKey,
    /// Reverse the order.
    #[arg(long)]
    pub reverse: bool,
    /// Show only versions whose `path@version` contains TEXT (case-insensitive), or, when TEXT
    /// has `*`, `?` or `[`, whose path (or `path@version`, if TEXT has `@`) matches the glob.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
}

/// Options of `modlens trash`.
#[derive(Debug, Clone, clap::Args)]
pub struct TrashArgs {
    /// What to do with the trash.
    #[command(subcommand)]
    pub action: TrashAction,
}

/// The `trash` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TrashAction {
    /// What the trash holds, oldest first, with sizes and ids.
    List {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Put versions back into the cache under go's lock, then verify them.
    Restore {
        /// MODULE@VERSION (its newest trash entry) or an entry id from `trash list`.
        #[arg(required = true, value_name = "MODULE@VERSION|ID")]
        targets: Vec<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Remove trashed versions for good (all of them, or those older than DURATION).
    Empty {
        /// Only versions trashed longer ago than DURATION, e.g. 7d.
        #[arg(long, value_name = "DURATION")]
        older_than: Option<String>,
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask (needed when stdin is not a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// Options of `modlens gocache`.
#[derive(Debug, Clone, clap::Args)]
pub struct GocacheArgs {
    /// The build cache (default: GOCACHE as go finds it: the environment, `go env`, then the
    /// user cache directory + go-build).
    #[arg(long, value_name = "DIR", global = true)]
    pub dir: Option<PathBuf>,
    /// Print one JSON object (`gocache --json` is `gocache list --json`).
    #[arg(long)]
    pub json: bool,
    /// What to do (default: list).
    #[command(subcommand)]
    pub action: Option<GocacheAction>,
}

/// The `gocache` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum GocacheAction {
    /// Totals (equal to du), and how recently entries were used against go's 5-day trim.
    List {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Hash every output against its name and check every action entry.
    Verify {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Delete entries by age, size, damage or orphanhood (action entries first).
    Clean(GocacheCleanArgs),
}

/// Options of `modlens gocache clean`; each adds what it selects.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GocacheCleanArgs {
    /// Entries unused for longer than DURATION (e.g. 5d, 2w).
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// The least recently used entries until the build cache fits in SIZE (e.g. 10G).
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// What `gocache verify` finds wrong.
    #[arg(long)]
    pub broken: bool,
    /// Outputs no action entry names.
    #[arg(long)]
    pub orphans: bool,
    /// Only print what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}
