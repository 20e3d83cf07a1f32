//! The trash view (`T`): its size on top, one row per entry (newest first: when it was
//! trashed, its size, the version it holds), the selected entry's pieces below, and the keys
//! and status at the bottom.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::fit;
use super::theme::Theme;
use crate::cache::fmt::{ago, count, for_terminal, size};
use crate::cache::trash::TrashEntry;
use crate::tui::app::App;

/// What an entry holds, for people: its version, or its id and why it names none.
fn entry_name(e: &TrashEntry) -> String {
    match (&e.key, &e.manifest) {
        (Some(key), _) => for_terminal(&key.to_string()).into_owned(),
        (None, Err(why)) => format!("{} (unreadable: {})", e.id, for_terminal(why)),
        (None, Ok(_)) => format!("{} (names no valid version)", e.id),
    }
}

pub fn render(app: &App, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let [header, body, detail, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(3),
        Constraint::Length(6),
        Constraint::Length(2),
    ])
    .areas(area);
    let width = usize::from(area.width);
    let entries = app.trash_entries();
    let total: u64 = entries.iter().map(|e| e.usage.disk).sum();
    let line1 = match &app.trash.entries {
        None => Line::styled("trash: reading…", theme.warn()),
        Some(Err(why)) => Line::styled(fit(why, width), theme.problem()),
        Some(Ok(_)) => Line::styled(
            format!(
                "trash {} · {}",
                size(total),
                count(entries.len() as u64, "entry")
            ),
            theme.heading(),
        ),
    };
    let keep = match app.config.trash_keep {
        Some(d) => format!(
            "entries older than {} days go when versions are next trashed",
            d.as_secs() / 86_400
        ),
        None => "entries stay until emptied".to_owned(),
    };
    let line2 = Line::styled(
        fit(
            &format!("inside the cache, under cache/modlens-trash; {keep}"),
            width,
        ),
        theme.dim(),
    );
    frame.render_widget(Paragraph::new(vec![line1, line2]), header);

    let mut lines = vec![Line::styled(
        format!("  {:>10}  {:>8}  VERSION", "SIZE", "TRASHED"),
        theme.dim(),
    )];
    if entries.is_empty() && !app.trash.loading {
        lines.push(Line::styled("  the trash is empty", theme.dim()));
    }
    let room = usize::from(body.height.saturating_sub(1));
    let first = app.trash.cursor.saturating_sub(room.saturating_sub(1));
    for (i, e) in entries.iter().enumerate().skip(first).take(room) {
        let marked = app.trash.marks.contains(&e.id);
        let busy = app.busy_paths.contains(&e.rel_dir());
        let text = format!(
            "{}{} {:>10}  {:>8}  {}",
            if marked { "●" } else { " " },
            if busy { "⟳" } else { " " },
            size(e.usage.disk),
            ago(e.trashed_at(), app.now),
            entry_name(e)
        );
        let style = if i == app.trash.cursor {
            theme.selected()
        } else if marked {
            theme.marked()
        } else if e.key.is_none() {
            theme.warn()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::styled(fit(&text, width), style));
    }
    frame.render_widget(Paragraph::new(lines), body);

    let explanation = match entries.get(app.trash.cursor) {
        Some(e) => format!(
            "{}: {} in {} ({}). R puts it back under go's lock and verifies it; D removes it \
             for good.",
            entry_name(e),
            count(e.usage.files, "file"),
            crate::cache::fmt::escaped_path(&e.rel_dir()),
            size(e.usage.disk)
        ),
        None => String::new(),
    };
    super::side_explanation(frame, detail, "entry", explanation);
    let marked = entries
        .iter()
        .filter(|e| app.trash.marks.contains(&e.id))
        .fold((0, 0), |(n, bytes), e| (n + 1, bytes + e.usage.disk));
    super::side_footer(
        app,
        theme,
        frame,
        footer,
        &[
            ("T Esc", "module cache"),
            ("␣", "mark"),
            ("R", "restore"),
            ("D", "empty for good"),
            ("q", "quit"),
        ],
        marked,
    );
}
