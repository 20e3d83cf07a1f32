//! Overlays: help, the confirmation dialog, the marking-rule prompt and the quit question.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::cache::fmt::{count, size};
use crate::tui::app::{App, Mode, OpKind};
use crate::tui::keymap::{
    CONFIRM_KEYS, ConfirmAction, DIFF_KEYS, DiffAction, FILES_KEYS, FilesAction, JOBS_KEYS,
    PROMPT_KEYS, QUIT_KEYS, help_rows, hint,
};
use crate::tui::view_keys::{BUILD_VIEW, TRASH_VIEW};
use crate::verify::diff::Shown;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

fn draw(frame: &mut Frame<'_>, title: &str, lines: Vec<Line<'static>>, width: u16) {
    // Lines wrap in narrow terminals; the box grows with them so the last line (the keys to
    // answer with) stays visible.
    let inner = usize::from(width.min(frame.area().width).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    let area = centered(frame.area(), width, height);
    frame.render_widget(Clear, area);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(format!(" {title} "));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

pub fn render(app: &App, theme: Theme, frame: &mut Frame<'_>) {
    match &app.mode {
        Mode::Help => {
            use unicode_width::UnicodeWidthStr;
            let rows: Vec<(&str, &str)> = if app.build.on {
                BUILD_VIEW.help_rows()
            } else if app.trash.on {
                TRASH_VIEW.help_rows()
            } else {
                help_rows().collect()
            };
            let widths = HelpWidths {
                keys: rows.iter().map(|r| r.0.width()).max().unwrap_or(0),
                help: rows.iter().map(|r| r.1.width()).max().unwrap_or(0),
            };
            // Two columns whenever they fit (80 columns do), so that the help fits in 24 rows.
            let cell_width = widths.keys + 1 + widths.help + 2;
            let columns = if usize::from(frame.area().width) >= 2 * cell_width + 2 {
                2
            } else {
                1
            };
            let per_column = rows.len().div_ceil(columns);
            let mut lines: Vec<Line<'static>> = (0..per_column)
                .map(|i| {
                    let spans = (0..columns)
                        .filter_map(|c| rows.get(i + c * per_column))
                        .flat_map(|r| cell(*r, widths, theme))
                        .collect::<Vec<_>>();
                    Line::from(spans)
                })
                .collect();
            let note = if app.build.on || app.trash.on {
                "any key closes this help"
            } else {
                "a K O U B mark only what the filter shows; any key closes this help"
            };
            lines.push(Line::styled(note, theme.dim()));
            let width = u16::try_from(columns * cell_width + 2).unwrap_or(u16::MAX);
            draw(frame, "keys", lines, width);
        }
        Mode::Confirm(op) => {
            let (verb, how) = match op.kind {
                OpKind::Delete => (
                    "Delete",
                    "tree, zip, .ziphash, .info and .mod go, in go's crash-safe order",
                ),
                OpKind::Repair => (
                    "Repair",
                    "offline where it can (each version says how), else re-fetch through go",
                ),
                OpKind::DeleteBuild => (
                    "Delete",
                    "action entries before their outputs; go rebuilds what it needs",
                ),
                OpKind::Trash => (
                    "Move to the trash",
                    "one rename per piece; `modlens trash restore` puts them back",
                ),
                OpKind::DeleteLeftovers => (
                    "Delete",
                    "go's temporaries left by interrupted work, under go's locks",
                ),
                OpKind::FixProject => (
                    "Fix",
                    "offline repairs first; downloads land in a scratch cache first",
                ),
                OpKind::RestoreTrash => (
                    "Restore",
                    "each goes back under go's lock and is verified; a piece go downloaded \
                     again is kept, and the trashed copy too unless go's verifies",
                ),
                OpKind::EmptyTrash => (
                    "Empty",
                    "removed for good, under each version's lock; they cannot be restored",
                ),
            };
            let question = match op.kind {
                OpKind::Delete => format!(
                    "{verb} {}? This frees {}.",
                    count(op.keys.len() as u64, "module version"),
                    size(op.bytes)
                ),
                OpKind::Trash | OpKind::Repair => format!(
                    "{verb} {} ({} on disk)?",
                    count(op.keys.len() as u64, "module version"),
                    size(op.bytes)
                ),
                OpKind::DeleteBuild => format!(
                    "{verb} the build-cache entries of {}? This frees {}.",
                    count(op.paths.len() as u64, "row"),
                    size(op.bytes)
                ),
                OpKind::DeleteLeftovers => format!(
                    "{verb} {}? This frees {}.",
                    count(op.paths.len() as u64, "leftover"),
                    size(op.bytes)
                ),
                OpKind::RestoreTrash => format!(
                    "{verb} {} from the trash ({})?",
                    count(op.paths.len() as u64, "entry"),
                    size(op.bytes)
                ),
                OpKind::EmptyTrash => format!(
                    "{verb} {} from the trash for good? This frees {}.",
                    count(op.paths.len() as u64, "entry"),
                    size(op.bytes)
                ),
                OpKind::FixProject => format!(
                    "{verb} the project's needs: repair {}, download {}?",
                    op.keys.len(),
                    op.downloads.len(),
                ),
            };
            let mut lines = vec![Line::styled(question, theme.heading()), Line::raw(how)];
            if let Some(why) = &op.left_out {
                lines.push(Line::styled(why.clone(), theme.warn()));
            }
            lines.push(Line::raw(""));
            let items: Vec<String> = if !op.lines.is_empty() {
                op.lines.clone()
            } else {
                op.keys
                    .iter()
                    .map(ToString::to_string)
                    .chain(op.downloads.iter().map(|k| format!("{k} (download)")))
                    .chain(op.paths.iter().map(|p| {
                        // A trash entry is named by the version it holds.
                        app.trash_entries()
                            .iter()
                            .find(|e| e.rel_dir() == *p)
                            .and_then(|e| e.key.as_ref())
                            .map_or_else(|| crate::cache::fmt::escaped_path(p), ToString::to_string)
                    }))
                    .collect()
            };
            for item in items.iter().take(6) {
                lines.push(Line::raw(format!("  {item}")));
            }
            if items.len() > 6 {
                lines.push(Line::styled(
                    format!("  … and {} more", items.len() - 6),
                    theme.dim(),
                ));
            }
            lines.push(Line::raw(""));
            // The answers, from the key table; `t` only where it applies.
            let answers: Vec<Span<'static>> = CONFIRM_KEYS
                .iter()
                .filter(|b| b.action != ConfirmAction::ToTrash || op.kind == OpKind::Delete)
                .flat_map(|b| {
                    [
                        Span::styled(b.label, theme.key()),
                        Span::raw(format!(": {}    ", b.help)),
                    ]
                })
                .collect();
            lines.push(Line::from(answers));
            // As wide as its longest line where the terminal allows (a plan's lines name
            // versions and what happens to them), never narrower than 72.
            let longest = lines.iter().map(Line::width).max().unwrap_or(0);
            let width = u16::try_from(longest + 2)
                .unwrap_or(u16::MAX)
                .clamp(72, frame.area().width.saturating_sub(4).max(72));
            draw(frame, "confirm", lines, width);
        }
        Mode::Prompt(rule, input) => {
            let (question, suggested) = rule.question().unwrap_or(("N:", "0"));
            // Until a number is typed, the suggested one shows dimmed: Enter takes it.
            let answer = if input.is_empty() {
                Span::styled(format!("▏{suggested}"), theme.dim())
            } else {
                Span::styled(format!("{input}▏"), theme.key())
            };
            let lines = vec![
                Line::from(vec![Span::raw(format!("{question} ")), answer]),
                Line::styled(hint(PROMPT_KEYS, &[]), theme.dim()),
            ];
            draw(frame, "mark by rule", lines, 64);
        }
        Mode::ConfirmQuit => {
            let running = app.jobs.values().filter(|j| !j.finished).count();
            let question = match running {
                0 => "Every job has finished. Quit?".to_owned(),
                n => format!("{} still running. Quit anyway?", count(n as u64, "job")),
            };
            let lines = vec![
                Line::raw(question),
                Line::raw("Each version is left consistent; unfinished items are not started."),
                Line::from(
                    QUIT_KEYS
                        .iter()
                        .flat_map(|b| {
                            [
                                Span::styled(b.label, theme.key()),
                                Span::raw(format!(" {}    ", b.help)),
                            ]
                        })
                        .collect::<Vec<_>>(),
                ),
            ];
            draw(frame, "quit?", lines, 70);
        }
        Mode::Jobs(selected) => {
            let mut lines: Vec<Line<'static>> = app
                .jobs
                .iter()
                .rev()
                .enumerate()
                .map(|(i, (id, job))| {
                    let state = if job.finished && job.cancelling {
                        "stopped"
                    } else if job.finished {
                        "finished"
                    } else if job.cancelling {
                        "cancelling"
                    } else {
                        "running"
                    };
                    let text = format!(
                        "{} #{id} {:<7} {}/{} done, {} failed  {state}{}",
                        if i == *selected { "▶" } else { " " },
                        job.kind.name(),
                        job.done,
                        job.total,
                        job.failed,
                        job.last
                            .as_deref()
                            .map(|l| format!(", last: {l}"))
                            .unwrap_or_default()
                    );
                    if i == *selected {
                        Line::styled(text, theme.key())
                    } else {
                        Line::raw(text)
                    }
                })
                .collect();
            lines.push(Line::styled(hint(JOBS_KEYS, &[]), theme.dim()));
            // As wide as its longest line where the terminal allows: no line wraps needlessly.
            let longest = lines.iter().map(Line::width).max().unwrap_or(0);
            let width = u16::try_from(longest + 2).unwrap_or(u16::MAX).max(76);
            draw(frame, "jobs", lines, width);
        }
        Mode::Files(key, dir, selected) => {
            let area = frame.area();
            let rows = usize::from(area.height.saturating_sub(6)).max(1);
            let mut lines: Vec<Line<'static>> = Vec::new();
            match app.tree_items.as_ref().filter(|(k, _)| k == key) {
                None => lines.push(Line::styled("reading the tree…", theme.dim())),
                Some(_) => {
                    let items = app.files_in(dir);
                    // Which files verification found changed, by relative name; a directory
                    // holding one says so.
                    let changed: Vec<(&str, &'static str)> = app
                        .rows
                        .get(key)
                        .and_then(|r| r.verdict.as_ref())
                        .map(|v| {
                            v.problems
                                .iter()
                                .flat_map(|p| p.files.iter())
                                .map(|f| (f.name.as_str(), f.change.name()))
                                .collect()
                        })
                        .unwrap_or_default();
                    let mark_of = |rel: &str, is_dir: bool| -> &'static str {
                        if is_dir {
                            let inside = format!("{rel}/");
                            if changed.iter().any(|(name, _)| name.starts_with(&inside)) {
                                return "changed inside";
                            }
                            return "";
                        }
                        changed
                            .iter()
                            .find(|(name, _)| *name == rel)
                            .map_or("", |(_, change)| change)
                    };
                    let first = selected.saturating_sub(rows.saturating_sub(1));
                    for (i, item) in items.iter().enumerate().skip(first).take(rows) {
                        let mark = mark_of(&item.rel, item.is_dir);
                        let name = item.rel.rsplit('/').next().unwrap_or(&item.rel);
                        let text = format!(
                            "{} {:>10}  {}{}  {mark}",
                            if i == *selected { "▶" } else { " " },
                            crate::cache::fmt::size(app.bytes(item.usage)),
                            crate::cache::fmt::for_terminal(name),
                            if item.is_dir { "/" } else { "" },
                        );
                        lines.push(if !mark.is_empty() {
                            Line::styled(text, theme.problem())
                        } else if i == *selected {
                            Line::styled(text, theme.key())
                        } else {
                            Line::raw(text)
                        });
                    }
                    if items.is_empty() {
                        lines.push(Line::raw("(empty)"));
                    }
                }
            }
            lines.push(Line::styled(
                format!(
                    "largest first, read-only. {}",
                    hint(FILES_KEYS, &[FilesAction::PageDown, FilesAction::PageUp])
                ),
                theme.dim(),
            ));
            let title = if dir.is_empty() {
                key.to_string()
            } else {
                format!("{key}/{dir}")
            };
            let title = crate::cache::fmt::for_terminal(&title).into_owned();
            draw(frame, &title, lines, area.width.saturating_sub(4));
        }
        Mode::Diff(at) => {
            let area = frame.area();
            let rows = usize::from(area.height.saturating_sub(6)).max(1);
            let all = app.diff_lines(at);
            let mut lines: Vec<Line<'static>> = all
                .into_iter()
                .skip(at.scroll)
                .take(rows)
                .map(|(text, kind)| {
                    let text = crate::cache::fmt::for_terminal(&text).into_owned();
                    match kind {
                        Shown::Hunk | Shown::Said => Line::styled(text, theme.key()),
                        Shown::Added => Line::styled(text, theme.ok()),
                        Shown::Removed => Line::styled(text, theme.problem()),
                        Shown::Plain | Shown::Elided => Line::raw(text),
                    }
                })
                .collect();
            let (old, new) = app
                .diff_compared(at)
                .unwrap_or(crate::ops::diff::Compared::TreeWithZip)
                .sides();
            lines.push(Line::styled(
                format!(
                    "the {new} against the {old}. {}",
                    hint(DIFF_KEYS, &[DiffAction::PageDown, DiffAction::PageUp])
                ),
                theme.dim(),
            ));
            let title =
                crate::cache::fmt::for_terminal(&format!("{}/{}", at.key, at.file)).into_owned();
            draw(frame, &title, lines, area.width.saturating_sub(4));
        }
        Mode::Normal | Mode::Filter => {}
    }
}

/// The widest key label and the widest help text of the keymap.
#[derive(Clone, Copy)]
struct HelpWidths {
    keys: usize,
    help: usize,
}

fn cell(
    (keys, help): (&'static str, &'static str),
    widths: HelpWidths,
    theme: Theme,
) -> Vec<Span<'static>> {
    let HelpWidths { keys: kw, help: hw } = widths;
    vec![
        Span::styled(format!("{keys:>kw$} "), theme.key()),
        Span::raw(format!("{help:<hw$}  ")),
    ]
}
