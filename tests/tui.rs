//! The TUI without a terminal: journeys drive `App::update` with scripted keys and check state
//! and effects; render tests draw on ratatui's `TestBackend` and compare with snapshots in
//! `tests/snapshots/` (regenerate with `UPDATE_SNAPSHOTS=1 cargo test`).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crossbeam_channel::Receiver;
use modlens::cache::cancel::CancelToken;
use modlens::cache::scan::{self, Depth};
use modlens::cache::{ModCache, ModuleKey, ScanEvent};
use modlens::cli::SortKey;
use modlens::fix::refetch::Repair;
use modlens::ops::error::OpsError;
use modlens::ops::jobs::{ItemDone, JobEvent, JobItem, JobSpec};
use modlens::ops::verify::VerifyEvent;
use modlens::tui::app::{App, AppConfig, EnvInfo, Integrity, Mode, OpKind};
use modlens::tui::msg::{Effect, Msg};
use modlens::tui::rows::RowRef;
use modlens::tui::spawner::Spawner;
use modlens::tui::view::render;
use modlens::verify::Expectations;

use crate::support::TempTree;

/// Every event of a full scan of the cache at `root`, in order.
fn scan_events(root: &std::path::Path) -> Vec<ScanEvent> {
    let (tx, rx) = crossbeam_channel::unbounded::<ScanEvent>();
    scan::scan(
        crate::support::pools(2).scan_pool(),
        &ModCache::new(root),
        Depth::Full,
        &tx.into(),
        &CancelToken::new(),
    );
    rx.into_iter().collect()
}

/// Runs `effects` through `spawner` (inline: the work is done when `spawn` returns) and feeds
/// every message back to the app, until the app asks for nothing more; returns what the app
/// asked for on the way.
fn settle(
    app: &mut App,
    spawner: &mut Spawner,
    messages: &Receiver<Msg>,
    effects: Vec<Effect>,
) -> Vec<Effect> {
    let (mut effects, mut asked) = (effects, Vec::new());
    for _ in 0..100 {
        for effect in effects.drain(..) {
            spawner.spawn(effect);
        }
        for msg in messages.try_iter() {
            let more = app.update(msg);
            asked.extend(more.iter().cloned());
            effects.extend(more);
        }
        if effects.is_empty() {
            return asked;
        }
    }
    panic!("the app keeps asking for work: {effects:?}");
}

/// 2026-01-01T00:00:00Z: the demo's ages are computed from it, so screens are repeatable.
fn fixed_now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

/// An app fed with the scan and verdicts of a fresh demo cache, as the event loop would.
struct Fixture {
    _dir: TempTree,
    app: App,
    /// Does the work the app asks for, on the demo cache, before it returns.
    spawner: Spawner,
    messages: Receiver<Msg>,
}

fn fixture(verify: bool) -> Fixture {
    let dir = TempTree::new();
    let root = modlens::cli::demo::build(dir.path(), fixed_now()).unwrap();
    let config = AppConfig {
        root: root.clone(),
        env: EnvInfo {
            goproxy: "https://proxy.golang.org,direct".into(),
            gosumdb: "sum.golang.org".into(),
            goflags: String::new(),
        },
        verify,
        expect: Arc::new(Expectations::default()),
        ..AppConfig::default()
    };
    let (mut spawner, messages) = Spawner::inline(&config, &crate::support::pools(2));
    let mut app = App::new(config, fixed_now());
    settle(&mut app, &mut spawner, &messages, vec![Effect::Rescan]);
    app.refresh();
    // Screens show a stable root instead of the temp dir.
    app.config.root = "/home/gopher/go/pkg/mod".into();
    Fixture {
        _dir: dir,
        app,
        spawner,
        messages,
    }
}

