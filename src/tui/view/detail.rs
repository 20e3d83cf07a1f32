//! The detail pane: every piece on disk, times, origin, expected and computed hashes, problems
//! and changed files of the selected version; totals of a selected module.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::theme::Theme;
use crate::cache::fmt::{ago, count, rfc3339, size};
use crate::cache::{ModCache, VersionFile};
use crate::tui::app::{App, Row};
use crate::tui::rows::RowRef;

pub fn render(app: &App, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let block = Block::new().borders(Borders::ALL).title(" details ");
    let lines = match app.selected() {
        Some(RowRef::Version(key)) => app
            .rows
            .get(key)
            .map(|r| version_lines(app, theme, r))
            .unwrap_or_default(),
        Some(RowRef::Module(path)) => {
            let t = app.visible.modules.get(path).cloned().unwrap_or_default();
            vec![
                Line::styled(path.clone(), theme.heading()),
                Line::raw(format!(
                    "{}, {} on disk",
                    count(t.versions as u64, "version"),
                    size(t.bytes)
                )),
                Line::raw(format!(
                    "oldest download {}, last used {}",
                    ago(t.downloaded, app.now),
                    ago(t.last_used, app.now)
                )),
                Line::styled(
                    format!("{} with problems", t.problems),
                    if t.problems > 0 {
                        theme.problem()
                    } else {
                        theme.dim()
                    },
                ),
            ]
        }
        Some(RowRef::Missing(key)) => missing_lines(app, theme, key),
        None => vec![Line::styled("nothing selected", theme.dim())],
    };
    let inner = usize::from(area.width.saturating_sub(1)).max(8);
    let lines: Vec<Line<'static>> = lines
        .into_iter()
        .flat_map(|l| wrap_at_slashes(l, inner))
        .collect();
    // Scrolled with [ and ]; never past the last line.
    let scroll = app
        .detail_scroll
        .min(u16::try_from(lines.len().saturating_sub(1)).unwrap_or(u16::MAX));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// Breaks a one-span line longer than `width` after a `/` where it can, so that long paths
/// wrap between their elements rather than in the middle of a name. Other lines are left to
/// the paragraph's own wrapping.
fn wrap_at_slashes(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    let text = &line.spans.first().map(|s| s.content.as_ref()).unwrap_or("");
    // Hashes are base64, where `/` is just a digit, and prose ("failed: …") wraps at its
    // spaces: only paths wrap at slashes.
    if line.width() <= width
        || line.spans.len() != 1
        || !text.contains('/')
        || text.contains("h1:")
        || text.contains(": ")
    {
        return vec![line];
    }
    let style = line.spans[0].style;
    let text = line.spans[0].content.to_string();
    let mut out = Vec::new();
    let mut current = String::new();
    for piece in text.split_inclusive('/') {
        if !current.is_empty()
            && unicode_width::UnicodeWidthStr::width(current.as_str())
                + unicode_width::UnicodeWidthStr::width(piece)
                > width
        {
            out.push(Line::styled(std::mem::take(&mut current), style));
            current.push_str("    ");
        }
        current.push_str(piece);
    }
    if !current.is_empty() {
        out.push(Line::styled(current, style));
    }
    out
}

fn time_line(label: &str, time: Option<std::time::SystemTime>, app: &App) -> Line<'static> {
    let text = time.map_or("-".to_owned(), |t| {
        format!("{} ({})", rfc3339(t), ago(Some(t), app.now))
    });
    Line::raw(format!("  {label:<11}{text}"))
}

