//! `verify --sumdb`: the checksum database asked online about the cache's versions before
//! they are verified (see [`crate::ops::sumdb`]), and what that came to, as lines or JSON.

use std::io::IsTerminal;

use super::Engine;
use super::progress::ProgressLine;
use crate::cache::fmt::count;
use crate::ops::sumdb::Asked;

/// Asks the checksum database about `keys` (see [`crate::ops::sumdb`]), with a progress line.
pub(super) fn ask_database(
    engine: &Engine,
    keys: &[crate::cache::ModuleKey],
    show_progress: bool,
) -> anyhow::Result<Asked> {
    let progress = ProgressLine::new(show_progress && std::io::stderr().is_terminal());
    let settings = crate::ops::sumdb::SumdbSettings::of(&engine.goenv);
    let cache = engine.cache();
    // Ctrl-C and SIGTERM stop the asking; what was proven until then is still cached for go.
    let cancel = crate::cache::cancel::CancelToken::new();
    cancel.cancel_on_interrupt()?;
    let asked = crate::ops::sumdb::ask_for_cache(
        &engine.pools,
        &settings,
        &cache,
        keys,
        &|n, total| {
            progress.show(|| format!("asked the checksum database about {n}/{total}"));
        },
        &cancel,
    );
    progress.clear();
    Ok(asked?)
}

/// What `--sumdb` did, as lines after the verdicts.
pub(super) fn asked_text(asked: &Asked) -> String {
    let mut text = format!(
        "checksum database {} ({}): asked about {}, {} answers cached for go, {} already \
         cached, {} private\n",
        asked.database,
        asked.base,
        count(asked.asked as u64, "version"),
        asked.installed,
        asked.cached,
        asked.private
    );
    if let Some(why) = &asked.not_cached {
        text.push_str(&format!(
            "the proven answers could not be cached, so nothing was judged by them: {why}\n"
        ));
    }
    for (key, why) in &asked.unanswered {
        text.push_str(&format!("unverifiable {key}: {why}\n"));
    }
    text
}

pub(super) fn asked_json(asked: &Asked) -> serde_json::Value {
    let unanswered: Vec<serde_json::Value> = asked
        .unanswered
        .iter()
        .map(|(key, why)| {
            serde_json::json!({"path": key.path, "version": key.version, "reason": why})
        })
        .collect();
    serde_json::json!({
        "database": asked.database,
        "base": asked.base,
        "asked": asked.asked,
        "installed": asked.installed,
        "cached": asked.cached,
        "private": asked.private,
        "not_cached": asked.not_cached,
        "unverifiable": unanswered,
    })
}
