//! Drawing the TUI from the app's state: a pure function of `&App`, one file per pane.
//!
//! Layout: a three-line header, the list (with the detail pane beside it on wide terminals or
//! below it when asked for on narrow ones), and a two-line footer. Dialogs are drawn on top.

mod build;
mod detail;
mod dialog;
mod header;
mod list;
pub mod theme;
mod trash;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::App;
use theme::Theme;

/// Terminals at least this wide show the detail pane beside the list.
const WIDE: u16 = 120;
const HEADER: u16 = 3;
const FOOTER: u16 = 2;

/// Where each pane goes.
struct Areas {
    header: Rect,
    list: Rect,
    detail: Option<Rect>,
    footer: Rect,
}

fn areas(app: &App, area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(HEADER),
        Constraint::Min(1),
        Constraint::Length(FOOTER),
    ])
    .areas(area);
    let (list, detail) = if is_wide(area.width) && app.show_side_detail {
        // The list takes what its names need (at least 56 columns) and the details, wide
        // enough for a hash line (about 62 columns), take the rest: no empty columns in the
        // list while the details wrap.
        let most_for_list = usize::from(area.width - 62);
        let list_w = list::wanted_width(app).clamp(56, most_for_list.max(56));
        let detail_w = area.width - u16::try_from(list_w).unwrap_or(56);
        let [l, d] =
            Layout::horizontal([Constraint::Min(56), Constraint::Length(detail_w)]).areas(body);
        (l, Some(d))
    } else if app.show_detail && !is_wide(area.width) {
        let [l, d] = Layout::new(
            Direction::Vertical,
            [Constraint::Percentage(45), Constraint::Percentage(55)],
        )
        .areas(body);
        (l, Some(d))
    } else {
        (body, None)
    };
    Areas {
        header,
        list,
        detail,
        footer,
    }
}

/// Whether a terminal this wide shows the details beside the list rather than below it.
pub fn is_wide(width: u16) -> bool {
    width >= WIDE
}

impl App {
    /// How many list rows fit on screen (the list's own header line excluded): the layout the
    /// view draws, for paging.
    pub fn list_height(&self) -> usize {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        usize::from(areas(self, area).list.height.saturating_sub(1))
    }

    /// The index into the visible rows of the list line at screen position (`column`, `row`),
    /// if there is one.
    pub fn list_row_at(&self, column: u16, row: u16) -> Option<usize> {
        let list = areas(self, Rect::new(0, 0, self.size.0, self.size.1)).list;
        let inside = column >= list.x
            && column < list.x + list.width
            && row > list.y
            && row < list.y + list.height;
        let index = self.offset + usize::from(row.checked_sub(list.y + 1)?);
        (inside && index < self.visible.rows.len()).then_some(index)
    }
}

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame<'_>) {
    let theme = Theme::new(app.config.no_color);
    if app.build.on {
        build::render(app, theme, frame, frame.area());
        dialog::render(app, theme, frame);
        return;
    }
    if app.trash.on {
        trash::render(app, theme, frame, frame.area());
        dialog::render(app, theme, frame);
        return;
    }
    let a = areas(app, frame.area());
    header::render_header(app, theme, frame, a.header);
    list::render(app, theme, frame, a.list);
    if let Some(d) = a.detail {
        detail::render(app, theme, frame, d);
    }
    header::render_footer(app, theme, frame, a.footer);
    dialog::render(app, theme, frame);
}

/// `s` if it fits in `width` terminal columns, else cut and ended with "…": at a space when one
/// falls in the last third, so that prose is not cut in the middle of a word; a name (which
/// has no spaces) is cut wherever it must, keeping as much of it as fits. Columns are counted
/// as the terminal draws them (`unicode-width`: a CJK character takes two).
pub(super) fn fit(s: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if s.width() <= width {
        return s.to_owned();
    }
    let room = width.saturating_sub(1);
    let mut used = 0;
    let kept: String = s
        .chars()
        .take_while(|c| {
            used += c.width().unwrap_or(0);
            used <= room
        })
        .collect();
    let cut = kept
        .char_indices()
        .rev()
        .find(|(i, c)| *i >= room * 2 / 3 && *c == ' ')
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(kept.len());
    format!("{}…", &kept[..cut])
}

/// The bottom of a side view (build cache, trash): its keys, then how many rows are marked
/// and what they hold, and the status.
pub(super) fn side_footer(
    app: &App,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
    keys: &[(&'static str, &'static str)],
    marked: (usize, u64),
) {
    let keys: Vec<Span<'static>> = keys
        .iter()
        .enumerate()
        .flat_map(|(i, (key, what))| {
            let gap = if i + 1 < keys.len() { "  " } else { "" };
            [
                Span::styled(*key, theme.key()),
                Span::raw(format!(" {what}{gap}")),
            ]
        })
        .collect();
    let mut status = Vec::new();
    if marked.0 > 0 {
        status.push(Span::styled(
            format!(
                "{} marked ({})  ",
                marked.0,
                crate::cache::fmt::size(marked.1)
            ),
            theme.marked(),
        ));
    }
    if let Some(s) = &app.status {
        status.push(Span::raw(fit(
            s,
            usize::from(area.width).saturating_sub(30),
        )));
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(keys), Line::from(status)]),
        area,
    );
}

/// The explanation of a side view's selected row, under a rule titled `title`.
pub(super) fn side_explanation(frame: &mut Frame<'_>, area: Rect, title: &str, text: String) {
    use ratatui::widgets::{Block, Borders, Wrap};
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::TOP)
                .title(format!(" {title} ")),
        ),
        area,
    );
}

/// A text progress bar of `width` cells.
fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        width
    } else {
        ((done as u128 * width as u128) / total as u128) as usize
    };
    let filled = filled.min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn prose_is_cut_between_words_and_names_keep_all_that_fits() {
        assert_eq!(fit("ok", 5), "ok");
        assert_eq!(fit("the quick brown fox", 12), "the quick …");
        assert_eq!(fit("example.com/hello", 10), "example.c…");
    }

    #[test]
    fn fit_counts_the_columns_a_terminal_draws() {
        assert_eq!(fit("example.com/模块", 20), "example.com/模块");
        // Four wide characters take eight columns: five hold two of them and the "…".
        assert_eq!(fit("模块路径", 5), "模块…");
        assert_eq!(fit("abcdef", 4), "abc…");
    }
}
