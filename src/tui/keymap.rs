//! The key bindings: one table that drives both the keymap and the help overlay and footer.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::msg::Action;

/// One binding: the keys, the action, and its description for help.
pub struct Binding {
    /// The keys that trigger it.
    pub keys: &'static [KeyCode],
    /// Whether Ctrl must be held.
    pub ctrl: bool,
    /// What it does.
    pub action: Action,
    /// How the keys are shown in help.
    pub label: &'static str,
    /// What it does, for people.
    pub help: &'static str,
}

const fn b(
    keys: &'static [KeyCode],
    action: Action,
    label: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        ctrl: false,
        action,
        label,
        help,
    }
}

/// Every binding of the normal mode, in help order.
pub const BINDINGS: &[Binding] = &[
    b(
        &[KeyCode::Char('j'), KeyCode::Down],
        Action::Down,
        "j ↓",
        "move down",
    ),
    b(
        &[KeyCode::Char('k'), KeyCode::Up],
        Action::Up,
        "k ↑",
        "move up",
    ),
    b(
        &[KeyCode::PageDown],
        Action::PageDown,
        "PgDn ^d",
        "page down",
    ),
    Binding {
        keys: &[KeyCode::Char('d')],
        ctrl: true,
        action: Action::PageDown,
        label: "",
        help: "",
    },
    b(&[KeyCode::PageUp], Action::PageUp, "PgUp ^u", "page up"),
    Binding {
        keys: &[KeyCode::Char('u')],
        ctrl: true,
        action: Action::PageUp,
        label: "",
        help: "",
    },
    b(
        &[KeyCode::Char('g'), KeyCode::Home],
        Action::Top,
        "g Home",
        "first row",
    ),
    b(
        &[KeyCode::Char('G'), KeyCode::End],
        Action::Bottom,
        "G End",
        "last row",
    ),
    b(
        &[KeyCode::Char('l'), KeyCode::Right],
        Action::Expand,
        "l →",
        "expand module / open version",
    ),
    b(
        &[KeyCode::Char('h'), KeyCode::Left],
        Action::Collapse,
        "h ←",
        "collapse module",
    ),
    b(
        &[KeyCode::Char('+'), KeyCode::Char('=')],
        Action::ExpandAll,
        "+",
        "expand every module",
    ),
    b(
        &[KeyCode::Char('-')],
        Action::CollapseAll,
        "-",
        "collapse every module",
    ),
    b(
        &[KeyCode::Enter],
        Action::OpenDetail,
        "Enter",
        "show details",
    ),
    b(
        &[KeyCode::Tab],
        Action::ToggleDetail,
        "Tab",
        "show/hide details",
    ),
    b(
        &[KeyCode::Char(' ')],
        Action::ToggleMark,
        "Space",
        "mark/unmark",
    ),
    b(
        &[KeyCode::Char('V')],
        Action::MarkRange,
        "V",
        "mark range from last mark",
    ),
    b(
        &[KeyCode::Char('a')],
        Action::MarkAllVisible,
        "a",
        "mark all visible",
    ),
    b(
        &[KeyCode::Char('c')],
        Action::ClearMarks,
        "c",
        "clear marks",
    ),
    b(
        &[KeyCode::Char('K')],
        Action::MarkAllButNewest,
        "K",
        "mark all but the newest N",
    ),
    b(
        &[KeyCode::Char('O')],
        Action::MarkOlderThan,
        "O",
        "mark older than N days",
    ),
    b(
        &[KeyCode::Char('U')],
        Action::MarkUnreferenced,
        "U",
        "mark unused by --project",
    ),
    b(
        &[KeyCode::Char('B')],
        Action::MarkProblems,
        "B",
        "mark everything broken",
    ),
    b(
        &[KeyCode::Char('L')],
        Action::DeleteLeftovers,
        "L",
        "delete leftovers",
    ),
    b(&[KeyCode::Char('1')], Action::SortSize, "1", "sort by size"),
    b(&[KeyCode::Char('2')], Action::SortAge, "2", "sort by age"),
    b(
        &[KeyCode::Char('3')],
        Action::SortLastUsed,
        "3",
        "sort by last used",
    ),
    b(&[KeyCode::Char('4')], Action::SortName, "4", "sort by name"),
    b(
        &[KeyCode::Char('5')],
        Action::SortVersion,
        "5",
        "sort by version",
    ),
    b(
        &[KeyCode::Char('r')],
        Action::ReverseSort,
        "r",
        "reverse order",
    ),
    b(
        &[KeyCode::Char('/')],
        Action::StartFilter,
        "/",
        "filter (substring or glob)",
    ),
    b(
        &[KeyCode::Char('p')],
        Action::ToggleProblemsOnly,
        "p",
        "problems only",
    ),
    b(
        &[KeyCode::Char('D'), KeyCode::Delete],
        Action::DeleteMarked,
        "D Del",
        "delete marked (or current)",
    ),
    b(
        &[KeyCode::Char('R')],
        Action::RefetchMarked,
        "R",
        "repair marked (offline first)",
    ),
    b(
        &[KeyCode::Char('v')],
        Action::VerifyAgain,
        "v",
        "verify again (marked, or all)",
    ),
    b(
        &[KeyCode::F(5)],
        Action::Rescan,
        "F5",
        "rescan the whole cache",
    ),
    b(
        &[KeyCode::Char('A')],
        Action::ToggleApparent,
        "A",
        "apparent or on-disk sizes",
    ),
    b(
        &[KeyCode::Char(']')],
        Action::ScrollDetailDown,
        "] [",
        "scroll the details down, up",
    ),
    Binding {
        keys: &[KeyCode::Char('[')],
        ctrl: false,
        action: Action::ScrollDetailUp,
        label: "",
        help: "",
    },
    b(
        &[KeyCode::Char('J')],
        Action::ShowJobs,
        "J",
        "jobs (x cancels one)",
    ),
    b(&[KeyCode::Char('?')], Action::ToggleHelp, "?", "help"),
    b(
        &[KeyCode::Esc],
        Action::Back,
        "Esc",
        "back: filter, details",
    ),
    b(&[KeyCode::Char('q')], Action::Quit, "q ^c", "quit"),
    Binding {
        keys: &[KeyCode::Char('c')],
        ctrl: true,
        action: Action::Quit,
        label: "",
        help: "",
    },
];