fn key(code: KeyCode) -> Msg {
    Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Feeds keys written as a script: single characters, or names in angle brackets.
fn keys(app: &mut App, script: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    let mut rest = script;
    while let Some(c) = rest.chars().next() {
        let code = if c == '<' {
            let end = rest.find('>').expect("closing >");
            let name = &rest[1..end];
            rest = &rest[end + 1..];
            match name {
                "down" => KeyCode::Down,
                "up" => KeyCode::Up,
                "enter" => KeyCode::Enter,
                "tab" => KeyCode::Tab,
                "esc" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "bs" => KeyCode::Backspace,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                other => panic!("unknown key {other}"),
            }
        } else {
            rest = &rest[c.len_utf8()..];
            KeyCode::Char(c)
        };
        effects.extend(app.update(key(code)));
    }
    effects
}

fn select(app: &mut App, path: &str, version: &str) {
    let want = RowRef::Version(ModuleKey {
        path: path.into(),
        version: version.into(),
    });
    let i = app
        .visible
        .rows
        .iter()
        .position(|r| *r == want)
        .expect("row is visible");
    keys(app, "g");
    for _ in 0..i {
        keys(app, "j");
    }
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.update(Msg::Input(Event::Resize(width, height)));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| render(app, f)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_owned())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn assert_snapshot(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1. Got:\n{actual}",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "screen {name} differs from its snapshot.\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn the_main_list_shows_groups_sizes_ages_and_integrity_marks() {
    let mut f = fixture(true);
    let s = screen(&mut f.app, 80, 24);
    assert!(s.contains("3 problems"), "{s}");
    assert!(s.contains("▾ example.com/hello (3)"), "{s}");
    assert!(s.contains('✗') && s.contains('✓') && s.contains('◌'), "{s}");
    assert_snapshot("list_80x24", &s);
}

#[test]
fn the_detail_pane_of_a_damaged_entry_names_the_changed_files() {
    let mut f = fixture(true);
    select(&mut f.app, "example.com/tampered", "v1.0.0");
    keys(&mut f.app, "<enter>");
    let s = screen(&mut f.app, 80, 40);
    assert!(s.contains("dir_modified"), "{s}");
    assert!(
        s.contains("modified main.go") && s.contains("extra    debug.go"),
        "{s}"
    );
    assert_snapshot("detail_dir_modified_80x40", &s);
    let wide = screen(&mut f.app, 140, 36);
    assert!(
        wide.contains("details") && wide.contains("tree     ") && wide.contains('✗'),
        "{wide}"
    );
    assert_snapshot("detail_wide_140x36", &wide);
}

#[test]
fn the_confirm_dialog_states_how_many_versions_and_bytes() {
    let mut f = fixture(true);
    select(&mut f.app, "example.com/hello", "v1.0.0");
    keys(&mut f.app, "<space><space>D");
    let Mode::Confirm(op) = f.app.mode.clone() else {
        panic!("asks first: {:?}", f.app.mode)
    };
    assert_eq!((op.kind, op.keys.len()), (OpKind::Delete, 2));
    let s = screen(&mut f.app, 80, 24);
    assert!(s.contains("Delete 2 module versions? This frees"), "{s}");
    assert_snapshot("confirm_delete_80x24", &s);
}

#[test]
fn help_lists_every_binding_from_the_keymap() {
    let mut f = fixture(false);
    keys(&mut f.app, "?");
    // Every binding, also in the smallest terminal modlens supports.
    for (width, height) in [(80, 24), (100, 30)] {
        let s = screen(&mut f.app, width, height);
        for (label, help) in modlens::tui::keymap::help_rows() {
            assert!(
                s.contains(label) && s.contains(help),
                "{label} {help} missing at {width}x{height}:\n{s}"
            );
        }
    }
    let s = screen(&mut f.app, 100, 30);
    assert_snapshot("help_100x30", &s);
    keys(&mut f.app, "x");
    assert_eq!(f.app.mode, Mode::Normal, "any key closes help");
}

#[test]
fn problem_rows_are_red_unless_no_color() {
    use ratatui::style::Color;
    for no_color in [false, true] {
        let mut f = fixture(true);
        f.app.config.no_color = no_color;
        f.app.update(Msg::Input(Event::Resize(80, 24)));
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|fr| render(&f.app, fr)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        let y = (0..24)
            .find(|&y| {
                (0..80)
                    .map(|x| buffer[(x, y)].symbol().to_owned())
                    .collect::<String>()
                    .contains("v2.0.0+incompatible")
            })
            .unwrap();
        let x = (0..80).find(|&x| buffer[(x, y)].symbol() == "v").unwrap();
        let want = if no_color { Color::Reset } else { Color::Red };
        assert_eq!(buffer[(x, y)].fg, want, "no_color = {no_color}");
    }
}

#[test]
fn opening_details_keeps_the_selected_row_on_screen() {
    let mut f = fixture(true);
    screen(&mut f.app, 80, 24);
    select(
        &mut f.app,
        "golang.org/x/demo",
        "v0.0.0-20230105000000-abcdefabcdef",
    );
    keys(&mut f.app, "<enter>");
    // Drawn as the event loop draws: no resize event in between.
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|fr| render(&f.app, fr)).unwrap();
    let s = format!("{}", terminal.backend());
    assert!(
        s.contains("    v0.0.0-20230105000000"),
        "the selected row is visible:\n{s}"
    );
}

/// On a wide terminal the details sit beside the list until Tab hides them; the list then
/// gets the full width, with the last-used column and the size bars. Enter shows them again.
#[test]
fn tab_hides_the_side_details_on_a_wide_terminal() {
    let mut f = fixture(true);
    let with_pane = screen(&mut f.app, 120, 24);
    assert!(with_pane.contains("details"), "{with_pane}");
    assert!(!with_pane.contains("USED"), "{with_pane}");
    keys(&mut f.app, "<enter>");
    assert!(
        screen(&mut f.app, 120, 24).contains("details"),
        "Enter keeps them"
    );
    keys(&mut f.app, "<tab>");
    let full = screen(&mut f.app, 120, 24);
    assert!(!full.contains("details"), "{full}");
    assert!(full.contains("USED") && full.contains('█'), "{full}");
    keys(&mut f.app, "<enter>");
    assert!(
        screen(&mut f.app, 120, 24).contains("details"),
        "Enter shows them"
    );
}

/// In a narrow terminal the confirmation wraps its lines and still shows how to answer.
#[test]
fn a_narrow_confirmation_still_shows_its_answer_keys() {
    let mut f = fixture(true);
    screen(&mut f.app, 44, 20);
    select(&mut f.app, "example.com/hello", "v1.0.0");
    keys(&mut f.app, "D");
    let s = screen(&mut f.app, 44, 20);
    assert!(s.contains("Enter: yes"), "{s}");
}

#[test]
fn a_narrow_terminal_still_shows_the_list() {
    let mut f = fixture(true);
    let s = screen(&mut f.app, 40, 12);
    assert!(s.contains("example.com/hel"), "{s}");
    assert_snapshot("narrow_40x12", &s);
}

#[test]
fn marking_then_delete_asks_then_starts_a_job_and_the_row_goes() {
    let mut f = fixture(true);
    let app = &mut f.app;
    let before = app.total_bytes();
    select(app, "example.com/hello", "v1.1.0");
    let effects = keys(app, "<space>Dy");
    let [Effect::StartJob(id, JobSpec::Delete { versions, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let k = ModuleKey {
        path: "example.com/hello".into(),
        version: "v1.1.0".into(),
    };
    assert_eq!(versions, &vec![k.clone()]);
    assert!(app.busy.contains(&k));
    assert!(app.jobs_running());
    let effects = keys(app, "q");
    assert!(
        effects.is_empty() && app.mode == Mode::ConfirmQuit,
        "quitting with a job running asks first"
    );
    keys(app, "n");
    app.update(Msg::Job(JobEvent::Item {
        id: *id,
        item: JobItem::Version(k.clone()),
        result: Ok(ItemDone::Deleted { files: 0 }),
        files_removed: 0,
    }));
    app.update(Msg::Job(JobEvent::Finished {
        id: *id,
        ok: 1,
        failed: 0,
        cancelled: false,
    }));
    assert!(!app.rows.contains_key(&k), "the deleted row disappears");
    assert!(app.total_bytes() < before, "totals drop");
    assert!(matches!(keys(app, "q").as_slice(), [Effect::Quit]));
}

#[test]
fn t_in_the_delete_dialog_moves_to_the_trash_and_the_cache_is_rescanned() {
    let mut f = fixture(true);
    let app = &mut f.app;
    app.config.trash_keep = Some(std::time::Duration::from_secs(86_400));
    select(app, "example.com/hello", "v1.1.0");
    let effects = keys(app, "<space>Dt");
    let [Effect::StartJob(id, JobSpec::Trash { versions, keep })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let k = ModuleKey {
        path: "example.com/hello".into(),
        version: "v1.1.0".into(),
    };
    assert_eq!(versions, &vec![k.clone()]);
    assert_eq!(*keep, Some(std::time::Duration::from_secs(86_400)));
    app.update(Msg::Job(JobEvent::Item {
        id: *id,
        item: JobItem::Version(k.clone()),
        result: Ok(ItemDone::Trashed { pieces: 5 }),
        files_removed: 0,
    }));
    assert!(!app.rows.contains_key(&k), "the trashed row disappears");
    let effects = app.update(Msg::Job(JobEvent::Finished {
        id: *id,
        ok: 1,
        failed: 0,
        cancelled: false,
    }));
    // The trash's size is in the header: a rescan counts it.
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Rescan)),
        "{effects:?}"
    );
    // `t` means nothing in other dialogs.
    keys(app, "L");
    if matches!(app.mode, Mode::Confirm(_)) {
        assert!(keys(app, "t").is_empty());
        assert!(matches!(app.mode, Mode::Confirm(_)));
    }
}

/// `L` asks to delete the leftovers, naming them and their size; once the job has removed
/// them the header no longer counts them.
#[test]
fn leftovers_are_deleted_after_a_confirmation() {
    let mut f = fixture(true);
    let app = &mut f.app;
    assert_eq!(app.counted.leftovers.len(), 1, "the demo has one leftover");
    let path = app.counted.leftovers[0].rel_path.clone();
    keys(app, "L");
    let s = screen(app, 100, 30);
    assert!(s.contains("Delete 1 leftover? This frees"), "{s}");
    assert!(s.contains(&*path.to_string_lossy()), "{s}");
    let effects = keys(app, "y");
    let [
        Effect::StartJob(
            id,
            JobSpec::Delete {
                versions, paths, ..
            },
        ),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert!(versions.is_empty());
    assert_eq!(paths, &vec![path.clone()]);
    keys(app, "L");
    assert_eq!(
        app.mode,
        Mode::Normal,
        "nothing left to ask about while the job runs"
    );
    app.update(Msg::Job(JobEvent::Item {
        id: *id,
        item: JobItem::Path(path),
        result: Ok(ItemDone::Deleted { files: 0 }),
        files_removed: 0,
    }));
    assert!(app.counted.leftovers.is_empty());
    assert!(screen(app, 100, 30).contains("0 leftovers"));
}

#[test]
fn a_busy_version_is_not_sent_to_a_second_job() {
    let mut f = fixture(true);
    let app = &mut f.app;
    select(app, "example.com/tampered", "v1.0.0");
    let first = keys(app, "Ry");
    assert!(matches!(
        first.as_slice(),
        [Effect::StartJob(_, JobSpec::Repair { .. })]
    ));
    let second = keys(app, "R");
    assert!(second.is_empty());
    assert_eq!(app.mode, Mode::Normal);
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .contains("1 version a running job still holds")
    );
    // Marked with another version, the busy one is left out, and the dialog says so.
    keys(app, "<space>");
    select(app, "example.com/hello", "v1.0.0");
    keys(app, "<space>");
    keys(app, "D");
    let Mode::Confirm(op) = &app.mode else {
        panic!("{:?}", app.mode)
    };
    assert_eq!(op.keys.len(), 1, "{op:?}");
    let s = screen(app, 100, 30);
    assert!(
        s.contains("Left out: 1 version a running job still holds."),
        "{s}"
    );
}

/// Marks nothing, selects the demo's tampered version and starts its repair; returns the job
/// and the version.
fn repair_tampered(app: &mut App) -> (u64, ModuleKey) {
    select(app, "example.com/tampered", "v1.0.0");
    let effects = keys(app, "Ry");
    let [Effect::StartJob(id, _)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let k = ModuleKey {
        path: "example.com/tampered".into(),
        version: "v1.0.0".into(),
    };
    (*id, k)
}

/// The job event for one finished version.
fn job_item(id: u64, key: &ModuleKey, result: Result<ItemDone, OpsError>) -> Msg {
    Msg::Job(JobEvent::Item {
        id,
        item: JobItem::Version(key.clone()),
        result: result.map_err(std::sync::Arc::new),
        files_removed: 0,
    })
}

/// `R` plans as `refetch` does: the dialog says how each version will be repaired, from its
/// verdict, and leaves out a marked version that verifies.
#[test]
fn the_repair_dialog_shows_each_version_s_plan_and_leaves_out_healthy_ones() {
    let mut f = fixture(true);
    let app = &mut f.app;
    select(app, "example.com/hello", "v1.0.0");
    keys(app, "<space>");
    select(app, "example.com/tampered", "v1.0.0");
    keys(app, "<space>R");
    let Mode::Confirm(op) = app.mode.clone() else {
        panic!("asks first: {:?}", app.mode)
    };
    assert_eq!(op.kind, OpKind::Repair);
    assert_eq!(op.keys.len(), 1, "only the damaged one: {op:?}");
    let s = screen(app, 100, 30);
    assert!(
        s.contains("example.com/tampered@v1.0.0: re-extract"),
        "the plan's line: {s}"
    );
    assert!(
        s.contains("Left out: 1 version verified fine (nothing to repair)."),
        "{s}"
    );
}

/// The explorer's work done for real, through the inline spawner: `D` and `y` delete the
/// version on disk, the job reports, and the row leaves the list; `R` and `y` on the tampered
/// version repair it, and it verifies again.
#[test]
fn delete_and_repair_run_for_real_through_the_inline_spawner() {
    let mut f = fixture(true);
    let root = f._dir.path().join("modcache");
    let app = &mut f.app;
    select(app, "example.com/hello", "v1.0.0");
    let effects = keys(app, "Dy");
    settle(app, &mut f.spawner, &f.messages, effects);
    let hello = ModuleKey {
        path: "example.com/hello".into(),
        version: "v1.0.0".into(),
    };
    assert!(!root.join("example.com/hello@v1.0.0").exists());
    assert!(!app.rows.contains_key(&hello), "the row left the list");
    assert!(app.jobs.values().all(|j| j.finished), "{:?}", app.jobs);

    let tampered = ModuleKey {
        path: "example.com/tampered".into(),
        version: "v1.0.0".into(),
    };
    assert_eq!(app.rows[&tampered].integrity, Integrity::Problem);
    select(app, "example.com/tampered", "v1.0.0");
    let effects = keys(app, "Ry");
    let asked = settle(app, &mut f.spawner, &f.messages, effects);
    assert!(
        asked
            .iter()
            .any(|e| matches!(e, Effect::Refresh(k) if k.contains(&tampered))),
        "{asked:?}"
    );
    assert_eq!(app.rows[&tampered].integrity, Integrity::Ok, "re-extracted");
}

#[test]
fn a_repaired_version_is_measured_and_verified_again() {
    let mut f = fixture(true);
    let app = &mut f.app;
    let (id, k) = repair_tampered(app);
    let effects = app.update(job_item(
        id,
        &k,
        Ok(ItemDone::Repaired(Repair::Reextracted)),
    ));
    assert!(matches!(effects.as_slice(), [Effect::Refresh(keys)] if keys == &vec![k]));
}

#[test]
fn a_failed_job_shows_what_is_on_disk_and_a_gone_version_leaves_the_list() {
    let mut f = fixture(true);
    let app = &mut f.app;
    let (id, k) = repair_tampered(app);
    let effects = app.update(job_item(
        id,
        &k,
        Err(OpsError::unchanged(
            &k,
            "module lookup disabled by GOPROXY=off",
        )),
    ));
    assert!(
        matches!(effects.as_slice(), [Effect::Refresh(keys)] if keys == &vec![k.clone()]),
        "a failed job is measured again too: {effects:?}"
    );
    assert!(
        app.rows[&k]
            .job_error
            .as_deref()
            .is_some_and(|e| e.contains("unchanged"))
    );
    let before = app.rows.len();
    app.update(Msg::Scan(modlens::cache::ScanEvent::Gone(vec![k.clone()])));
    assert!(
        !app.rows.contains_key(&k),
        "a version no longer on disk leaves the list"
    );
    assert_eq!(app.rows.len(), before - 1);
}

#[test]
fn filtering_narrows_the_list_live_and_esc_clears_it() {
    let mut f = fixture(true);
    let app = &mut f.app;
    let all = app.visible.rows.len();
    keys(app, "/wid");
    assert_eq!(app.mode, Mode::Filter);
    let modules: Vec<&RowRef> = app
        .visible
        .rows
        .iter()
        .filter(|r| matches!(r, RowRef::Module(_)))
        .collect();
    assert_eq!(modules, [&RowRef::Module("github.com/Acme/Widget".into())]);
    keys(app, "<bs><bs><bs>*/hello<enter>");
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.visible.version_count, 3, "glob */hello");
    keys(app, "/<esc>");
    assert_eq!(app.visible.rows.len(), all);
    keys(app, "/hello<enter>p");
    let effects = keys(app, "<esc>");
    assert!(effects.is_empty(), "Esc clears an applied filter");
    assert_eq!((app.visible.rows.len(), app.problems_only), (all, false));
    assert!(keys(app, "<esc>").is_empty(), "Esc never quits");
    assert!(app.status.as_deref().is_some_and(|s| s.contains("q quits")));
}

#[test]
fn problems_only_and_sorting_change_the_rows() {
    let mut f = fixture(true);
    let app = &mut f.app;
    keys(app, "p");
    assert_eq!(app.visible.version_count, 3);
    keys(app, "p1");
    assert_eq!(app.sort, SortKey::Size);
    let sizes: Vec<u64> = app
        .visible
        .rows
        .iter()
        .filter_map(|r| match r {
            RowRef::Module(p) => Some(app.visible.modules[p].bytes),
            RowRef::Version(_) | RowRef::Missing(_) => None,
        })
        .collect();
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {sizes:?}"
    );
    keys(app, "r");
    let first = app.visible.rows.first().cloned();
    keys(app, "r4");
    assert_ne!(app.visible.rows.first().cloned(), first);
    assert_eq!(
        app.visible.rows.first(),
        Some(&RowRef::Module("example.com/hello".into()))
    );
}

#[test]
fn rule_marks_select_old_versions_and_problems() {
    let mut f = fixture(true);
    let app = &mut f.app;
    keys(app, "K<bs>1<enter>");
    let marked: Vec<String> = app.marks.iter().map(|k| k.to_string()).collect();
    assert_eq!(
        marked,
        [
            "example.com/hello@v1.0.0",
            "example.com/hello@v1.1.0",
            // Widget's v0.3.1 is its newest release, and v0.4.0-rc.1 is being tested.
        ]
    );
    keys(app, "cB");
    assert_eq!(app.marks.len(), 3, "the three broken demo versions");
    keys(app, "cO<bs><bs>365<enter>");
    assert!(app.marks.iter().all(|k| {
        let d = app.rows[k].entry.downloaded.unwrap();
        fixed_now().duration_since(d).unwrap() > Duration::from_secs(365 * 86_400)
    }));
    assert!(!app.marks.is_empty());
    keys(app, "cU");
    assert!(app.marks.is_empty());
    assert!(app.status.as_deref().unwrap_or("").contains("--project"));
    keys(app, "ga");
    assert_eq!(app.marks.len(), app.rows.len(), "mark all visible");
}

#[test]
fn verification_marks_fill_in_as_verdicts_arrive() {
    let mut f = fixture(false);
    let app = &mut f.app;
    let k = ModuleKey {
        path: "example.com/hello".into(),
        version: "v1.0.0".into(),
    };
    assert_eq!(
        app.rows[&k].integrity,
        modlens::tui::app::Integrity::Unverified
    );
    app.update(Msg::Verify(VerifyEvent::Started(k.clone())));
    assert_eq!(
        app.rows[&k].integrity,
        modlens::tui::app::Integrity::Hashing
    );
}

#[test]
fn tiny_terminals_and_keys_before_the_scan_never_panic() {
    let config = AppConfig {
        root: "/nowhere".into(),
        ..AppConfig::default()
    };
    let mut app = App::new(config, fixed_now());
    let every_key = "jkgGhl<enter><space>VacKx<enter>O0<enter>UB12345rp/x<bs><esc>DRq?";
    for (w, h) in [(1, 1), (10, 4), (30, 8), (80, 24), (200, 60)] {
        keys(&mut app, every_key);
        if app.mode != Mode::Normal {
            keys(&mut app, "<esc>");
        }
        let _ = screen(&mut app, w, h);
    }
    let mut f = fixture(true);
    for (w, h) in [(1, 1), (5, 3), (12, 5), (119, 10), (120, 10)] {
        keys(&mut f.app, "G<space>VD");
        let _ = screen(&mut f.app, w, h);
        keys(&mut f.app, "n?");
        let _ = screen(&mut f.app, w, h);
        keys(&mut f.app, "x<enter>");
        let _ = screen(&mut f.app, w, h);
    }
}

#[test]
fn a_sort_key_again_flips_and_plus_minus_expand_and_collapse_everything() {
    let mut f = fixture(true);
    let app = &mut f.app;
    keys(app, "1");
    let reverse = app.reverse;
    keys(app, "1");
    assert_eq!(
        app.reverse, !reverse,
        "the same sort key again flips the direction"
    );
    keys(app, "-");
    assert!(
        app.visible
            .rows
            .iter()
            .all(|r| matches!(r, RowRef::Module(_))),
        "every module collapsed"
    );
    keys(app, "+");
    assert!(
        app.visible
            .rows
            .iter()
            .any(|r| matches!(r, RowRef::Version(_)))
    );
    let effects = app.update(Msg::Input(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    ))));
    assert!(matches!(effects.as_slice(), [Effect::Quit]), "Ctrl-C quits");
}