fn version_lines(app: &App, theme: Theme, row: &Row) -> Vec<Line<'static>> {
    let e = &row.entry;
    let mut out = vec![Line::styled(
        format!("{}  [{}]", e.key, e.kind.name()),
        theme.heading(),
    )];
    // Problems first: for a broken version they are what the user came for.
    if let Some(err) = &row.job_error {
        out.push(Line::styled(
            format!("last job failed: {err}"),
            theme.problem(),
        ));
    }
    match &row.verdict {
        None => out.push(Line::styled("not verified yet", theme.dim())),
        Some(v) => {
            for p in &v.problems {
                out.push(Line::styled(
                    format!("{}: {}", p.kind.name(), p.kind.explanation()),
                    theme.problem(),
                ));
                out.push(Line::raw(format!("  {}", p.detail)));
                for f in &p.files {
                    out.push(Line::raw(format!("  {:<9}{}", f.change.name(), f.name)));
                }
                out.push(Line::styled(
                    format!("  fix: {}", p.fix.advice()),
                    theme.key(),
                ));
            }
            out.extend(hash_lines(theme, v));
            out.extend(sumdb_lines(app, theme, &e.key));
            for n in &v.notes {
                out.push(Line::styled(format!("note: {n}"), theme.dim()));
            }
        }
    }
    if app.config.has_projects {
        out.extend(project_lines(app, theme, &e.key));
    }
    out.extend(piece_lines(app, theme, e));
    out.push(Line::styled("times", theme.heading()));
    out.push(time_line("published", e.published, app));
    out.push(time_line("downloaded", e.downloaded, app));
    out.push(time_line("last used", e.last_used, app));
    if let Some(o) = &e.origin {
        out.push(Line::styled("origin", theme.heading()));
        let join = |v: &Option<String>| v.clone().unwrap_or_default();
        out.push(Line::raw(format!(
            "  {} {} {}",
            join(&o.vcs),
            join(&o.url),
            join(&o.subdir)
        )));
        out.push(Line::raw(format!(
            "  {} {}",
            join(&o.reference),
            join(&o.hash)
        )));
    }
    out
}

/// Which `--project` directories use the version: those whose go.sum names it, for its source
/// (a zip line) or only for the module graph (a `/go.mod` line).
fn project_lines(app: &App, theme: Theme, key: &crate::cache::ModuleKey) -> Vec<Line<'static>> {
    let gosums = &app.config.expect.gosums;
    let mut projects: std::collections::BTreeMap<std::path::PathBuf, bool> =
        std::collections::BTreeMap::new();
    let dir = |l: &crate::verify::gosum::SumLine| {
        l.file
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default()
    };
    for l in gosums.mod_lines(key) {
        projects.entry(dir(l)).or_insert(false);
    }
    for l in gosums.zip_lines(key) {
        projects.insert(dir(l), true);
    }
    let mut out = vec![Line::styled("used by (--project)", theme.heading())];
    if projects.is_empty() {
        out.push(Line::styled("  no project's go.sum names it", theme.dim()));
    }
    for (project, source) in projects {
        let how = if source {
            "its source"
        } else {
            "its go.mod only (the module graph)"
        };
        out.push(Line::raw(format!(
            "  {}  {how}",
            crate::cache::fmt::escaped_path(&project)
        )));
    }
    out
}

fn piece_lines(app: &App, theme: Theme, e: &crate::cache::ModuleEntry) -> Vec<Line<'static>> {
    let cache = ModCache::new(&app.config.root);
    // Paths relative to the cache root (shown in the header) keep lines short.
    let rel = |p: std::path::PathBuf| {
        p.strip_prefix(&app.config.root)
            .map(|r| r.display().to_string())
            .unwrap_or_default()
    };
    let mut out = vec![Line::styled("pieces", theme.heading())];
    let tree = if e.pieces.tree {
        format!("{}/", rel(cache.tree_dir(&e.key)))
    } else {
        "(none)".into()
    };
    out.push(Line::raw(format!(
        "  tree     {:>10}  {tree}",
        size(app.bytes(e.tree))
    )));
    let present = [
        e.pieces.info,
        e.pieces.mod_file,
        e.pieces.zip,
        e.pieces.ziphash,
        e.pieces.lock,
        e.pieces.partial,
    ];
    for (i, file) in VersionFile::ALL.into_iter().enumerate() {
        let line = if present[i] {
            let path = rel(cache.version_file(&e.key, file));
            format!(
                "  .{:<8}{:>9}  {path}",
                file.ext(),
                size(app.bytes(e.piece_usage[i]))
            )
        } else {
            format!("  .{:<8}{:>9}", file.ext(), "absent")
        };
        out.push(if present[i] && file == VersionFile::Partial {
            Line::styled(line, theme.warn())
        } else {
            Line::raw(line)
        });
    }
    out
}

