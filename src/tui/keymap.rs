//! The key table: the one list of the explorer's actions, with their keys and help.
//!
//! [`key_table!`] declares each action once, and from that one declaration come the [`Action`]
//! enum, the keymap ([`action_for`]), the help overlay ([`help_rows`]) and the footer. A new key
//! is one line here plus its handling in `actions.rs`; the compiler then asks for the rest. A key
//! that marks by a cleaning rule is one line of [`RULE_KEYS`] and needs nothing else.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use crate::ops::policy::PolicyKind;

/// One binding: the action, its keys, and how help shows them.
pub struct Binding {
    /// What it does.
    pub action: Action,
    /// The keys that trigger it without Ctrl.
    pub keys: &'static [KeyCode],
    /// The keys that trigger it with Ctrl held.
    pub ctrl: &'static [KeyCode],
    /// How the keys are shown in help; empty when another row shows them (`] [`).
    pub label: &'static str,
    /// What it does, for people.
    pub help: &'static str,
}

/// Declares every action once: `Name: [keys], ctrl [keys], "label", "help";`.
macro_rules! key_table {
    ($($action:ident: [$($key:expr),*], ctrl [$($ctrl:expr),*], $label:literal, $help:literal;)*) => {
        /// What a key means, independent of which key it is.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $(#[doc = $help] $action,)*
        }

        /// Every binding of the normal mode, in help order.
        pub const BINDINGS: &[Binding] = &[
            $(Binding {
                action: Action::$action,
                keys: &[$($key),*],
                ctrl: &[$($ctrl),*],
                label: $label,
                help: $help,
            },)*
        ];
    };
}

use KeyCode::*;

key_table! {
    Down: [Char('j'), Down], ctrl [], "j k ↓ ↑", "move down, up";
    Up: [Char('k'), Up], ctrl [], "", "move up";
    PageDown: [PageDown], ctrl [Char('d')], "PgDn ^d", "page down";
    PageUp: [PageUp], ctrl [Char('u')], "PgUp ^u", "page up";
    Top: [Char('g'), Home], ctrl [], "g Home", "first row";
    Bottom: [Char('G'), End], ctrl [], "G End", "last row";
    Expand: [Char('l'), Right], ctrl [], "l →", "expand module / open version";
    Collapse: [Char('h'), Left], ctrl [], "h ←", "collapse module";
    ExpandAll: [Char('+'), Char('=')], ctrl [], "+ -", "expand, collapse all modules";
    CollapseAll: [Char('-')], ctrl [], "", "collapse every module";
    OpenDetail: [Enter], ctrl [], "Enter", "show details";
    ToggleDetail: [Tab], ctrl [], "Tab", "show/hide details";
    ToggleMark: [Char(' ')], ctrl [], "Space", "mark/unmark, move down";
    MarkRange: [Char('V')], ctrl [], "V", "mark range from last mark";
    MarkAllVisible: [Char('a')], ctrl [], "a c", "mark all shown, clear marks";
    ClearMarks: [Char('c')], ctrl [], "", "clear marks";
    DeleteLeftovers: [Char('L')], ctrl [], "L", "delete leftovers";
    SortSize: [Char('1')], ctrl [], "1 2 3", "sort by size, age, last used";
    SortAge: [Char('2')], ctrl [], "", "sort by age";
    SortLastUsed: [Char('3')], ctrl [], "", "sort by last used";
    SortName: [Char('4')], ctrl [], "4 5", "sort by name, version";
    SortVersion: [Char('5')], ctrl [], "", "sort by version";
    ReverseSort: [Char('r')], ctrl [], "r", "reverse order";
    StartFilter: [Char('/')], ctrl [], "/", "filter (substring or glob)";
    ToggleProblemsOnly: [Char('p')], ctrl [], "p", "problems only";
    DeleteMarked: [Char('D'), Delete], ctrl [], "D Del", "delete or trash marked";
    RefetchMarked: [Char('R')], ctrl [], "R", "repair marked (offline first)";
    VerifyAgain: [Char('v')], ctrl [], "v", "verify again (marked, or all)";
    AskSumdb: [Char('S')], ctrl [], "S", "ask the checksum database";
    Rescan: [F(5)], ctrl [], "F5", "rescan the whole cache";
    ToggleApparent: [Char('A')], ctrl [], "A", "apparent or on-disk sizes";
    ScrollDetailDown: [Char(']')], ctrl [], "] [", "scroll the details down, up";
    ScrollDetailUp: [Char('[')], ctrl [], "", "scroll the details up";
    ShowJobs: [Char('J')], ctrl [], "J", "jobs (x cancels one)";
    ToggleProjectView: [Char('P')], ctrl [], "P", "project view (--project)";
    FixProject: [Char('F')], ctrl [], "F", "fix the project view";
    ToggleBuildView: [Char('b')], ctrl [], "b", "build cache (GOCACHE) view";
    ToggleTrashView: [Char('T')], ctrl [], "T", "trash: restore R, empty D";
    ToggleHelp: [Char('?')], ctrl [], "?", "help";
    Back: [Esc], ctrl [], "Esc", "back: filter, view, details";
    Quit: [Char('q')], ctrl [Char('c')], "q ^c", "quit";
}

