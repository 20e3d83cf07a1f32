//! The text side of a diff: unified diffs of text files (`similar`), the first differing
//! byte of binary ones (streamed), and the head of an extra file, each bounded by
//! [`DiffLimits`].

use std::io::Read;

use super::sides::Side;
use super::{Detail, DiffLimits};

/// The text of `bytes`, when it is text: UTF-8 without NUL bytes.
pub(super) fn as_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.contains('\0'))
}

/// The first offset where `a` and `b` differ, streaming both; `None` when they are equal (or
/// one is a prefix of the other, which the sizes then tell).
pub(super) fn first_difference(mut a: impl Read, mut b: impl Read) -> Option<u64> {
    let (mut x, mut y) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    let mut offset = 0u64;
    loop {
        let n = read_full(&mut a, &mut x);
        let m = read_full(&mut b, &mut y);
        let common = n.min(m);
        if let Some(i) = x[..common]
            .iter()
            .zip(&y[..common])
            .position(|(p, q)| p != q)
        {
            return Some(offset + i as u64);
        }
        if n != m {
            return Some(offset + common as u64);
        }
        if n == 0 {
            return None;
        }
        offset += n as u64;
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

/// A line cut to `limit` characters.
fn cut(line: &str, limit: usize) -> String {
    match line.char_indices().nth(limit) {
        Some((at, _)) => format!("{}… ({} more bytes)", &line[..at], line.len() - at),
        None => line.to_owned(),
    }
}

pub(super) fn text_diff(old: &str, new: &str, limits: DiffLimits) -> Detail {
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_secs(2))
        .diff_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    let mut lines = Vec::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        lines.push(hunk.header().to_string());
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Equal => ' ',
                similar::ChangeTag::Delete => {
                    removed += 1;
                    '-'
                }
                similar::ChangeTag::Insert => {
                    added += 1;
                    '+'
                }
            };
            let text = change.value().trim_end_matches(['\n', '\r']);
            lines.push(format!("{sign}{}", cut(text, limits.line_chars)));
        }
    }
    let truncated = lines.len() > limits.lines;
    lines.truncate(limits.lines);
    Detail::Text {
        lines,
        added,
        removed,
        truncated,
    }
}

/// An extra file of `side`: its size and, when it is text, its head.
pub(super) fn extra(side: &mut dyn Side, name: &str, bytes: u64, limits: DiffLimits) -> Detail {
    // The head only: enough lines, never the whole of a huge file.
    let head_bytes = (limits.lines * (limits.line_chars + 1)) as u64;
    let head = match side.read(name, head_bytes) {
        Ok(head) => head,
        Err(why) => return Detail::Unreadable { why },
    };
    // A head cut inside a character is still text.
    let valid = match std::str::from_utf8(&head) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    match valid.filter(|t| !t.contains('\0')) {
        Some(text) => {
            let all: Vec<&str> = text.lines().collect();
            Detail::Extra {
                bytes,
                truncated: all.len() > limits.lines || (head.len() as u64) < bytes,
                head: all
                    .iter()
                    .take(limits.lines)
                    .map(|l| cut(l, limits.line_chars))
                    .collect(),
                binary: false,
            }
        }
        None => Detail::Extra {
            bytes,
            head: Vec::new(),
            binary: true,
            truncated: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_is_found_across_buffers() {
        let a = vec![7u8; 200_000];
        let mut b = a.clone();
        b[150_001] = 8;
        assert_eq!(first_difference(&a[..], &b[..]), Some(150_001));
        assert_eq!(first_difference(&a[..], &a[..]), None);
        assert_eq!(first_difference(&a[..], &a[..100]), Some(100));
    }

    #[test]
    fn text_diffs_count_and_cut() {
        let limits = DiffLimits {
            lines: 4,
            line_chars: 10,
            ..DiffLimits::default()
        };
        let Detail::Text {
            lines,
            added,
            removed,
            truncated,
        } = text_diff("a\nb\nc\n", "a\nB is a very long line\nc\n", limits)
        else {
            panic!("not text");
        };
        assert_eq!((added, removed), (1, 1));
        assert_eq!(lines[0], "@@ -1,3 +1,3 @@");
        assert!(lines.contains(&"-b".to_owned()));
        assert!(lines.iter().any(|l| l.starts_with("+B is a ver…")));
        assert!(truncated);
    }
}