#[test]
fn a_rescan_picks_up_what_another_program_changed_and_keeps_marks_and_verdicts() {
    let mut f = fixture(true);
    let root = f._dir.path().join("modcache");
    let app = &mut f.app;
    keys(app, "ja");
    let marks_before = app.marks.len();
    let effects = app.update(key(KeyCode::F(5)));
    assert!(
        matches!(effects.as_slice(), [Effect::Rescan]),
        "{effects:?}"
    );
    // Another program deletes a version meanwhile.
    let gone = ModuleKey {
        path: "example.com/hello".into(),
        version: "v1.0.0".into(),
    };
    modlens::fix::delete::delete_version(&ModCache::new(&root), &gone, |_| {}).unwrap();
    let effects = settle(app, &mut f.spawner, &f.messages, effects);
    assert!(
        !app.rows.contains_key(&gone),
        "the deleted version left the list"
    );
    let widget = ModuleKey {
        path: "github.com/Acme/Widget".into(),
        version: "v0.3.1".into(),
    };
    assert_eq!(
        app.rows[&widget].integrity,
        Integrity::Ok,
        "an unchanged version keeps its verdict"
    );
    assert!(
        app.marks.len() <= marks_before && !app.marks.is_empty(),
        "marks are kept"
    );
    assert!(
        effects
            .iter()
            .all(|e| !matches!(e, Effect::Verify(v) if v.iter().any(|x| x.key == widget))),
        "unchanged versions are not verified again: {effects:?}"
    );
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Msg::Input(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    ))))
}

