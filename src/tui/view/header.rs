//! The header (cache, totals, Go settings, progress) and the footer (keys, status, filter).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::bar;
use super::theme::Theme;
use crate::cache::fmt::{count, size};
use crate::cache::sort::SortKey;
use crate::tui::app::{App, Mode, ScanState, VerifyState};

pub fn render_header(app: &App, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let problems = app.problem_count();
    let unverified = app.unverified_count();
    let problem_style = if problems > 0 {
        theme.problem()
    } else if unverified > 0 {
        theme.warn()
    } else {
        theme.dim()
    };
    // Unverified is not healthy: never "0 problems" while versions lack a verdict.
    let problem_text = match (problems, unverified) {
        (0, 0) => count(0u64, "problem"),
        (0, n) => format!("{n} not verified"),
        (p, 0) => count(p as u64, "problem"),
        (p, n) => format!("{} ({n} not verified)", count(p as u64, "problem")),
    };
    // Growth since a week ago, once the scan has counted everything.
    let growth = match (app.config.week_ago, &app.scan) {
        (Some(before), ScanState::Done) => {
            let change = app.total_bytes_on_disk() as i64 - before as i64;
            let sign = if change < 0 { "-" } else { "+" };
            format!(" ({sign}{} in a week)", size(change.unsigned_abs()))
        }
        _ => String::new(),
    };
    let width = usize::from(area.width);
    // Whole segments only: a narrow terminal drops the last ones rather than cutting a word.
    let line1 = whole_segments(
        vec![
            vec![
                Span::styled("modlens ", theme.heading()),
                Span::styled(size(app.total_bytes()), theme.heading()),
                Span::styled(growth, theme.dim()),
                // Part of the total, so it goes with it.
                Span::styled(
                    match app.counted.trash.disk {
                        0 => String::new(),
                        n => format!(", {} in trash", size(n)),
                    },
                    theme.dim(),
                ),
            ],
            vec![Span::styled(problem_text, problem_style)],
            vec![Span::raw(count(app.rows.len() as u64, "version"))],
            vec![Span::raw(count(app.module_count() as u64, "module"))],
            vec![Span::raw(count(
                app.counted.leftovers.len() as u64,
                "leftover",
            ))],
            vec![Span::raw(format!("{} vcs", app.counted.vcs.0))],
        ],
        " · ",
        width,
    );
    let env = &app.config.env;
    let mut place = vec![Span::raw(crate::cache::fmt::escaped_path(&app.config.root))];
    if app.config.noatime {
        place.push(Span::styled(
            "  (noatime mount: USED is only the creation time)",
            theme.warn(),
        ));
    }
    let line2 = whole_segments(
        vec![
            place,
            vec![Span::styled(
                format!("GOPROXY={}", env.goproxy),
                theme.dim(),
            )],
            vec![Span::styled(
                format!("GOSUMDB={}", env.gosumdb),
                theme.dim(),
            )],
            vec![Span::styled(
                format!("GOFLAGS={}", env.goflags),
                theme.dim(),
            )],
        ],
        "  ",
        width,
    );
    let mut progress = vec![];
    match app.scan {
        ScanState::Running(_, _, 0) => progress.push(Span::styled("scanning…", theme.warn())),
        ScanState::Running(found, done, total) => progress.push(Span::styled(
            format!(
                "scan {} {done}/{total} modules, {found} versions",
                bar(done as u64, total as u64, 12)
            ),
            theme.warn(),
        )),
        ScanState::Done => progress.push(Span::raw("scan ✓")),
    }
    progress.push(Span::raw("  │  "));
    match app.verify {
        VerifyState::Off => progress.push(Span::styled("verify off", theme.dim())),
        VerifyState::Waiting => {
            progress.push(Span::styled("verify waits for the scan", theme.dim()))
        }
        // The bar follows bytes (a large version takes long); the numbers count versions,
        // and no percent of bytes stands beside them.
        VerifyState::Running(p) => progress.push(Span::raw(format!(
            "verify {} {}/{} versions",
            bar(p.bytes_done, p.bytes_total, 12),
            p.entries_done,
            p.entries_total
        ))),
        VerifyState::Done => progress.push(Span::raw("verify ✓")),
    }
    for (id, job) in app.jobs.iter().filter(|(_, j)| !j.finished) {
        progress.push(Span::raw("  │  "));
        progress.push(Span::styled(
            format!(
                "job {id} {} {} {}/{}",
                job.kind.name(),
                bar(job.done as u64, job.total as u64, 8),
                job.done,
                job.total
            ),
            theme.warn(),
        ));
    }
    frame.render_widget(
        Paragraph::new(vec![line1, line2, Line::from(progress)]),
        area,
    );
}

