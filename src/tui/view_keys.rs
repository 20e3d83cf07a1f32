//! The keys of the views other than the list (the build cache, the trash): which of the
//! list's actions each answers, in its own words, from which its help is generated. A key a
//! view does not answer says so rather than doing the list's thing.

use super::keymap::{Action, BINDINGS, PolicyKind, RULE_KEYS};

/// A key of the list's table as another view (the build cache, the trash) answers it, with
/// the label and help that view's help shows.
pub struct ViewKey {
    /// The list's action.
    pub action: Action,
    /// The keys as the view's help shows them; empty: shown under another row's label.
    pub label: &'static str,
    /// What it does in the view; empty: what it does in the list.
    pub help: &'static str,
}

const fn key(action: Action, label: &'static str, help: &'static str) -> ViewKey {
    ViewKey {
        action,
        label,
        help,
    }
}

/// The keys of a view other than the list: moving (as in the list), its own keys, and the
/// jobs, help, back and quit (as in the list). The view answers exactly these.
pub struct ViewKeys {
    /// What the view does with the list's keys, between moving and the common rest.
    pub own: &'static [ViewKey],
    /// The rule keys it answers, in its words.
    pub rules: &'static [(PolicyKind, &'static str)],
}

const MOVES: &[ViewKey] = &[
    key(Action::Down, "j k ↓ ↑", ""),
    key(Action::Up, "", ""),
    key(Action::PageDown, "PgDn ^d", ""),
    key(Action::PageUp, "PgUp ^u", ""),
    key(Action::Top, "g Home", ""),
    key(Action::Bottom, "G End", ""),
];

const COMMON: &[ViewKey] = &[
    key(Action::ShowJobs, "J", ""),
    key(Action::ToggleHelp, "?", ""),
    key(Action::Back, "", ""),
    key(Action::Quit, "q ^c", ""),
];

/// The build-cache view (`B` marks its rows with problems).
pub const BUILD_VIEW: ViewKeys = ViewKeys {
    own: &[
        key(Action::ToggleMark, "Space", "mark/unmark a row, move down"),
        key(Action::ClearMarks, "c", ""),
        key(
            Action::DeleteMarked,
            "D Del",
            "delete the marked rows (or this one)",
        ),
        key(Action::VerifyAgain, "v F5", "verify the build cache again"),
        key(Action::Rescan, "", ""),
        key(Action::ToggleBuildView, "b Esc", "back to the module cache"),
    ],
    rules: &[(PolicyKind::Broken, "mark the rows with problems")],
};

/// The trash view.
pub const TRASH_VIEW: ViewKeys = ViewKeys {
    own: &[
        key(Action::ToggleMark, "Space", ""),
        key(Action::MarkAllVisible, "a c", "mark all, clear marks"),
        key(Action::ClearMarks, "", ""),
        key(
            Action::RefetchMarked,
            "R",
            "restore the marked versions (or this one)",
        ),
        key(
            Action::DeleteMarked,
            "D Del",
            "remove the marked ones for good",
        ),
        key(Action::VerifyAgain, "v F5", "read the trash again"),
        key(Action::Rescan, "", ""),
        key(Action::ToggleTrashView, "T Esc", "back to the module cache"),
    ],
    rules: &[],
};

impl ViewKeys {
    fn all(&self) -> impl Iterator<Item = &ViewKey> {
        MOVES.iter().chain(self.own).chain(COMMON)
    }

    /// Whether the view answers `action`.
    pub fn answers(&self, action: Action) -> bool {
        self.all().any(|k| k.action == action)
    }

    /// The rows of the view's help: each labelled key with its help there, else the list's;
    /// its rule keys follow the marking key, as in the list's help.
    pub fn help_rows(&self) -> Vec<(&'static str, &'static str)> {
        self.all()
            .filter(|k| !k.label.is_empty())
            .flat_map(|k| {
                let listed = BINDINGS.iter().find(|b| b.action == k.action);
                let help = match (k.help, listed) {
                    ("", Some(b)) => b.help,
                    (help, _) => help,
                };
                let rules = self
                    .rules
                    .iter()
                    .filter(|_| k.action == Action::ToggleMark)
                    .filter_map(|(kind, help)| {
                        let rule = RULE_KEYS.iter().find(|r| r.action == *kind)?;
                        Some((rule.label, *help))
                    });
                std::iter::once((k.label, help)).chain(rules)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::action_for;
    use crossterm::event::KeyCode::*;
    use crossterm::event::{KeyEvent, KeyModifiers};

    /// The key a help label names (`j`, `↓`, `PgDn`, `^d`, `Space`, `F5`, ...).
    fn named(token: &str) -> KeyEvent {
        let code = match token {
            "↓" => Down,
            "↑" => Up,
            "PgDn" => PageDown,
            "PgUp" => PageUp,
            "Home" => Home,
            "End" => End,
            "Space" => Char(' '),
            "Del" => Delete,
            "Esc" => Esc,
            "Enter" => Enter,
            "F5" => F(5),
            t if t.starts_with('^') => {
                let c = t.chars().nth(1).unwrap();
                return KeyEvent::new(Char(c), KeyModifiers::CONTROL);
            }
            t => Char(t.chars().next().unwrap()),
        };
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn every_key_a_view_s_help_names_is_one_that_view_answers() {
        for view in [BUILD_VIEW, TRASH_VIEW] {
            let labels: Vec<&str> = view.all().map(|k| k.label).collect();
            for token in labels.iter().flat_map(|l| l.split_whitespace()) {
                let action = action_for(named(token))
                    .unwrap_or_else(|| panic!("{token:?} is bound to nothing"));
                assert!(
                    view.answers(action),
                    "{token:?} ({action:?}) is not answered"
                );
            }
            // And every action answered is named by some label.
            for k in view.all() {
                let named_somewhere = labels
                    .iter()
                    .flat_map(|l| l.split_whitespace())
                    .any(|t| action_for(named(t)) == Some(k.action));
                assert!(
                    named_somewhere,
                    "{:?} answered but not in the help",
                    k.action
                );
            }
        }
    }
}
