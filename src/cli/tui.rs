//! Starting the interactive explorer from the command line: Go settings for the header,
//! go.sum lines from `--project`, and the frame log for the latency benchmark.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Engine;
use crate::cache::gocache::Location;
use crate::tui::app::{AppConfig, EnvInfo};

pub fn run(
    engine: &Engine,
    projects: &[PathBuf],
    recursive: bool,
    verify: bool,
) -> anyhow::Result<ExitCode> {
    let located = &engine.located;
    let (gocache, gocache_off) = match crate::cache::gocache::locate(None, &engine.goenv) {
        Location::Dir(dir) if dir.is_dir() => (Some(dir), None),
        Location::Dir(dir) => (
            None,
            Some(format!(
                "{} does not exist (go has not built anything)",
                dir.display()
            )),
        ),
        Location::Off(why) => (None, Some(why)),
    };
    let config = AppConfig {
        read_only: super::unwritable(&located.root),
        root: located.root.clone(),
        env: EnvInfo {
            goproxy: engine.goenv.goproxy(),
            gosumdb: engine.goenv.gosumdb(),
            goflags: engine.goenv.goflags(),
        },
        verify,
        expect: engine.expectations(projects, recursive)?,
        has_projects: !projects.is_empty(),
        projects: projects.to_vec(),
        state: engine.state.clone(),
        trash_keep: engine.trash_keep,
        gocache,
        gocache_off,
        preload: engine
            .state
            .as_ref()
            .and_then(|s| preload(&engine.pools, s, &located.root)),
        week_ago: engine.state.as_ref().and_then(|s| {
            let week_ago = crate::ops::state::unix(crate::cache::clock::now()) - 7 * 86_400;
            s.total_at(&located.root, week_ago).ok().flatten()
        }),
        go: engine.go_runner(),
        sumdb: crate::ops::sumdb::SumdbSettings::of(&engine.goenv),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        noatime: crate::cache::mount::atime_mode(
            &located
                .root
                .canonicalize()
                .unwrap_or_else(|_| located.root.clone()),
        ) == crate::cache::mount::AtimeMode::Never,
    };
    let frame_log = std::env::var_os("MODLENS_FRAME_LOG").map(PathBuf::from);
    crate::tui::run::run(config, &engine.pools, frame_log)?;
    Ok(ExitCode::SUCCESS)
}

/// The last session's snapshot and remembered verdicts, if the state database has them.
fn preload(
    pools: &crate::ops::pools::Pools,
    state: &crate::ops::state::State,
    root: &std::path::Path,
) -> Option<crate::tui::app::Preload> {
    // Both are read and parsed at once: the first frame waits for them.
    let (entries, verdicts) = pools.both(
        || state.load_snapshot(root),
        || {
            let all = state.recall(root).unwrap_or_default();
            all.into_iter().map(|(k, r)| (k, r.verdict)).collect()
        },
    );
    let entries: Vec<crate::cache::ModuleEntry> = entries.ok().flatten()?;
    let versions: u64 = entries.iter().map(|e| e.usage().disk).sum();
    let now = crate::ops::state::unix(crate::cache::clock::now());
    let recorded = state.total_at(root, now).ok().flatten().unwrap_or(versions);
    Some(crate::tui::app::Preload {
        entries,
        verdicts,
        other_bytes: recorded.saturating_sub(versions),
    })
}