/// One key of a dialog or view that is not the list: the action, its keys, and how its hint
/// line shows them.
pub struct ModeBinding<A: 'static> {
    /// What it does.
    pub action: A,
    /// The keys that trigger it.
    pub keys: &'static [KeyCode],
    /// How the keys are shown.
    pub label: &'static str,
    /// What it does, for people.
    pub help: &'static str,
}

/// Declares the keys of one mode once: `Name: [keys], "label", "help";`. Its actions, its
/// dispatch ([`mode_action`]) and its hint line ([`hint`]) all come from it.
macro_rules! mode_table {
    ($(#[$doc:meta])* $table:ident, $enum:ident { $($action:ident: [$($key:expr),*], $label:literal, $help:literal;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $enum {
            $(#[doc = $help] $action,)*
        }

        $(#[$doc])*
        pub const $table: &[ModeBinding<$enum>] = &[
            $(ModeBinding {
                action: $enum::$action,
                keys: &[$($key),*],
                label: $label,
                help: $help,
            },)*
        ];
    };
}

mode_table! {
    /// The confirmation dialog.
    CONFIRM_KEYS, ConfirmAction {
        Yes: [Char('y'), Char('Y'), Enter], "y Enter", "yes";
        ToTrash: [Char('t'), Char('T')], "t", "to the trash (undoable)";
        No: [Char('n'), Char('N'), Char('q'), Esc], "n Esc", "no";
    }
}

mode_table! {
    /// The jobs view.
    JOBS_KEYS, JobsAction {
        Next: [Char('j'), Down], "j ↓", "next";
        Previous: [Char('k'), Up], "k ↑", "previous";
        Cancel: [Char('x')], "x", "cancel (between items; go is killed)";
        Close: [Esc, Char('J'), Char('q')], "Esc", "close";
    }
}

mode_table! {
    /// The file view inside a version.
    FILES_KEYS, FilesAction {
        Next: [Char('j'), Down], "j ↓", "next";
        Previous: [Char('k'), Up], "k ↑", "previous";
        PageDown: [PageDown], "PgDn", "page down";
        PageUp: [PageUp], "PgUp", "page up";
        First: [Char('g'), Home], "g", "first";
        Last: [Char('G'), End], "G", "last";
        Open: [Char('l'), Right, Enter], "l → Enter", "open a directory, or a file's diff";
        Up: [Char('h'), Left, Esc, Backspace], "h ← Esc", "go up (from the top: the list)";
        Close: [Char('q')], "q", "close";
    }
}

mode_table! {
    /// A file's diff against the zip.
    DIFF_KEYS, DiffAction {
        Down: [Char('j'), Down], "j ↓", "scroll";
        Up: [Char('k'), Up], "k ↑", "scroll back";
        PageDown: [PageDown, Char(' ')], "PgDn", "page down";
        PageUp: [PageUp], "PgUp", "page up";
        NextChange: [Char('n')], "n", "next change";
        PreviousChange: [Char('N')], "N", "previous change";
        Back: [Esc, Char('h'), Left, Char('q')], "Esc", "back to the files";
    }
}

mode_table! {
    /// The filter line (its text is edited with the usual line keys).
    FILTER_KEYS, FilterAction {
        Keep: [Enter], "Enter", "keep it";
        Clear: [Esc], "Esc", "clear it";
    }
}

mode_table! {
    /// The prompt for a rule's number (digits, Backspace).
    PROMPT_KEYS, PromptAction {
        Mark: [Enter], "Enter", "mark";
        Cancel: [Esc], "Esc", "cancel";
    }
}

mode_table! {
    /// The question before quitting while jobs run; any other key stays.
    QUIT_KEYS, QuitAction {
        Quit: [Char('y'), Char('Y'), Enter], "y Enter", "quit";
        Stay: [Char('n'), Char('N'), Esc], "n Esc", "stay";
    }
}

/// The action of `key` in a mode's table.
pub fn mode_action<A: Copy>(table: &[ModeBinding<A>], key: KeyEvent) -> Option<A> {
    table
        .iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// A mode's keys as one hint line: `label help · label help`, leaving out `skip`.
pub fn hint<A: Copy + PartialEq>(table: &[ModeBinding<A>], skip: &[A]) -> String {
    table
        .iter()
        .filter(|b| !skip.contains(&b.action))
        .map(|b| format!("{} {}", b.label, b.help))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The keys that mark versions by a cleaning rule, in the list (and `B` in the build view):
/// the same rules as `clean`'s policies. A rule with a number asks for it first.
pub const RULE_KEYS: &[ModeBinding<PolicyKind>] = &[
    ModeBinding {
        action: PolicyKind::KeepLatest,
        keys: &[Char('K')],
        label: "K",
        help: "mark all but the newest N",
    },
    ModeBinding {
        action: PolicyKind::OlderThanDays,
        keys: &[Char('O')],
        label: "O",
        help: "mark older than N days",
    },
    ModeBinding {
        action: PolicyKind::Unused,
        keys: &[Char('U')],
        label: "U",
        help: "mark unused by --project",
    },
    ModeBinding {
        action: PolicyKind::Broken,
        keys: &[Char('B')],
        label: "B",
        help: "mark everything broken",
    },
];

/// The rule a key marks by, in the normal mode.
pub fn rule_for(key: KeyEvent) -> Option<PolicyKind> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return None;
    }
    mode_action(RULE_KEYS, key)
}

/// The action bound to a key in the normal mode.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    BINDINGS
        .iter()
        .find(|b| if ctrl { b.ctrl } else { b.keys }.contains(&key.code))
        .map(|b| b.action)
}

/// The rows of the help overlay: (keys, description); the rule keys follow the marks.
pub fn help_rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    BINDINGS.iter().flat_map(|b| {
        let own = (!b.label.is_empty()).then_some((b.label, b.help));
        let rules = (b.action == Action::ClearMarks)
            .then(|| RULE_KEYS.iter().map(|r| (r.label, r.help)))
            .into_iter()
            .flatten();
        own.into_iter().chain(rules)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_key_shown_in_help() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty() || !b.ctrl.is_empty(), "{:?}", b.action);
            let shown = help_rows().any(|(label, _)| {
                label
                    .split_whitespace()
                    .any(|k| b.keys.iter().any(|key| k == key_name(*key)))
            });
            assert!(shown, "{:?} has no help row naming its keys", b.action);
        }
    }

    /// In every mode's table a key means one thing, and the hint names every action.
    #[test]
    fn mode_tables_bind_each_key_once_and_hint_every_action() {
        fn check<A: Copy + PartialEq + std::fmt::Debug>(table: &[ModeBinding<A>]) {
            let mut seen = Vec::new();
            for b in table {
                for k in b.keys {
                    assert!(!seen.contains(k), "{k:?} bound twice ({:?})", b.action);
                    seen.push(*k);
                }
                let key = KeyEvent::new(b.keys[0], KeyModifiers::NONE);
                assert_eq!(mode_action(table, key), Some(b.action));
                assert!(hint(table, &[]).contains(b.label), "{:?}", b.action);
            }
        }
        check(CONFIRM_KEYS);
        check(JOBS_KEYS);
        check(FILES_KEYS);
        check(DIFF_KEYS);
        check(FILTER_KEYS);
        check(PROMPT_KEYS);
        check(QUIT_KEYS);
        check(RULE_KEYS);
    }

    /// How help names a key.
    fn key_name(key: KeyCode) -> String {
        match key {
            Char(' ') => "Space".into(),
            Char(c) => c.to_string(),
            Down => "↓".into(),
            Up => "↑".into(),
            Left => "←".into(),
            Right => "→".into(),
            PageDown => "PgDn".into(),
            PageUp => "PgUp".into(),
            Delete => "Del".into(),
            F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen: std::collections::HashSet<(KeyCode, bool)> =
            RULE_KEYS.iter().map(|r| (r.keys[0], false)).collect();
        for b in BINDINGS {
            for (keys, ctrl) in [(b.keys, false), (b.ctrl, true)] {
                for k in keys {
                    assert!(seen.insert((*k, ctrl)), "{k:?} bound twice");
                }
            }
        }
    }
}