fn hash_lines(theme: Theme, v: &crate::verify::Verdict) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled(
        "hashes (expected, then computed)",
        theme.heading(),
    )];
    let h = &v.hashes;
    let expected = h.ziphash.clone();
    let mark = |computed: Option<String>| -> Vec<Span<'static>> {
        match (computed, &expected) {
            (Some(c), Some(x)) if c == *x => vec![Span::raw(c), Span::styled(" ✓", theme.ok())],
            (Some(c), Some(_)) => vec![
                Span::styled(c, theme.problem()),
                Span::styled(" ✗", theme.problem()),
            ],
            (Some(c), None) => vec![Span::raw(c)],
            (None, _) => vec![Span::styled("-", theme.dim())],
        }
    };
    out.push(Line::raw(format!(
        "  .ziphash {}",
        expected.clone().unwrap_or_else(|| "-".into())
    )));
    for line in &h.gosum {
        out.push(Line::raw(format!("  go.sum   {line}")));
    }
    for line in &h.sumdb {
        out.push(Line::raw(format!("  sumdb    {line}")));
    }
    let mut zip = vec![Span::raw("  zip      ")];
    zip.extend(mark(h.zip.map(|x| x.to_string())));
    out.push(Line::from(zip));
    let mut dir = vec![Span::raw("  tree     ")];
    dir.extend(mark(h.dir.map(|x| x.to_string())));
    out.push(Line::from(dir));
    out.push(Line::raw(format!(
        "  go.mod   {}",
        h.go_mod.map_or("-".into(), |x| x.to_string())
    )));
    if let Some(db) = &h.sumdb_proven {
        out.push(Line::styled(
            format!("◆ the {db} record, proven by its tiles, confirms the zip"),
            theme.ok(),
        ));
    }
    out
}

/// What the checksum database said when it was last asked (`S`), when it could not vouch.
fn sumdb_lines(app: &App, theme: Theme, key: &crate::cache::ModuleKey) -> Vec<Line<'static>> {
    match app.sumdb.unanswered.get(key) {
        Some(why) => vec![Line::styled(format!("◇ unverifiable: {why}"), theme.warn())],
        None => Vec::new(),
    }
}

/// A version the project needs that the cache lacks.
fn missing_lines(app: &App, theme: Theme, key: &crate::cache::ModuleKey) -> Vec<Line<'static>> {
    let need = app
        .project
        .needs
        .iter()
        .find(|n| n.in_cache.as_ref() == Some(key));
    let held = app.rows.get(key).map(|r| r.entry.pieces);
    let what = match held {
        Some(p) if p.mod_file => "only its .mod is cached, and go.sum says its source is needed",
        _ => "not in the cache",
    };
    let mut lines = vec![
        Line::styled(key.to_string(), theme.heading()),
        Line::styled(what, theme.problem()),
    ];
    if let Some(n) = need {
        if let Some(by) = &n.replaced_by {
            lines.push(Line::raw(format!(
                "{}@{} is replaced by {by}",
                n.path, n.version
            )));
        }
        if n.indirect {
            lines.push(Line::styled("required indirectly", theme.dim()));
        }
        if let Some(e) = &n.go_error {
            lines.push(Line::raw(format!("go: {e}")));
        }
    }
    if let Some(why) = app.project.failed.get(key) {
        lines.push(Line::styled(
            format!("the last download failed: {why}"),
            theme.problem(),
        ));
    }
    lines.push(Line::raw(
        "F downloads it through go (with everything else the view shows)",
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_wrap_after_a_slash_and_hashes_never_do() {
        let path = Line::raw("  .info   50 B  cache/download/example.com/tampered/@v/v1.0.0.info");
        let wrapped = wrap_at_slashes(path, 50);
        assert_eq!(wrapped.len(), 2);
        assert!(wrapped[0].to_string().ends_with('/'), "{wrapped:?}");
        let hash = Line::raw("h1:GEoMmYIsjmFTS0JYgHfQ/zhLdolfz+CAGwEGM2ZAlok=, .ziphash says");
        assert_eq!(wrap_at_slashes(hash, 30).len(), 1);
    }
}
