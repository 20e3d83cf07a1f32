//! `modlens proxy list|verify STORE`: the module store a team shares (a `file://` proxy
//! directory, a module cache's `cache/download`, goproxy's directory cacher, Athens' disk
//! storage), listed, and every version judged against go.sum lines (`--project`) and the
//! store's own cached checksum-database answers.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde::Serialize;

mod bucket;
mod clean;
mod remote;
mod verify;

use super::print;
use super::progress::ProgressLine;
use crate::cache::cancel::CancelToken;
use crate::cache::fmt::{count, size};
use crate::cache::goenv::GoEnv;
use crate::cache::store::{Layout, Listing, Store};
use crate::ops::pools::Pools;
use crate::ops::state::State;
use crate::ops::store::Absent;
use crate::verify::gosum::GoSums;

/// Options of `modlens proxy`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProxyArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ProxyAction,
}

/// The `proxy` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ProxyAction {
    /// Every version the store holds, with its size and pieces.
    List(StoreArgs),
    /// Judge every version: match, mismatch, unverifiable or malformed.
    Verify(StoreArgs),
    /// Report the versions proven wrong (mismatch, malformed); with --yes, move them into a
    /// trash beside the store and drop them from @v/list.
    Clean(StoreCleanArgs),
}

/// Options of `proxy clean`.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreCleanArgs {
    /// The store and how to judge it.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Move the versions proven wrong (without it, only the report).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Where the store is and how to read it.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The store: a directory in go's proxy layout (what GOPROXY=file://DIR serves, named as a
    /// path or as that URL; a module cache's root stands for its cache/download), Athens' disk
    /// storage, a GOPROXY URL, or an S3 bucket (`s3://bucket/prefix`, credentials from the
    /// AWS_* variables).
    #[arg(value_name = "STORE")]
    pub store: PathBuf,
    /// The store's layout, when detecting it is not wanted.
    #[arg(long, value_enum)]
    pub layout: Option<LayoutArg>,
    /// Projects whose go.sum lines the versions are checked against (repeatable).
    #[arg(long, value_name = "DIR")]
    pub project: Vec<PathBuf>,
    /// With --project, read every go.sum below DIR.
    #[arg(long, requires = "project")]
    pub recursive: bool,
    /// Also ask the checksum database GOSUMDB names, online, about every version not private
    /// to it (GONOSUMDB, GOPRIVATE): through the store's relay when it is a URL that answers
    /// sumdb/<name>/supported, else as go reaches it (GOPROXY's relays, or directly).
    #[arg(long)]
    pub sumdb: bool,
    /// For an `s3://bucket/prefix` store: the S3-compatible endpoint (default:
    /// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or AWS's own for AWS_REGION).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// For an `s3://` store: path-style requests (`ENDPOINT/bucket/key`), as MinIO and most
    /// S3-compatible servers want (always, for an endpoint that is an address or localhost).
    #[arg(long)]
    pub path_style: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `--layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LayoutArg {
    /// `<escaped module>/@v/{list,<v>.info,<v>.mod,<v>.zip}`.
    Goproxy,
    /// `<module>/<version>/{go.mod,source.zip,<version>.info}`.
    Athens,
}

/// What the subcommands share: go's settings, the pools, and the state database (verdicts
/// are remembered in it, so that a second run over an unchanged store only lists it).
struct World<'a> {
    goenv: &'a GoEnv,
    pools: &'a Pools,
    state: Option<Arc<State>>,
    /// The store as the user named it (a directory, or the URL of a mirrored one).
    shown: String,
    /// The bucket of an `s3://` store, and its mirror.
    bucket: Option<&'a bucket::Mirrored>,
    /// The mirror of a store at a URL.
    url: Option<&'a crate::ops::store::Mirror>,
    /// Set by Ctrl-C and SIGTERM: the work stops at its next check.
    cancel: &'a CancelToken,
}