#[test]
fn the_filter_prompt_edits_like_a_shell_and_a_bad_pattern_keeps_the_last_filter() {
    let mut f = fixture(true);
    let app = &mut f.app;
    keys(app, "/hllo<left><left><left>e");
    assert_eq!(app.filter_text, "hello");
    assert_eq!(app.visible.version_count, 3);
    ctrl(app, 'u');
    assert_eq!(app.filter_text, "llo", "Ctrl-U deletes to the start");
    keys(app, "<right><right><right> x");
    ctrl(app, 'w');
    assert_eq!(
        app.filter_text, "llo ",
        "Ctrl-W deletes the word before the cursor"
    );
    ctrl(app, 'h');
    assert_eq!(app.filter_text, "llo", "Ctrl-H deletes a character");
    ctrl(app, 'u');
    keys(app, "*/hello");
    let shown = app.visible.version_count;
    keys(app, "[");
    assert_eq!(
        app.visible.version_count, shown,
        "an unfinished glob keeps the last filter"
    );
    assert!(app.status.is_some(), "and says why");
    keys(app, "<enter>");
    assert_eq!(app.mode, Mode::Normal);
    // The rule prompt edits too.
    keys(app, "K");
    ctrl(app, 'u');
    keys(app, "2<esc>");
    assert_eq!(app.mode, Mode::Normal);
}

/// A rule's prompt shows its suggested number until one is typed: Enter takes the suggestion,
/// and a typed number replaces it (never "11" from a suggested 1 and a typed 1).
#[test]
fn a_typed_rule_number_replaces_the_suggested_one() {
    let mut f = fixture(true);
    let app = &mut f.app;
    keys(app, "K<enter>");
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("beyond the newest 1 "), "{status}");
    keys(app, "cK3<enter>");
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("beyond the newest 3 "), "{status}");
    keys(app, "cO30<enter>");
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("more than 30 days"), "{status}");
    keys(app, "cO<enter>");
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("more than 90 days"), "{status}");
}

#[test]
fn the_jobs_view_lists_jobs_and_x_cancels_the_selected_one() {
    let mut f = fixture(true);
    let app = &mut f.app;
    keys(app, "J");
    assert_eq!(app.mode, Mode::Normal, "no jobs yet: nothing to show");
    select(app, "example.com/tampered", "v1.0.0");
    let effects = keys(app, "Ry");
    let [Effect::StartJob(id, _)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let id = *id;
    keys(app, "J");
    assert_eq!(app.mode, Mode::Jobs(0));
    let effects = keys(app, "x");
    assert!(
        matches!(effects.as_slice(), [Effect::CancelJob(i)] if *i == id),
        "{effects:?}"
    );
    assert!(app.jobs[&id].cancelling);
    keys(app, "<esc>");
    assert_eq!(app.mode, Mode::Normal, "Esc closes the jobs view");
}

#[test]
fn a_toggles_apparent_sizes_and_a_version_s_pieces_add_up_to_its_row() {
    let mut f = fixture(true);
    let app = &mut f.app;
    select(app, "example.com/hello", "v1.0.0");
    let k = ModuleKey {
        path: "example.com/hello".into(),
        version: "v1.0.0".into(),
    };
    for apparent in [false, true] {
        if apparent {
            keys(app, "A");
        }
        assert_eq!(app.apparent, apparent);
        let e = &app.rows[&k].entry;
        let pieces: u64 = e.piece_usage.iter().map(|u| app.bytes(*u)).sum();
        assert_eq!(
            app.bytes(e.tree) + pieces,
            app.bytes(e.usage()),
            "tree and pieces add up to the row (apparent: {apparent})"
        );
    }
}

#[test]
fn a_mouse_click_selects_the_row_under_it() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut f = fixture(true);
    let app = &mut f.app;
    app.size = (80, 24);
    // Rows start below the three header lines and the list's own heading.
    let click = |row: u16| {
        Msg::Input(Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        }))
    };
    app.update(click(4 + 2));
    assert_eq!(app.cursor, 2);
    app.update(click(4));
    assert_eq!(app.cursor, 0);
    app.update(click(1));
    assert_eq!(app.cursor, 0, "a click on the header selects nothing");
}

