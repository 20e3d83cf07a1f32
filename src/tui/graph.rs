//! A delete of versions a cleaning rule marked (K, O, U, B) keeps what the versions left in the
//! cache need, as `modlens clean` does for a policy: their module graph is asked first (on a
//! pool: it reads go.mod files), every marked version it needs is unmarked and said so, and
//! only then is the delete asked. Versions marked by hand are taken as chosen. Part of
//! [`App`]'s update.

use std::collections::BTreeMap;

use super::app::App;
use super::msg::Effect;
use super::state::{Mode, OpKind};
use crate::cache::ModuleKey;
use crate::cache::fmt::count;
use crate::ops::graph::Need;

impl App {
    /// `D`: asks about the delete, after the graph check when a rule marked some of it.
    pub(super) fn ask_delete(&mut self) -> Vec<Effect> {
        let selected: Vec<ModuleKey> = self
            .marks
            .iter()
            .filter(|k| self.rule_marks.contains(*k))
            .cloned()
            .collect();
        if selected.is_empty() {
            self.ask(OpKind::Delete);
            return Vec::new();
        }
        self.status = Some(format!(
            "checking what the versions kept need of {}…",
            count(selected.len() as u64, "version")
        ));
        let entries = self.rows.values().map(|r| r.entry.clone()).collect();
        vec![Effect::KeptNeeds { entries, selected }]
    }

    /// The graph's answer: what it needs is unmarked, then the delete is asked.
    pub(crate) fn kept_needs(&mut self, needed: BTreeMap<ModuleKey, Need>) {
        let kept: Vec<(&ModuleKey, &Need)> = needed
            .iter()
            .filter(|(k, _)| self.marks.contains(*k))
            .collect();
        for (key, _) in &kept {
            self.marks.remove(*key);
            self.rule_marks.remove(*key);
        }
        self.graph_kept = kept.first().map(|(key, need)| {
            format!(
                "{} the versions kept need (their module graph; {} needs {key})",
                count(kept.len() as u64, "version"),
                need.by
            )
        });
        if self.marks.is_empty() {
            self.status = Some(format!(
                "nothing to delete: {}",
                self.graph_kept.take().unwrap_or_default()
            ));
            return;
        }
        self.ask(OpKind::Delete);
        if let (Mode::Confirm(op), Some(kept)) = (&mut self.mode, self.graph_kept.take()) {
            op.left_out = Some(match op.left_out.take() {
                Some(why) => format!("{why} Kept: {kept}."),
                None => format!("Kept: {kept}."),
            });
        }
    }
}