/// The action bound to a key in the normal mode.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    BINDINGS
        .iter()
        .find(|b| b.ctrl == ctrl && b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// The rows of the help overlay: (keys, description).
pub fn help_rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| !b.label.is_empty())
        .map(|b| (b.label, b.help))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_key_and_a_help_row() {
        use Action::*;
        let all = [
            Up,
            Down,
            PageUp,
            PageDown,
            Top,
            Bottom,
            Expand,
            Collapse,
            OpenDetail,
            ToggleDetail,
            ToggleMark,
            MarkRange,
            MarkAllVisible,
            ClearMarks,
            MarkAllButNewest,
            MarkOlderThan,
            MarkUnreferenced,
            MarkProblems,
            DeleteLeftovers,
            SortSize,
            SortAge,
            SortLastUsed,
            SortName,
            SortVersion,
            ReverseSort,
            StartFilter,
            ToggleProblemsOnly,
            DeleteMarked,
            RefetchMarked,
            ToggleHelp,
            Back,
            Quit,
            ExpandAll,
            CollapseAll,
            VerifyAgain,
            Rescan,
            ShowJobs,
            ToggleApparent,
            ScrollDetailDown,
        ];
        for action in all {
            assert!(
                BINDINGS
                    .iter()
                    .any(|b| b.action == action && !b.label.is_empty()),
                "{action:?}"
            );
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = std::collections::HashSet::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(seen.insert((*k, b.ctrl)), "{k:?} bound twice");
            }
        }
    }
}
