//! The event loop: the UI thread owns the [`App`] and the terminal, and reads two channels:
//! input, and the one channel of messages from the work the [`Spawner`] started. SIGTERM and
//! SIGHUP (a closed terminal) end it as `q` does, without asking: jobs are stopped between
//! items and go is killed, so that nothing runs on after the explorer and no scratch is left.
//!
//! Input is read on its own thread (`modlens-input`). Each iteration drains all pending input
//! before a bounded batch of work messages, so a flood of verdicts cannot delay a key, and
//! draws at most every 33 ms, only when something changed. With `MODLENS_FRAME_LOG=path`, the
//! time from each key's arrival to the end of the frame that shows it is logged, one line per
//! key.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, never, select};
use crossterm::event::{self, Event};

use super::app::{App, AppConfig};
use super::msg::{Effect, Msg};
use super::spawner::{Spawner, merge_refreshes};
use super::view;
use crate::ops::pools::Pools;

const FRAME: Duration = Duration::from_millis(33);
const TICK: Duration = Duration::from_millis(250);
const WORK_BATCH: usize = 1024;

/// The explorer ended because of this signal (after its work was stopped and the terminal
/// given back): the process should exit as the signal would have had it.
#[derive(Debug, thiserror::Error)]
#[error("terminated by signal {0}")]
pub struct Terminated(pub i32);

/// Runs the TUI until the user quits.
pub fn run(
    config: AppConfig,
    pools: &Arc<Pools>,
    frame_log: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut log = frame_log.map(File::create).transpose()?;
    let (mut spawner, messages) = Spawner::pooled(&config, pools);
    let (signal_tx, signal_rx) = bounded::<i32>(1);
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ])?;
    Pools::service("signals", move || {
        if let Some(signal) = signals.forever().next() {
            let _ = signal_tx.send(signal);
        }
    })?;
    let (input_tx, input_rx) = bounded::<(Instant, Event)>(256);
    Pools::service("input", move || {
        while let Ok(ev) = event::read() {
            if input_tx.send((Instant::now(), ev)).is_err() {
                break;
            }
        }
    })?;
    let mut held = super::terminal::Held::take()?;
    let terminal = &mut held.terminal;
    let mut app = App::new(config, crate::cache::clock::now());
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    // The scan starts once the first frame is on screen: on few cores it would otherwise
    // delay the frame that shows the last session's rows.
    let mut scan_started = false;

    let mut input_rx = input_rx;
    let mut last_draw = Instant::now()
        .checked_sub(FRAME)
        .unwrap_or_else(Instant::now);
    let mut last_tick = Instant::now();
    let mut waiting_keys: Vec<Instant> = Vec::new();
    loop {
        let timeout = if app.dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else {
            TICK
        };
        let mut effects = Vec::new();
        select! {
            recv(input_rx) -> m => match m {
                Ok((t, ev)) => { note_key(&ev, t, &mut waiting_keys); effects.extend(app.update(Msg::Input(ev))); }
                Err(_) => input_rx = never(),
            },
            recv(messages) -> m => if let Ok(msg) = m { effects.extend(app.update(msg)) },
            recv(signal_rx) -> signal => {
                spawner.shutdown();
                return Err(Terminated(signal.unwrap_or(signal_hook::consts::SIGTERM)).into());
            }
            default(timeout) => {},
        }
        // Keys first, then a bounded batch of work: `q` is never stuck behind verdicts.
        while let Ok((t, ev)) = input_rx.try_recv() {
            note_key(&ev, t, &mut waiting_keys);
            effects.extend(app.update(Msg::Input(ev)));
        }
        for msg in messages.try_iter().take(WORK_BATCH).collect::<Vec<_>>() {
            effects.extend(app.update(msg));
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            effects.extend(app.update(Msg::Tick(crate::cache::clock::now())));
        }
        for effect in merge_refreshes(effects) {
            if matches!(effect, Effect::Quit) {
                spawner.shutdown();
                return Ok(());
            }
            spawner.spawn(effect);
        }
        if app.dirty && last_draw.elapsed() >= FRAME {
            app.refresh();
            terminal.draw(|f| view::render(&app, f))?;
            app.dirty = false;
            last_draw = Instant::now();
            if !scan_started {
                scan_started = true;
                spawner.spawn(Effect::Rescan);
            }
            if let Some(log) = log.as_mut() {
                for t in waiting_keys.drain(..) {
                    writeln!(log, "{}", last_draw.duration_since(t).as_micros())?;
                }
            }
        }
    }
}

fn note_key(ev: &Event, at: Instant, waiting: &mut Vec<Instant>) {
    if matches!(ev, Event::Key(_)) {
        waiting.push(at);
    }
}