/// Selects `path@version`, presses `l`, and lists its tree as the scan would: the version,
/// the effects of `l`, and the tree's items.
fn open_tree(
    f: &mut Fixture,
    path: &str,
    version: &str,
) -> (ModuleKey, Vec<Effect>, Vec<modlens::cache::TreeItem>) {
    let root = f._dir.path().join("modcache");
    select(&mut f.app, path, version);
    let k = ModuleKey {
        path: path.into(),
        version: version.into(),
    };
    let effects = keys(&mut f.app, "l");
    let items = modlens::cache::tree_items(&ModCache::new(&root).tree_dir(&k), 1000);
    (k, effects, items)
}

#[test]
fn right_on_a_version_opens_its_files_largest_first_with_changed_ones_marked() {
    let mut f = fixture(true);
    let (k, effects, items) = open_tree(&mut f, "example.com/tampered", "v1.0.0");
    let app = &mut f.app;
    assert!(
        matches!(effects.as_slice(), [Effect::ListFiles(key)] if *key == k),
        "{effects:?}"
    );
    assert_eq!(app.mode, Mode::Files(k.clone(), String::new(), 0));
    assert!(
        items.windows(2).all(|w| w[0].usage.disk >= w[1].usage.disk),
        "largest first"
    );
    app.update(Msg::Files(k.clone(), items));
    let shown = screen(app, 80, 24);
    let changed = app.rows[&k]
        .verdict
        .as_ref()
        .unwrap()
        .problems
        .iter()
        .flat_map(|p| p.files.iter())
        .next()
        .unwrap()
        .name
        .clone();
    assert!(
        shown
            .lines()
            .any(|l| l.contains(&changed) && (l.contains("modified") || l.contains("extra"))),
        "{shown}"
    );
    keys(app, "<esc>");
    assert_eq!(app.mode, Mode::Normal, "Esc goes back");
}

/// The file view is a tree: a directory shows its own total, opens with l (→, Enter) to its
/// own entries, and h (←, Esc) comes back out to it; from the top, back to the list.
#[test]
fn the_file_view_descends_into_directories_and_comes_back_out() {
    let mut f = fixture(true);
    let (k, _, items) = open_tree(&mut f, "github.com/Acme/Widget", "v0.3.1");
    let app = &mut f.app;
    app.update(Msg::Files(k.clone(), items));
    // The top shows `internal/` once, with the total below it, not its files.
    let top = screen(app, 80, 24);
    assert!(top.contains("internal/"), "{top}");
    assert!(!top.contains("geom.go"), "{top}");
    let at = app
        .files_in("")
        .iter()
        .position(|i| i.rel == "internal")
        .unwrap();
    for _ in 0..at {
        keys(app, "j");
    }
    keys(app, "l");
    assert_eq!(app.mode, Mode::Files(k.clone(), "internal".into(), 0));
    keys(app, "<enter>");
    assert_eq!(app.mode, Mode::Files(k.clone(), "internal/geom".into(), 0));
    let inside = screen(app, 80, 24);
    assert!(inside.contains("geom.go"), "{inside}");
    assert!(
        inside.contains("github.com/Acme/Widget@v0.3.1/internal/geom"),
        "{inside}"
    );
    keys(app, "h<esc>");
    assert_eq!(
        app.mode,
        Mode::Files(k.clone(), String::new(), at),
        "back on internal/"
    );
    keys(app, "<left>");
    assert_eq!(app.mode, Mode::Normal);
}

/// `P` with `--project`: the list narrows to what go says the project needs, with a row for a
/// needed version the cache lacks; `F` asks, then starts a repair of the broken one and a
/// download of the missing one.
#[test]
fn the_project_view_shows_what_the_project_needs_and_f_fixes_it() {
    use modlens::ops::project::Needed;
    let mut f = fixture(true);
    let app = &mut f.app;
    assert!(
        keys(app, "P").is_empty(),
        "without --project, P only explains"
    );
    assert!(app.status.as_deref().unwrap_or("").contains("--project"));

    app.config.projects = vec![std::path::PathBuf::from("/some/project")];
    app.config.has_projects = true;
    let effects = keys(app, "P");
    assert!(
        matches!(effects.as_slice(), [Effect::LoadProject]),
        "{effects:?}"
    );
    let need = |path: &str, version: &str| Needed {
        path: path.into(),
        version: version.into(),
        in_cache: Some(ModuleKey {
            path: path.into(),
            version: version.into(),
        }),
        replaced_by: None,
        needs_source: true,
        indirect: false,
        retracted: None,
        go_error: None,
        needs_newer_go: None,
        hidden_by: None,
    };
    app.update(Msg::Project(Ok(vec![
        need("example.com/tampered", "v1.0.0"),
        need("example.com/ghost", "v1.0.0"),
    ])));
    let s = screen(app, 100, 30);
    assert!(s.contains("example.com/ghost@v1.0.0"), "{s}");
    assert!(s.contains("not in the cache"), "{s}");
    assert!(s.contains("example.com/tampered"), "{s}");
    assert!(
        !s.contains("example.com/hello"),
        "only what the project needs: {s}"
    );
    assert!(s.contains("project view"), "{s}");

    keys(app, "F");
    let Mode::Confirm(op) = &app.mode else {
        panic!("F asks first: {:?}", app.mode)
    };
    assert_eq!(op.kind, OpKind::FixProject);
    let s = screen(app, 100, 30);
    assert!(
        s.contains("Fix the project's needs: repair 1, download 1?"),
        "{s}"
    );
    let effects = keys(app, "y");
    let specs: Vec<&JobSpec> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::StartJob(_, spec) => Some(spec),
            _ => None,
        })
        .collect();
    assert!(
        matches!(specs.as_slice(), [JobSpec::Repair { entries, .. }, JobSpec::Download { keys, .. }]
            if entries[0].key.path == "example.com/tampered" && keys[0].path == "example.com/ghost"),
        "{effects:?}"
    );
    // A failed download says why on the missing version's row.
    let download_id = effects
        .iter()
        .find_map(|e| match e {
            Effect::StartJob(id, JobSpec::Download { .. }) => Some(*id),
            _ => None,
        })
        .unwrap();
    let ghost = ModuleKey {
        path: "example.com/ghost".into(),
        version: "v1.0.0".into(),
    };
    app.update(job_item(
        download_id,
        &ghost,
        Err(OpsError::unchanged(
            &ghost,
            "module lookup disabled by GOPROXY=off",
        )),
    ));
    keys(app, "g");
    let s = screen(app, 120, 30);
    assert!(s.contains("the last download failed: unchanged"), "{s}");
    // P again shows every version; so does Esc, which backs out of the view.
    keys(app, "P");
    assert!(screen(app, 100, 30).contains("example.com/hello"));
    keys(app, "P");
    assert!(!screen(app, 100, 30).contains("example.com/hello"));
    keys(app, "<esc>");
    assert!(screen(app, 100, 30).contains("example.com/hello"));
}

