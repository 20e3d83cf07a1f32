//! The verification runner: verdicts stream one by one, progress ends at the total, and a
//! cancelled run stops starting new entries.

use std::sync::Arc;

use modlens::cache::cancel::CancelToken;
use modlens::cache::{ModCache, ModuleEntry};
use modlens::ops::verify::{VerifyEvent, run};
use modlens::verify::Expectations;

use crate::support::fixture::HandCache;

fn entries(cache: &ModCache) -> Vec<ModuleEntry> {
    crate::support::snapshot(cache.root()).entries
}

fn hand_cache(n: usize) -> HandCache {
    let c = HandCache::new();
    for i in 0..n {
        c.version(
            &format!("example.com/m{i}"),
            "v1.0.0",
            "v1.0.0",
            &[("a.go", "package a\n")],
        );
    }
    c
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn verdicts_stream_one_per_entry_and_progress_reaches_the_total() {
    let c = hand_cache(12);
    let cache = ModCache::new(c.root());
    let list = entries(&cache);
    let (tx, rx) = crossbeam_channel::unbounded();
    let summary = run(
        &crate::support::pools(2),
        &cache,
        list,
        Arc::new(Expectations::default()),
        &tx.clone().into(),
        &CancelToken::new(),
    );
    drop(tx);
    let events: Vec<VerifyEvent> = rx.into_iter().collect();
    let verdicts = events
        .iter()
        .filter(|e| matches!(e, VerifyEvent::Verdict(_)))
        .count();
    assert_eq!(verdicts, 12);
    assert_eq!(summary.checked, 12);
    // The fixture's zips are not zips: every version has a problem.
    assert_eq!(summary.problems, 12);
    let last_progress = events.iter().rev().find_map(|e| match e {
        VerifyEvent::Progress(p) => Some(*p),
        _ => None,
    });
    let p = last_progress.expect("progress was reported");
    assert_eq!((p.entries_done, p.entries_total), (12, 12));
    assert_eq!(p.bytes_done, p.bytes_total);
    assert!(matches!(events.last(), Some(VerifyEvent::Done(s)) if s.checked == 12));
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_cancelled_run_starts_nothing_and_says_so() {
    let c = hand_cache(5);
    let cache = ModCache::new(c.root());
    let list = entries(&cache);
    let (tx, rx) = crossbeam_channel::unbounded();
    let cancel = CancelToken::new();
    cancel.cancel();
    let summary = run(
        &crate::support::pools(2),
        &cache,
        list,
        Arc::new(Expectations::default()),
        &tx.clone().into(),
        &cancel,
    );
    drop(tx);
    assert!(summary.cancelled);
    assert_eq!(summary.checked, 0);
    assert!(
        rx.into_iter()
            .all(|e| !matches!(e, VerifyEvent::Verdict(_)))
    );
}

#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_consumer_that_goes_away_cancels_the_run() {
    let c = hand_cache(40);
    let cache = ModCache::new(c.root());
    let list = entries(&cache);
    let (tx, rx) = crossbeam_channel::unbounded();
    drop(rx);
    let cancel = CancelToken::new();
    let summary = run(
        &crate::support::pools(1),
        &cache,
        list,
        Arc::new(Expectations::default()),
        &tx.clone().into(),
        &cancel,
    );
    assert!(cancel.is_cancelled());
    assert!(summary.checked < 40, "stopped early: {}", summary.checked);
}
