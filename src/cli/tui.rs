//! Starting the interactive explorer from the command line: Go settings for the header,
//! go.sum lines from `--project`, and the frame log for the latency benchmark.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::locate::{Located, go_env};
use super::verify::sumdb_keys;
use crate::tui::app::{AppConfig, EnvInfo};
use crate::verify::Expectations;

/// A Go setting as go sees it: the environment, else `go env`, else go's default.
fn setting(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| go_env(name))
        .unwrap_or_else(|| default.to_owned())
}

pub fn run(
    located: &Located,
    projects: &[PathBuf],
    recursive: bool,
    verify: bool,
) -> anyhow::Result<ExitCode> {
    let gosums = super::load_projects(projects, recursive)?;
    let goflags = setting("GOFLAGS", "");
    let config = AppConfig {
        root: located.root.clone(),
        env: EnvInfo {
            goproxy: setting("GOPROXY", "https://proxy.golang.org,direct"),
            gosumdb: setting("GOSUMDB", "sum.golang.org"),
            goflags: goflags.clone(),
        },
        verify,
        expect: Arc::new(Expectations {
            gosums,
            sumdb_keys: sumdb_keys(),
        }),
        has_projects: !projects.is_empty(),
        go: super::go_runner(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        noatime: crate::cache::mount::atime_mode(
            &located
                .root
                .canonicalize()
                .unwrap_or_else(|_| located.root.clone()),
        ) == crate::cache::mount::AtimeMode::Never,
    };
    let frame_log = std::env::var_os("MODLENS_FRAME_LOG").map(PathBuf::from);
    crate::tui::run::run(config, frame_log)?;
    Ok(ExitCode::SUCCESS)
}
