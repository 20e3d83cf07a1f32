//! The main list: module rows with their totals, version rows with size bar, ages and the
//! integrity mark.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::cache::fmt::{age, size};
use crate::tui::app::{App, Integrity};
use crate::tui::rows::RowRef;

const SIZE_W: usize = 10;
const BAR_W: usize = 8;
const AGE_W: usize = 5;
const FILES_W: usize = 7;
/// Terminals at least this wide also show the files column.
const FILES_FROM: usize = 96;

/// `s` padded to `width` columns, or cut to fit with "…" (see [`super::fit`]).
fn truncate(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let fitted = super::fit(s, width);
    let pad = width.saturating_sub(fitted.width());
    format!("{fitted}{}", " ".repeat(pad))
}

fn size_bar(bytes: u64, max: u64) -> String {
    let eighths = if max == 0 {
        0
    } else {
        ((bytes as u128 * (BAR_W as u128 * 8)) / max as u128) as usize
    };
    // Anything at all shows at least a sliver, so the column never reads as empty.
    let eighths = if bytes > 0 { eighths.max(1) } else { 0 };
    let full = eighths / 8;
    let part = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8];
    let s = format!("{}{part}", "█".repeat(full));
    format!("{s:BAR_W$}")
}

/// How the size, bar and age columns are laid out in one frame; narrow terminals get size and
/// age only.
struct Columns {
    narrow: bool,
    show_files: bool,
    /// The largest size shown, the bar's full length.
    max: u64,
    now: std::time::SystemTime,
    theme: Theme,
}

/// When a row's versions were downloaded and last used.
type Times = (Option<std::time::SystemTime>, Option<std::time::SystemTime>);

impl Columns {
    /// One row's columns: its file count (shown on wide terminals), size and times.
    fn row(&self, files: u64, bytes: u64, times: Times, style: Style) -> Vec<Span<'static>> {
        let (downloaded, last_used) = times;
        let mut spans = Vec::new();
        if self.show_files {
            spans.push(Span::styled(format!("{files:>FILES_W$} "), style));
        }
        spans.push(Span::styled(format!("{:>SIZE_W$} ", size(bytes)), style));
        if self.narrow {
            spans.push(Span::styled(
                format!("{:>AGE_W$}", age(downloaded, self.now)),
                style,
            ));
        } else {
            spans.push(Span::styled(size_bar(bytes, self.max), self.theme.dim()));
            spans.push(Span::styled(
                format!(
                    " {:>AGE_W$} {:>AGE_W$}",
                    age(downloaded, self.now),
                    age(last_used, self.now)
                ),
                style,
            ));
        }
        spans
    }
}

/// The columns the list needs to show every visible name whole, with the size bar and both
/// ages (and the files column when it would be `FILES_FROM` wide or more).
pub fn wanted_width(app: &App) -> usize {
    use unicode_width::UnicodeWidthStr;
    let name = |row: &RowRef| match row {
        RowRef::Module(path) => {
            let versions = app.visible.modules.get(path).map_or(0, |t| t.versions);
            path.width() + 5 + versions.to_string().len()
        }
        RowRef::Version(key) => 4 + key.version.width(),
        RowRef::Missing(key) => 2 + key.to_string().width() + 18,
    };
    let longest = app.visible.rows.iter().map(name).max().unwrap_or(16);
    let fixed = 2 + 1 + SIZE_W + 1 + BAR_W + 1 + AGE_W + 1 + AGE_W + 4;
    let without_files = longest + fixed;
    if without_files + FILES_W + 1 >= FILES_FROM {
        without_files + FILES_W + 1
    } else {
        without_files
    }
}

