//! Line editing for the filter and rule prompts, as shells and readline do it: the cursor
//! moves with Left, Right, Home and End (Ctrl-A, Ctrl-E); Backspace and Ctrl-H delete before
//! it, Delete at it; Ctrl-U deletes to the start and Ctrl-W the word before the cursor.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A line being edited, with the cursor as a character index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEdit {
    /// The text.
    pub text: String,
    /// Where the cursor is, in characters from the start.
    pub cursor: usize,
}

/// What a key did to the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    /// The text changed.
    Text,
    /// Only the cursor moved.
    Cursor,
    /// The key is not a line-editing key.
    Ignored,
}

impl LineEdit {
    /// A line holding `text`, the cursor at its end.
    pub fn new(text: &str) -> LineEdit {
        LineEdit {
            text: text.to_owned(),
            cursor: text.chars().count(),
        }
    }

    fn byte(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// The text before and after the cursor.
    pub fn split(&self) -> (&str, &str) {
        self.text.split_at(self.byte(self.cursor))
    }

    /// Applies a key; `accept` says which typed characters the line takes.
    pub fn key(&mut self, key: KeyEvent, accept: impl Fn(char) -> bool) -> Edited {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Left if self.cursor > 0 => self.cursor -= 1,
            KeyCode::Right if self.cursor < len => self.cursor += 1,
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = len,
            KeyCode::Backspace | KeyCode::Char('h') if key.code == KeyCode::Backspace || ctrl => {
                if self.cursor == 0 {
                    return Edited::Ignored;
                }
                let at = self.byte(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                return Edited::Text;
            }
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte(self.cursor);
                self.text.remove(at);
                return Edited::Text;
            }
            KeyCode::Char('u') if ctrl => {
                let at = self.byte(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                return Edited::Text;
            }
            KeyCode::Char('w') if ctrl => {
                let (before, _) = self.split();
                // The separators just before the cursor go with the word before them.
                let trimmed = before.trim_end_matches([' ', '/']);
                let kept = trimmed.rfind([' ', '/']).map_or(0, |i| i + 1);
                let removed = before[kept..].chars().count();
                let end = before.len();
                self.text.replace_range(kept..end, "");
                self.cursor -= removed;
                return Edited::Text;
            }
            KeyCode::Char(c) if !ctrl && accept(c) => {
                let at = self.byte(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                return Edited::Text;
            }
            _ => return Edited::Ignored,
        }
        Edited::Cursor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(line: &mut LineEdit, code: KeyCode, ctrl: bool) -> Edited {
        let mods = if ctrl {
            KeyModifiers::CONTROL
        } else {
            KeyModifiers::NONE
        };
        line.key(KeyEvent::new(code, mods), |_| true)
    }

    #[test]
    fn keys_edit_the_line_as_readline_does() {
        let mut line = LineEdit::new("github.com/acme");
        press(&mut line, KeyCode::Left, false);
        press(&mut line, KeyCode::Left, false);
        press(&mut line, KeyCode::Char('X'), false);
        assert_eq!(line.text, "github.com/acXme");
        press(&mut line, KeyCode::Backspace, false);
        press(&mut line, KeyCode::Char('h'), true);
        assert_eq!(line.text, "github.com/ame");
        press(&mut line, KeyCode::End, false);
        press(&mut line, KeyCode::Char('w'), true);
        assert_eq!(line.text, "github.com/");
        press(&mut line, KeyCode::Char('w'), true);
        assert_eq!(line.text, "");
        let mut line = LineEdit::new("abc def");
        press(&mut line, KeyCode::Left, false);
        press(&mut line, KeyCode::Char('u'), true);
        assert_eq!((line.text.as_str(), line.cursor), ("f", 0));
        press(&mut line, KeyCode::Delete, false);
        assert_eq!(line.text, "");
        assert_eq!(press(&mut line, KeyCode::Backspace, false), Edited::Ignored);
        let mut line = LineEdit::new("é");
        press(&mut line, KeyCode::Backspace, false);
        assert_eq!(line.text, "");
    }
}