/// With a state database, a finished scan is recorded, and the header says how much the cache
/// grew since the total recorded a week ago.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn a_finished_scan_is_recorded_and_the_header_shows_the_weeks_growth() {
    let dir = TempTree::new();
    let root = modlens::cli::demo::build(dir.path(), fixed_now()).unwrap();
    let state = modlens::ops::state::State::open(&dir.path().join("state.db"), &root).unwrap();
    let config = AppConfig {
        root: root.clone(),
        verify: false,
        state: Some(Arc::new(state)),
        week_ago: Some(100_000),
        ..AppConfig::default()
    };
    let mut app = App::new(config, fixed_now());
    let mut effects = Vec::new();
    for ev in scan_events(&root) {
        effects.extend(app.update(Msg::Scan(ev)));
    }
    let recorded = effects.iter().find_map(|e| match e {
        Effect::RecordScan(totals, sizes, entries) => {
            assert_eq!(entries.len() as u64, totals.versions);
            Some((totals.disk, totals.versions, sizes.len()))
        }
        _ => None,
    });
    let listed = crate::support::list_json(&root);
    assert_eq!(
        recorded,
        Some((
            listed["totals"]["disk_bytes"].as_u64().unwrap(),
            9,
            listed["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["path"].as_str().unwrap())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        )),
        "{effects:?}"
    );
    let s = screen(&mut app, 100, 30);
    assert!(s.lines().next().unwrap().contains("in a week)"), "{s}");
}

/// Opened with the last session's snapshot, the explorer shows its versions and remembered
/// marks at once; the scan that follows keeps what is unchanged, corrects what changed, and
/// has every remembered mark confirmed by verification.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn the_last_sessions_snapshot_is_shown_at_once_and_then_confirmed() {
    use modlens::tui::app::Preload;
    let dir = TempTree::new();
    let root = modlens::cli::demo::build(dir.path(), fixed_now()).unwrap();
    let cache = ModCache::new(&root);
    let whole = crate::support::snapshot(&root);
    let total = whole.total().disk;
    let scanned = whole.entries;
    let versions: u64 = scanned.iter().map(|e| e.usage().disk).sum();
    let verdicts = scanned
        .iter()
        .map(|e| {
            let v = modlens::verify::verify_entry(&cache, e, &Expectations::default());
            (e.key.clone(), v)
        })
        .collect();
    let entries = scanned;
    let config = AppConfig {
        root: root.clone(),
        verify: true,
        preload: Some(Preload {
            entries,
            verdicts,
            other_bytes: total - versions,
        }),
        ..AppConfig::default()
    };
    let mut app = App::new(config, fixed_now());
    let s = screen(&mut app, 100, 30);
    // The header's total is the last recorded one, never a half-counted cache, all through the
    // scan that follows.
    assert_eq!(app.total_bytes_on_disk(), total);
    assert!(s.contains("example.com/hello (3)"), "rows at once: {s}");
    assert!(s.contains("3 problems"), "remembered marks at once: {s}");
    assert!(
        app.rows.values().all(|r| r.remembered),
        "all marked as remembered"
    );
    // The live scan: one version changed since.
    let mut effects = Vec::new();
    for mut ev in scan_events(&root) {
        if let ScanEvent::Entries(entries) = &mut ev {
            for e in entries.iter_mut() {
                if e.key.path == "example.com/hello" && e.key.version == "v1.0.0" {
                    e.downloaded = None;
                }
            }
        }
        effects.extend(app.update(Msg::Scan(ev)));
        assert_eq!(app.total_bytes_on_disk(), total, "during the rescan");
    }
    let verified: Vec<&modlens::cache::ModuleEntry> = effects
        .iter()
        .flat_map(|e| match e {
            Effect::Verify(entries) => entries.iter().collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(
        verified.len(),
        9,
        "every remembered mark is confirmed: {effects:?}"
    );
    let changed = ModuleKey {
        path: "example.com/hello".into(),
        version: "v1.0.0".into(),
    };
    assert_eq!(
        app.rows[&changed].integrity,
        Integrity::Unverified,
        "changed: not trusted"
    );
    assert!(
        app.rows
            .values()
            .filter(|r| r.entry.key != changed)
            .all(|r| r.remembered)
    );
}

/// A cancelled job releases every version it never reached: no row stays busy (⟳), and a
/// new delete of them starts.
#[test]
fn a_stopped_job_releases_the_versions_it_never_reached() {
    let mut f = fixture(true);
    let app = &mut f.app;
    select(app, "example.com/hello", "v1.0.0");
    keys(app, "<space>");
    select(app, "example.com/hello", "v1.1.0");
    let effects = keys(app, "<space>Dy");
    let [Effect::StartJob(id, JobSpec::Delete { versions, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(versions.len(), 2, "{versions:?}");
    let (first, second) = (versions[0].clone(), versions[1].clone());
    app.update(Msg::Job(JobEvent::Item {
        id: *id,
        item: JobItem::Version(first),
        result: Ok(ItemDone::Deleted { files: 0 }),
        files_removed: 0,
    }));
    app.update(Msg::Job(JobEvent::Finished {
        id: *id,
        ok: 1,
        failed: 0,
        cancelled: true,
    }));
    assert!(app.busy.is_empty(), "{:?}", app.busy);
    assert!(!app.jobs_running());
    keys(app, "J");
    let s = screen(app, 100, 30);
    assert!(s.contains("0 failed  stopped, last:"), "{s}");
    keys(app, "<esc>");
    select(app, &second.path, &second.version);
    let effects = keys(app, "<space>Dy");
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::StartJob(_, JobSpec::Delete { .. })]
        ),
        "{effects:?}"
    );
}

/// A cache the user cannot write is said at start, and no job that would change it starts.
#[test]
fn a_read_only_cache_is_said_once_and_refuses_changes() {
    let mut f = fixture(true);
    f.app.config.read_only = Some("cannot change the module cache: not writable".into());
    let app = &mut f.app;
    select(app, "example.com/hello", "v1.1.0");
    let effects = keys(app, "<space>Dy");
    assert!(effects.is_empty(), "{effects:?}");
    assert!(app.busy.is_empty());
    assert_eq!(
        app.status.as_deref(),
        Some("cannot change the module cache: not writable")
    );
}

/// The build-cache view: a row with nothing in it is never marked, so the count of marks is
/// the count the delete dialog asks about; `B` marks the problem rows that hold files.
#[test]
fn build_view_marks_count_what_the_dialog_deletes() {
    use modlens::ops::gocache::{BuildGroup, BuildOverview};
    let mut f = fixture(false);
    let app = &mut f.app;
    app.config.gocache = Some("/home/gopher/.cache/go-build".into());
    let effects = keys(app, "b");
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBuild(_)]),
        "{effects:?}"
    );
    let group = |label: &str, problem: bool, files: u64| BuildGroup {
        label: label.into(),
        detail: String::new(),
        problem,
        bytes: files * 4096,
        files,
        delete: (0..files).map(|i| vec![format!("ab/ab{i}-d")]).collect(),
    };
    app.update(Msg::Build(Ok(BuildOverview {
        root: "/home/gopher/.cache/go-build".into(),
        total_bytes: 3 * 4096,
        outputs: 3,
        actions: 3,
        trimmed: None,
        problems: 2,
        groups: vec![
            group("output_corrupt ab0123456789", true, 1),
            group("output_corrupt cd0123456789", true, 1),
            group("used 5 to 30 days ago", false, 0),
            group("used over 30 days ago", false, 1),
        ],
    })));
    keys(app, "<down><down><space>");
    assert_eq!(app.status.as_deref(), Some("nothing to delete in that row"));
    keys(app, "B");
    let s = screen(app, 100, 30);
    assert!(s.contains("output_corrupt ab0123456789"), "{s}");
    assert!(s.contains("output_corrupt cd0123456789"), "{s}");
    assert!(s.contains("2 marked"), "{s}");
    keys(app, "D");
    let Mode::Confirm(op) = &app.mode else {
        panic!("{:?}", app.mode)
    };
    assert_eq!(op.paths.len(), 2, "{op:?}");
    // Its help lists its own keys, in its words, and no key of the list it does not answer.
    keys(app, "<esc>?");
    let s = screen(app, 80, 24);
    for (label, help) in modlens::tui::view_keys::BUILD_VIEW.help_rows() {
        assert!(
            s.contains(label) && s.contains(help),
            "{label} {help}:\n{s}"
        );
    }
    assert!(s.contains("mark the rows with problems"), "{s}");
    assert!(!s.contains("repair marked"), "{s}");
    keys(app, "x");
    keys(app, "R");
    assert_eq!(
        app.status.as_deref(),
        Some("not in the build cache view (? lists its keys)")
    );
}