pub fn render(app: &App, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let width = usize::from(area.width);
    // Narrow terminals drop the size bar and the last-used column to keep names readable.
    let narrow = width < 64;
    let fixed = if narrow {
        2 + 1 + SIZE_W + 1 + AGE_W + 4
    } else {
        2 + 1 + SIZE_W + 1 + BAR_W + 1 + AGE_W + 1 + AGE_W + 4
    };
    let show_files = width >= FILES_FROM;
    let fixed = fixed + if show_files { FILES_W + 1 } else { 0 };
    let name_w = width.saturating_sub(fixed).max(8);
    let tick = app
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64 / 250);
    let mut lines = Vec::with_capacity(usize::from(area.height));
    let heading = if narrow {
        format!(
            "  {}{:>SIZE_W$} {:>AGE_W$}  ✓",
            truncate("MODULE / VERSION", name_w + 1),
            "SIZE",
            "AGE"
        )
    } else {
        format!(
            "  {}{}{:>SIZE_W$} {:BAR_W$} {:>AGE_W$} {:>AGE_W$}  ✓",
            truncate("MODULE / VERSION", name_w + 1),
            if show_files {
                format!("{:>FILES_W$} ", "FILES")
            } else {
                String::new()
            },
            "SIZE",
            "",
            "AGE",
            "USED"
        )
    };
    lines.push(Line::styled(heading, theme.heading()));
    let columns = Columns {
        narrow,
        show_files,
        max: app.visible.max_bytes,
        now: app.now,
        theme,
    };
    let height = usize::from(area.height.saturating_sub(1));
    for (i, row) in app
        .visible
        .rows
        .iter()
        .enumerate()
        .skip(app.offset)
        .take(height)
    {
        let mut line = match row {
            RowRef::Module(path) => {
                let t = app.visible.modules.get(path).cloned().unwrap_or_default();
                let arrow = if app.collapsed.contains(path) {
                    "▸"
                } else {
                    "▾"
                };
                let label = format!("{arrow} {path} ({})", t.versions);
                let marked = app.visible.versions_of(path).any(|k| app.marks.contains(k));
                let mark = if t.problems > 0 {
                    format!("{:>2}✗", t.problems)
                } else {
                    "   ".into()
                };
                let style = if t.problems > 0 {
                    theme.problem().patch(theme.heading())
                } else {
                    theme.heading()
                };
                let mut spans = vec![
                    Span::styled(if marked { "◆ " } else { "  " }, theme.marked()),
                    Span::styled(truncate(&label, name_w + 1), style),
                ];
                spans.extend(columns.row(
                    t.files,
                    t.bytes,
                    (t.downloaded, t.last_used),
                    Style::new(),
                ));
                spans.push(Span::styled(mark, theme.problem()));
                Line::from(spans)
            }
            RowRef::Missing(key) => {
                let busy = app.busy.contains(key);
                let label = format!("  {key}");
                Line::from(vec![
                    Span::raw("  "),
                    Span::styled(truncate(&label, name_w + 1), theme.problem()),
                    Span::styled(
                        if busy {
                            "  ⟳ downloading"
                        } else {
                            "  not in the cache"
                        },
                        if busy { theme.warn() } else { theme.problem() },
                    ),
                ])
            }
            RowRef::Version(key) => {
                let Some(r) = app.rows.get(key) else { continue };
                let e = &r.entry;
                let marked = app.marks.contains(key);
                let (sym, sym_style) = if app.busy.contains(key) {
                    ("⟳", theme.warn())
                } else if r.remembered {
                    // From the last session: shown, not yet confirmed.
                    (theme.integrity(r.integrity, tick).0, theme.dim())
                } else {
                    theme.integrity(r.integrity, tick)
                };
                let row_style = match r.integrity {
                    Integrity::Problem => theme.problem(),
                    Integrity::Partial => theme.warn(),
                    _ if r.job_error.is_some() => theme.problem(),
                    _ => Style::new(),
                };
                let row_style = if marked {
                    row_style.patch(theme.marked())
                } else {
                    row_style
                };
                let mut spans = vec![
                    Span::styled(if marked { "● " } else { "  " }, theme.marked()),
                    Span::styled(
                        truncate(&format!("    {}", key.version), name_w + 1),
                        row_style,
                    ),
                ];
                spans.extend(columns.row(
                    e.usage().files,
                    app.bytes(e.usage()),
                    (e.downloaded, e.last_used),
                    row_style,
                ));
                spans.push(Span::styled(format!("  {sym}"), sym_style));
                // ◆: the checksum database's proven record confirms the zip; ◇: it was asked
                // and could not vouch for the version.
                let (db, db_style) = match &r.verdict {
                    Some(v) if v.hashes.sumdb_proven.is_some() => ("◆", theme.ok()),
                    _ if app.sumdb.unanswered.contains_key(key) => ("◇", theme.warn()),
                    _ => (" ", Style::new()),
                };
                spans.push(Span::styled(db, db_style));
                Line::from(spans)
            }
        };
        if i == app.cursor {
            line = line.patch_style(theme.selected());
        }
        lines.push(line);
    }
    if app.visible.rows.is_empty() {
        let msg = match (&app.filter, app.problems_only, app.rows.is_empty()) {
            (_, _, true) => "no module versions yet; `modlens --demo` shows an example cache",
            (Some(_), _, _) => "nothing matches the filter (Esc in / clears it)",
            (None, true, _) => "no problems found (p shows everything)",
            _ => "",
        };
        lines.push(Line::styled(format!("  {msg}"), theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
