//! A file's diff as people read it, the same in `modlens diff`, `vendor verify` and the
//! explorer's diff pane: its lines, each with what it is (for colours, and for the pane's
//! jumps from change to change).

use super::{Detail, FileDiff};
use crate::cache::fmt::size;

/// What a line of a shown diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A hunk header (`@@ … @@`): a change starts.
    Hunk,
    /// A sentence about the file that says how it changed (binary, only on one side).
    Said,
    /// A line the newer side added.
    Added,
    /// A line the newer side removed.
    Removed,
    /// Context, or anything else.
    Plain,
    /// A note that lines were left out.
    Elided,
}

impl Shown {
    /// Whether a change starts at such a line.
    pub fn starts_a_change(self) -> bool {
        matches!(self, Shown::Hunk | Shown::Said)
    }
}

impl FileDiff {
    /// Its lines as people read them (the file header aside), `old` and `new` naming the
    /// sides compared (`zip` and `tree`, say).
    pub fn shown(&self, old: &str, new: &str) -> Vec<(String, Shown)> {
        match &self.detail {
            Detail::Text {
                lines, truncated, ..
            } => {
                let mut out: Vec<(String, Shown)> = lines
                    .iter()
                    .map(|l| {
                        let kind = match l.chars().next() {
                            Some('@') => Shown::Hunk,
                            Some('+') => Shown::Added,
                            Some('-') => Shown::Removed,
                            _ => Shown::Plain,
                        };
                        (l.clone(), kind)
                    })
                    .collect();
                if *truncated {
                    out.push(("… (more changes not shown)".into(), Shown::Elided));
                }
                out
            }
            Detail::Binary {
                authentic_bytes,
                cached_bytes,
                first_difference,
            } => vec![(
                format!(
                    "binary: {authentic_bytes} bytes in the {old}, {cached_bytes} in the {new}; \
                     they differ from byte {first_difference} on"
                ),
                Shown::Said,
            )],
            Detail::Extra {
                bytes,
                head,
                binary,
                truncated,
            } => {
                let mut out = vec![(
                    format!("only in the {new} ({}):", size(*bytes)),
                    Shown::Said,
                )];
                if *binary {
                    out.push(("  (binary)".into(), Shown::Plain));
                }
                out.extend(head.iter().map(|l| (format!("+{l}"), Shown::Added)));
                if *truncated {
                    out.push(("… (the rest not shown)".into(), Shown::Elided));
                }
                out
            }
            Detail::Missing { bytes } => vec![(
                format!("only in the {old} ({}): the {new} lacks it", size(*bytes)),
                Shown::Said,
            )],
            Detail::Unreadable { why } => {
                vec![(format!("cannot be compared: {why}"), Shown::Plain)]
            }
        }
    }
}