/// Mirrors the store at the URL `url`: the versions the `--project` go.sum files name, and the
/// others their modules' `@v/list` names. A piece the server does not have is a problem of
/// its version, except a zip that go.sum does not name either (a version go needs only the
/// go.mod of).
fn mirror_remote(
    url: &str,
    args: &StoreArgs,
    cancel: &CancelToken,
) -> anyhow::Result<(crate::ops::store::Mirror, Listing)> {
    let mut gosums = GoSums::default();
    for dir in &args.project {
        gosums.load_project(dir, args.recursive)?;
    }
    // Without go.sum, Athens' catalog says what the store holds.
    let catalog = if args.project.is_empty() {
        crate::ops::store::catalog(url)?.ok_or_else(|| {
            anyhow::anyhow!(
                "{url}: a store at a URL needs --project DIR (go's protocol lists no modules, so \
                 its go.sum names the versions to check), unless it is Athens, whose /catalog \
                 lists them"
            )
        })?
    } else {
        Vec::new()
    };
    let keys: Vec<&crate::cache::ModuleKey> = gosums.keys().chain(&catalog).collect();
    let progress = ProgressLine::new(!args.json && std::io::stderr().is_terminal());
    let mirror = crate::ops::store::mirror(
        url,
        &keys,
        &|n, total| {
            progress.show(|| format!("asked about {n}/{total} versions"));
        },
        cancel,
    )?;
    progress.clear();
    let mut listing = mirror.store.list();
    for absent in &mirror.absent {
        let key = match absent {
            Absent::Piece { key, .. } | Absent::Version(key) => key,
        };
        let version = listing.versions.iter_mut().find(|v| v.key == *key);
        match (absent, version) {
            // A version the list names and the server lacks is found by the listing itself.
            (Absent::Version(_), Some(_)) => {}
            (Absent::Version(key), None) => listing.strays.push(format!("{key}: not in the store")),
            // A zip go.sum does not name either: go needs only the version's go.mod.
            (Absent::Piece { ext: "zip", .. }, Some(v)) if gosums.zip_lines(&v.key).is_empty() => {}
            (Absent::Piece { ext, url, .. }, Some(v)) => v.problems.push(format!(
                "the store does not serve its .{ext} ({url}: not found)"
            )),
            (Absent::Piece { .. }, None) => {}
        }
    }
    Ok((mirror, listing))
}