/// A filter puts the cursor on its first match, and the marks by rule take only what the
/// filter shows, as `a` does, saying how many it kept out.
#[test]
fn a_filter_starts_at_its_first_match_and_bounds_every_mark() {
    let mut f = fixture(true);
    let app = &mut f.app;
    keys(app, "G");
    keys(app, "/tampered<enter>");
    assert_eq!(app.cursor, 0, "{:?}", app.visible.rows);
    let problems_in_all = app
        .rows
        .values()
        .filter(|r| r.integrity.is_problem())
        .count();
    keys(app, "B");
    let marked = app.marks.len();
    assert!(
        marked >= 1 && marked < problems_in_all,
        "{marked} of {problems_in_all}"
    );
    assert!(
        app.marks.iter().all(|k| k.path.contains("tampered")),
        "{:?}",
        app.marks
    );
    let status = app.status.clone().unwrap_or_default();
    assert!(
        status.contains("hidden by the filter, not marked"),
        "{status}"
    );
    keys(app, "c<esc>a");
    assert_eq!(app.marks.len(), app.rows.len());
}

/// With `--project`, a version's details say which of those projects use it: for its source
/// (a zip line in go.sum) or only for the module graph (a `/go.mod` line).
#[test]
fn the_details_name_the_projects_that_use_a_version() {
    let mut f = fixture(true);
    let projects = TempTree::new();
    let (app_dir, tool_dir) = (projects.path().join("app"), projects.path().join("tool"));
    for (dir, lines) in [
        (
            &app_dir,
            "example.com/hello v1.1.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
             example.com/hello v1.1.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        ),
        (
            &tool_dir,
            "example.com/hello v1.1.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        ),
    ] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("go.mod"), "module m\n").unwrap();
        std::fs::write(dir.join("go.sum"), lines).unwrap();
    }
    let mut expect = Expectations::default();
    expect.gosums.load_project(&app_dir, false).unwrap();
    expect.gosums.load_project(&tool_dir, false).unwrap();
    let app = &mut f.app;
    app.config.expect = Arc::new(expect);
    app.config.has_projects = true;
    select(app, "example.com/hello", "v1.1.0");
    keys(app, "<enter>");
    let s = screen(app, 200, 60);
    assert!(s.contains("used by (--project)"), "{s}");
    let line = |dir: &std::path::Path| {
        s.lines()
            .find(|l| l.contains(&dir.display().to_string()))
            .unwrap_or_else(|| panic!("{} missing:\n{s}", dir.display()))
            .to_owned()
    };
    assert!(line(&app_dir).contains("its source"), "{s}");
    assert!(line(&tool_dir).contains("its go.mod only"), "{s}");
    select(app, "example.com/hello", "v1.2.0");
    let s = screen(app, 200, 60);
    assert!(s.contains("no project's go.sum names it"), "{s}");
}

/// `T` opens the trash: its entries (read off the UI thread), newest first; `R` asks, then
/// restores through a job, `D` asks, then empties for good; Esc goes back to the list.
#[test]
fn the_trash_view_lists_restores_and_empties_through_jobs() {
    let mut f = fixture(true);
    let root = f._dir.path().join("modcache");
    let cache = ModCache::new(&root);
    let k = ModuleKey {
        path: "example.com/hello".into(),
        version: "v1.1.0".into(),
    };
    modlens::fix::trash::move_to_trash(&cache, &k, SystemTime::now(), |_| {}).unwrap();
    let app = &mut f.app;
    let effects = keys(app, "T");
    assert!(
        matches!(effects.as_slice(), [Effect::LoadTrash]),
        "{effects:?}"
    );
    let entries = modlens::cache::trash::read_trash(&cache).unwrap();
    app.update(Msg::Trash(Ok(entries)));
    let s = screen(app, 80, 24);
    assert!(s.contains("example.com/hello@v1.1.0"), "{s}");
    assert!(s.contains("1 entry"), "{s}");
    // Its help lists its own keys, in its words.
    keys(app, "?");
    let s = screen(app, 80, 24);
    assert!(s.contains("restore the marked versions"), "{s}");
    assert!(!s.contains("repair marked"), "{s}");
    keys(app, "x");
    assert!(app.trash.on);
    keys(app, "R");
    let Mode::Confirm(op) = &app.mode else {
        panic!("{:?}", app.mode)
    };
    assert_eq!(op.kind, OpKind::RestoreTrash);
    let s = screen(app, 80, 24);
    assert!(s.contains("Restore 1 entry from the trash"), "{s}");
    let effects = keys(app, "y");
    let [Effect::StartJob(_, JobSpec::Restore { entries, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].key.as_ref(), Some(&k));
    keys(app, "D");
    let s = screen(app, 140, 24);
    assert!(
        s.contains("nothing to do. Left out: 1 entry a running job still holds."),
        "{s}"
    );
    keys(app, "<esc>");
    assert!(!app.trash.on);
    assert_eq!(app.mode, Mode::Normal);
}

/// `S` asks the checksum database (go's test database on 127.0.0.1, vouching for the demo's
/// zips, lying about one) about every version: the answers land where go caches them, the
/// versions are verified again by them, the ones whose zip a proven record confirms are
/// marked ◆, the lied-about one is a `sumdb_mismatch`, and an unreachable database leaves ◇.
#[test]
#[cfg_attr(modlens_skip_go, ignore = "needs go; MODLENS_SKIP_GO=1 skips it")]
fn s_asks_the_checksum_database_and_marks_what_its_proven_records_confirm() {
    use crate::support::sumdb::{SumdbServer, VKEY};
    use modlens::ops::sumdb::SumdbSettings;
    use modlens::verify::sumdb::Verifier;
    let Some(go) = crate::support::go::Go::find("s_asks_the_checksum_database") else {
        return;
    };
    let dir = TempTree::new();
    let root = modlens::cli::demo::build(dir.path(), fixed_now()).unwrap();
    let lied = ModuleKey {
        path: "github.com/Acme/Widget".into(),
        version: "v0.3.1".into(),
    };
    // The demo breaks this zip, so the database (which hashes the zips) has no record of it.
    let unknown = ModuleKey {
        path: "example.com/legacy".into(),
        version: "v2.0.0+incompatible".into(),
    };
    let db = SumdbServer::start(
        &go,
        &root.join("cache/download"),
        &[&format!("-lie={lied}")],
    );
    let start = |gosumdb: String| {
        let config = AppConfig {
            root: root.clone(),
            verify: true,
            expect: Arc::new(Expectations {
                sumdb_keys: vec![Verifier::parse(VKEY).unwrap()],
                ..Expectations::default()
            }),
            sumdb: SumdbSettings {
                gosumdb,
                goproxy: "off".into(),
                private: String::new(),
                gopath: String::new(),
            },
            ..AppConfig::default()
        };
        let (mut spawner, messages) = Spawner::inline(&config, &crate::support::pools(2));
        let mut app = App::new(config, fixed_now());
        settle(&mut app, &mut spawner, &messages, vec![Effect::Rescan]);
        (app, spawner, messages)
    };
    let (mut app, mut spawner, messages) = start(format!("{VKEY} {}", db.url));
    let effects = keys(&mut app, "S");
    assert!(matches!(effects.as_slice(), [Effect::AskSumdb(k)] if k.len() == app.rows.len()));
    settle(&mut app, &mut spawner, &messages, effects);
    app.refresh();
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("answers cached for go"), "{status}");
    assert_eq!(
        app.sumdb.unanswered.keys().collect::<Vec<_>>(),
        [&unknown],
        "{:?}",
        app.sumdb.unanswered
    );
    assert!(app.sumdb.unanswered[&unknown].contains("not in the checksum database"));
    let lookups = root.join("cache/download/sumdb/localhost.localdev/sumdb/lookup");
    for (key, row) in app.rows.iter().filter(|(key, _)| **key != unknown) {
        let verdict = row.verdict.as_ref().expect("verified again");
        let escaped = format!("{}@{}", key.escaped_path(), key.escaped_version());
        assert!(lookups.join(&escaped).is_file(), "{key}: no cached answer");
        let mismatch = verdict
            .problems
            .iter()
            .any(|p| p.kind.name() == "sumdb_mismatch");
        assert_eq!(mismatch, *key == lied, "{key}: {:?}", verdict.problems);
        if *key != lied && verdict.hashes.zip.is_some() && verdict.hashes.ziphash.is_some() {
            assert!(verdict.hashes.sumdb_proven.is_some(), "{key}: {verdict:?}");
        }
    }
    select(&mut app, "example.com/hello", "v1.0.0");
    let text = screen(&mut app, 160, 45);
    assert!(
        text.lines()
            .any(|l| l.contains("v1.0.0") && l.contains("✓◆")),
        "{text}"
    );
    assert!(
        text.contains("◆ the localhost.localdev/sumdb record"),
        "{text}"
    );
    // Nobody listening: nothing is proven, every version is ◇ with why.
    let (mut app, mut spawner, messages) = start(format!("{VKEY} http://127.0.0.1:9"));
    std::fs::remove_dir_all(root.join("cache/download/sumdb")).unwrap();
    let effects = keys(&mut app, "S");
    settle(&mut app, &mut spawner, &messages, effects);
    assert_eq!(app.sumdb.unanswered.len(), app.rows.len());
    assert!(
        app.sumdb
            .unanswered
            .values()
            .all(|why| why.contains("unreachable"))
    );
    select(&mut app, "example.com/hello", "v1.0.0");
    let text = screen(&mut app, 160, 45);
    assert!(
        text.contains("◇ unverifiable: the checksum database is unreachable"),
        "{text}"
    );
}

