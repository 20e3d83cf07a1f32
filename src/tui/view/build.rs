//! The build-cache view (`b`): totals and go's last trim on top, then one row per problem,
//! the orphan outputs and each band of "last used" with a size bar, the selected row's
//! explanation below or beside, and the keys and status at the bottom.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::{bar, fit};
use crate::cache::fmt::{ago, count, size};
use crate::tui::app::App;

pub fn render(app: &App, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let [header, body, detail, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(3),
        Constraint::Length(6),
        Constraint::Length(2),
    ])
    .areas(area);
    let width = usize::from(area.width);
    let (line1, line2) = match &app.build.overview {
        None => (
            Line::styled("build cache: scanning and verifying…", theme.warn()),
            Line::raw(""),
        ),
        Some(Err(why)) => (
            Line::styled("build cache: none", theme.heading()),
            Line::styled(fit(why, width), theme.warn()),
        ),
        Some(Ok(o)) => {
            let problems = if o.problems > 0 {
                theme.problem()
            } else {
                theme.dim()
            };
            let trimmed = match o.trimmed {
                Some(t) => format!("go last trimmed {}", ago(Some(t), app.now)),
                None => "go never trimmed it".to_owned(),
            };
            (
                Line::from(vec![
                    Span::styled(
                        format!("build cache {}", size(o.total_bytes)),
                        theme.heading(),
                    ),
                    Span::raw(" · "),
                    Span::styled(count(o.problems as u64, "problem"), problems),
                    Span::raw(format!(
                        " · {} · {} action entries",
                        count(o.outputs as u64, "output"),
                        o.actions
                    )),
                ]),
                Line::styled(
                    fit(
                        &format!(
                            "{}  {trimmed}; go trims entries unused for 5 days",
                            o.root.display()
                        ),
                        width,
                    ),
                    theme.dim(),
                ),
            )
        }
    };
    let progress = if app.build.loading {
        Line::styled("verifying the build cache…", theme.warn())
    } else {
        Line::raw("verify ✓")
    };
    frame.render_widget(Paragraph::new(vec![line1, line2, progress]), header);

    let groups = app.build_groups();
    let largest = groups.iter().map(|g| g.bytes).max().unwrap_or(0);
    let label_w = width.saturating_sub(40).clamp(12, 40);
    let mut lines = vec![Line::styled(
        format!("    {:<label_w$} {:>10} {:12} FILES", "ROW", "SIZE", ""),
        theme.dim(),
    )];
    let room = usize::from(body.height.saturating_sub(1));
    let first = app.build.cursor.saturating_sub(room.saturating_sub(1));
    for (i, g) in groups.iter().enumerate().skip(first).take(room) {
        let marked = app.build.marks.contains(&g.label);
        let text = format!(
            "{} {} {:<label_w$} {:>10} {} {}",
            if marked { "●" } else { " " },
            if g.problem { "✗" } else { " " },
            fit(&g.label, label_w),
            size(g.bytes),
            bar(g.bytes, largest, 12),
            g.files
        );
        let style = match (i == app.build.cursor, g.problem) {
            (true, _) => theme.selected(),
            (false, true) => theme.problem(),
            (false, false) if marked => theme.marked(),
            _ => ratatui::style::Style::default(),
        };
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(Paragraph::new(lines), body);

    let explanation = match groups.get(app.build.cursor) {
        Some(g) if g.delete.is_empty() && g.files > 0 => g.detail.clone(),
        Some(g) => format!(
            "{}\nDeleting it removes {} ({}).",
            g.detail,
            count(g.files, "file"),
            size(g.bytes)
        ),
        None => String::new(),
    };
    super::side_explanation(frame, detail, "details", explanation);
    // Counted over the rows shown, as the delete dialog counts them.
    let marked = groups
        .iter()
        .filter(|g| app.build.marks.contains(&g.label) && !g.delete.is_empty())
        .fold((0, 0), |(n, bytes), g| (n + 1, bytes + g.bytes));
    super::side_footer(
        app,
        theme,
        frame,
        footer,
        &[
            ("b", "module cache"),
            ("␣", "mark"),
            ("B", "mark problems"),
            ("D", "delete"),
            ("v", "verify again"),
            ("q", "quit"),
        ],
        marked,
    );
}