pub fn run(
    goenv: &GoEnv,
    pools: &Pools,
    args: &ProxyArgs,
    state_flag: Option<&Path>,
    no_state: bool,
) -> anyhow::Result<ExitCode> {
    let (ProxyAction::List(a)
    | ProxyAction::Verify(a)
    | ProxyAction::Clean(StoreCleanArgs { store: a, .. })) = &args.action;
    let layout = a.layout.map(|l| match l {
        LayoutArg::Goproxy => Layout::GoProxy,
        LayoutArg::Athens => Layout::Athens,
    });
    let text = a.store.to_string_lossy().into_owned();
    let schemes = ["http://", "https://", "file://", "s3://"];
    if schemes.iter().any(|s| text.starts_with(s)) && text.contains([',', '|']) {
        // A value copied from GOPROXY, which lists stores go tries in turn.
        anyhow::bail!(
            "{text} is a GOPROXY list; STORE is one store: name one of its entries \
             (`modlens proxy verify URL` for each)"
        );
    }
    // Ctrl-C and SIGTERM stop the listing of a remote store, its downloads (within a chunk) and
    // the judging between versions: what was judged is reported, and said to be incomplete.
    let cancel = CancelToken::new();
    cancel.cancel_on_interrupt()?;
    // A store behind a URL is judged through a mirror of what it serves; its verdicts are not
    // remembered (the mirror is new each run).
    let bucket = if crate::ops::store::is_s3(&text) {
        Some(bucket::mirror(goenv, &text, a, layout, &cancel)?)
    } else {
        None
    };
    let (store, listing, mirror) = if let Some(b) = &bucket {
        (b.mirrored.mirror.store.clone(), b.listing.clone(), None)
    } else if crate::ops::store::is_url(&text) {
        if matches!(args.action, ProxyAction::Clean(_)) {
            anyhow::bail!(
                "{text}: a store is not cleaned over HTTP; on the server, run `modlens proxy \
                 clean DIR --yes` on its storage directory"
            );
        }
        let (mirror, listing) = mirror_remote(&text, a, &cancel)?;
        (mirror.store.clone(), listing, Some(mirror))
    } else {
        let dir = crate::cache::store::named_dir(a.store.as_os_str())?;
        let store = Store::open(&dir, layout)?;
        let listing = store.list();
        (store, listing, None)
    };
    if cancel.is_cancelled() {
        safe_eprintln!("modlens: interrupted: {text} was not listed to the end; nothing judged");
        return Ok(ExitCode::from(1));
    }
    let notices: crate::ops::engine::Notices =
        Arc::new(|notice| safe_eprintln!("modlens: {notice}"));
    let state = match &args.action {
        ProxyAction::List(_) => None,
        _ => {
            crate::ops::engine::open_state_for(goenv, state_flag, no_state, &store.root, &notices)?
        }
    };
    let world = World {
        goenv,
        pools,
        state,
        shown: if mirror.is_some() || bucket.is_some() {
            text
        } else {
            store.root.display().to_string()
        },
        bucket: bucket.as_ref(),
        url: mirror.as_ref(),
        cancel: &cancel,
    };
    match &args.action {
        ProxyAction::List(a) => list(&world.shown, &store, &listing, a.json),
        ProxyAction::Verify(a) => verify::verify(&world, &store, listing, a),
        ProxyAction::Clean(c) => clean::clean(&world, &store, listing, c),
    }
}

fn list(shown: &str, store: &Store, listing: &Listing, json: bool) -> anyhow::Result<ExitCode> {
    let total: u64 = listing.versions.iter().map(|v| v.bytes).sum();
    let modules = {
        let mut paths: Vec<&str> = listing
            .versions
            .iter()
            .map(|v| v.key.path.as_str())
            .collect();
        paths.dedup();
        paths.len()
    };
    if json {
        #[derive(Serialize)]
        struct JsonVersion<'a> {
            path: &'a str,
            version: &'a str,
            bytes: u64,
            info: bool,
            go_mod: bool,
            zip: bool,
            problems: &'a [String],
        }
        let versions: Vec<JsonVersion<'_>> = listing
            .versions
            .iter()
            .map(|v| JsonVersion {
                path: &v.key.path,
                version: &v.key.version,
                bytes: v.bytes,
                info: v.has_info,
                go_mod: v.has_go_mod,
                zip: v.has_zip,
                problems: &v.problems,
            })
            .collect();
        let report = serde_json::json!({
            "store": shown,
            "layout": store.layout.name(),
            "versions": versions,
            "strays": listing.strays,
            "bytes": total,
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for v in &listing.versions {
        let pieces: Vec<&str> = [
            (v.has_info, "info"),
            (v.has_go_mod, "mod"),
            (v.has_zip, "zip"),
        ]
        .into_iter()
        .filter_map(|(has, name)| has.then_some(name))
        .collect();
        text.push_str(&format!(
            "{:>10}  {:<12} {}\n",
            size(v.bytes),
            pieces.join(","),
            v.key
        ));
        for p in &v.problems {
            text.push_str(&format!("{:>10}  {p}\n", ""));
        }
    }
    for s in &listing.strays {
        text.push_str(&format!("stray: {s}\n"));
    }
    text.push_str(&format!(
        "{} of {} in {} ({} layout), {}\n",
        count(listing.versions.len() as u64, "version"),
        count(modules as u64, "module"),
        shown,
        store.layout.name(),
        size(total)
    ));
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