/// Enter on a changed file in the file view shows its diff against the zip: the edited lines,
/// hunk by hunk (`n`/`N`), scrollable; Esc goes back to the file view where it was.
#[test]
fn enter_on_a_changed_file_shows_its_diff_and_esc_goes_back() {
    let mut f = fixture(true);
    let (k, _, items) = open_tree(&mut f, "example.com/tampered", "v1.0.0");
    f.app.update(Msg::Files(k.clone(), items));
    let main = f
        .app
        .files_in("")
        .iter()
        .position(|i| i.rel == "main.go")
        .expect("main.go at the top");
    f.app.mode = Mode::Files(k.clone(), String::new(), main);
    let effects = keys(&mut f.app, "<enter>");
    assert!(
        matches!(effects.as_slice(), [Effect::DiffFile(key, file)] if *key == k && file == "main.go"),
        "{effects:?}"
    );
    settle(&mut f.app, &mut f.spawner, &f.messages, effects);
    let shown = screen(&mut f.app, 80, 24);
    assert!(shown.contains("-const Answer = 42"), "{shown}");
    assert!(shown.contains("+const Answer = 43"), "{shown}");
    assert!(shown.contains("@@ -1,4 +1,4 @@"), "{shown}");
    assert_snapshot("diff_80x24", &shown);
    // n finds no further change in a one-hunk diff, and says so; j scrolls.
    keys(&mut f.app, "jn");
    assert_eq!(f.app.status.as_deref(), Some("no change further down"));
    keys(&mut f.app, "N");
    let Mode::Diff(at) = &f.app.mode else {
        panic!("{:?}", f.app.mode)
    };
    assert_eq!(at.scroll, 0, "N goes back to the hunk");
    keys(&mut f.app, "<esc>");
    assert_eq!(
        f.app.mode,
        Mode::Files(k.clone(), String::new(), main),
        "Esc goes back"
    );
    assert!(f.app.diff.is_none());
    // Ctrl-C quits from every mode, not only from the list.
    let ctrl_c = || {
        Msg::Input(Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )))
    };
    keys(&mut f.app, "<enter>");
    assert!(matches!(f.app.mode, Mode::Diff(_)), "{:?}", f.app.mode);
    for mode in [
        f.app.mode.clone(),
        Mode::Files(k, String::new(), main),
        Mode::Help,
        Mode::Jobs(0),
        Mode::Filter,
    ] {
        f.app.mode = mode.clone();
        let effects = f.app.update(ctrl_c());
        assert!(
            matches!(effects.as_slice(), [Effect::Quit]),
            "{mode:?}: {effects:?}"
        );
    }
}

/// A delete of what a rule marked keeps what the versions left need, as `clean` does: the
/// demo's golang.org/x/demo (kept) is made to require hello v1.0.0, which `K 1` marks; D asks
/// the graph first, unmarks v1.0.0 and says why in the dialog; hello v1.1.0 still goes.
#[test]
fn a_delete_of_rule_marks_keeps_what_kept_versions_need() {
    let mut f = fixture(true);
    let root = f._dir.path().join("modcache");
    let demo = ModCache::new(&root);
    let demo_key = f
        .app
        .rows
        .keys()
        .find(|k| k.path == "golang.org/x/demo")
        .unwrap()
        .clone();
    let go_mod = demo.version_file(&demo_key, modlens::cache::VersionFile::Mod);
    crate::support::make_writable(go_mod.parent().unwrap());
    std::fs::write(
        &go_mod,
        "module golang.org/x/demo\n\ngo 1.21\n\nrequire example.com/hello v1.0.0\n",
    )
    .unwrap();
    keys(&mut f.app, "K<bs>1<enter>");
    assert_eq!(f.app.marks.len(), 2);
    let effects = keys(&mut f.app, "D");
    assert!(
        matches!(effects.as_slice(), [Effect::KeptNeeds { selected, .. }] if selected.len() == 2),
        "{effects:?}"
    );
    settle(&mut f.app, &mut f.spawner, &f.messages, effects);
    let Mode::Confirm(op) = &f.app.mode else {
        panic!("{:?} {:?}", f.app.mode, f.app.status)
    };
    let keys_left: Vec<String> = op.keys.iter().map(|k| k.to_string()).collect();
    assert_eq!(keys_left, ["example.com/hello@v1.1.0"]);
    let why = op.left_out.clone().unwrap_or_default();
    assert!(
        why.contains("golang.org/x/demo@") && why.contains("needs example.com/hello@v1.0.0"),
        "{why}"
    );
    // Marked by hand, a version is taken as chosen: no graph check.
    keys(&mut f.app, "<esc>c");
    select(&mut f.app, "example.com/hello", "v1.0.0");
    let effects = keys(&mut f.app, " D");
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(f.app.mode, Mode::Confirm(_)));
}