/// The segments joined by `sep`, as many whole ones as fit in `width` columns, in order. The
/// first is always there (the frame clips it when it alone is too wide).
fn whole_segments(
    segments: Vec<Vec<Span<'static>>>,
    sep: &'static str,
    width: usize,
) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (i, segment) in segments.into_iter().enumerate() {
        let own: usize = segment.iter().map(Span::width).sum();
        let needed = if i == 0 {
            own
        } else {
            Span::raw(sep).width() + own
        };
        if i > 0 && used + needed > width {
            break;
        }
        if i > 0 {
            spans.push(Span::raw(sep));
        }
        spans.extend(segment);
        used += needed;
    }
    Line::from(spans)
}

fn sort_name(key: SortKey) -> &'static str {
    match key {
        SortKey::Size => "size",
        SortKey::Age => "age",
        SortKey::LastUsed => "last used",
        SortKey::Name => "name",
        SortKey::Version => "version",
    }
}

pub fn render_footer(app: &App, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let keys: &[(&str, &str)] = &[
        ("?", "help"),
        ("/", "filter"),
        ("1-5", "sort"),
        ("r", "rev"),
        ("p", "problems"),
        ("␣", "mark"),
        ("D", "delete"),
        ("R", "repair"),
        ("q", "quit"),
    ];
    // The state comes first, so that it shows at any width; the key hints follow as far as
    // they fit, whole, with "…" where the rest is cut (all of them are in `?`).
    let order = if app.reverse { "↑" } else { "↓" };
    let mut spans = vec![Span::styled(
        format!("sort: {} {order}", sort_name(app.sort)),
        theme.dim(),
    )];
    if app.apparent {
        spans.push(Span::styled("  apparent sizes", theme.warn()));
    }
    let mut used: usize = spans.iter().map(Span::width).sum();
    if app.problems_only {
        spans.push(Span::styled("  problems only", theme.problem()));
        used += spans[spans.len() - 1].width();
    }
    if app.project.on {
        let what = if app.project.loading {
            "  project view (asking go…)"
        } else {
            "  project view"
        };
        spans.push(Span::styled(what, theme.warn()));
        used += spans[spans.len() - 1].width();
    }
    spans.push(Span::raw("  "));
    used += 2;
    let room = usize::from(area.width);
    for (i, (k, what)) in keys.iter().enumerate() {
        let hint = [
            Span::styled(*k, theme.key()),
            Span::raw(format!(" {what} ")),
        ];
        let width: usize = hint.iter().map(Span::width).sum();
        let more = i + 1 < keys.len();
        if used + width + usize::from(more) > room {
            spans.push(Span::styled("…", theme.dim()));
            break;
        }
        used += width;
        spans.extend(hint);
    }
    let second = if app.mode == Mode::Filter {
        let line = crate::tui::line::LineEdit {
            text: app.filter_text.clone(),
            cursor: app.filter_cursor,
        };
        let (before, after) = line.split();
        let mut spans = vec![
            Span::styled("/", theme.key()),
            Span::raw(before.to_owned()),
            Span::raw("▏"),
            Span::raw(after.to_owned()),
        ];
        // An unfinished or invalid pattern says why; the previous filter stays in force.
        match &app.status {
            Some(status) => spans.push(Span::styled(format!("   {status}"), theme.warn())),
            None => spans.push(Span::styled(
                format!(
                    "   {}",
                    crate::tui::keymap::hint(crate::tui::keymap::FILTER_KEYS, &[])
                ),
                theme.dim(),
            )),
        }
        Line::from(spans)
    } else {
        let marked: u64 = app
            .marks
            .iter()
            .filter_map(|k| app.rows.get(k))
            .map(|r| r.entry.usage().disk)
            .sum();
        let mut s = Vec::new();
        if !app.marks.is_empty() {
            s.push(Span::styled(
                format!("{} marked ({})  ", app.marks.len(), size(marked)),
                theme.marked(),
            ));
        }
        if !app.filter_text.is_empty() {
            s.push(Span::styled(
                format!("filter: {}  ", app.filter_text),
                theme.key(),
            ));
        }
        if let Some(status) = &app.status {
            let used: usize = s.iter().map(Span::width).sum();
            let room = usize::from(area.width).saturating_sub(used);
            s.push(Span::raw(super::fit(status, room)));
        }
        Line::from(s)
    };
    frame.render_widget(Paragraph::new(vec![Line::from(spans), second]), area);
}
