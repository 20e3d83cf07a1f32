//! `S` in the explorer: the checksum database GOSUMDB names is asked, online, about the marked
//! versions (or all), as `modlens verify --sumdb` asks it; its proven answers are cached where
//! go caches them, and the versions are verified again by them. A version whose zip the
//! database's proven record confirms is marked ◆; one it could not vouch for (not found,
//! unreachable, unproven, private) ◇, with why in its details. Part of [`App`]'s update; the
//! asking runs on a pool and reports as one message.

use super::app::App;
use super::msg::Effect;
use super::state::Integrity;
use crate::cache::ModuleKey;
use crate::cache::fmt::count;
use crate::ops::sumdb::Asked;

impl App {
    /// `S`: asks the database about the marked versions, or all of them.
    pub(super) fn ask_sumdb(&mut self) -> Vec<Effect> {
        let gosumdb = self.config.sumdb.gosumdb.clone();
        let refusal = if self.sumdb.asking > 0 {
            Some("the checksum database is being asked already".to_owned())
        } else if gosumdb.split_whitespace().next() == Some("off") {
            Some("GOSUMDB=off: there is no checksum database to ask".to_owned())
        } else {
            self.config
                .read_only
                .as_ref()
                .map(|why| format!("its answers cannot be cached: {why}"))
        };
        if let Some(why) = refusal {
            self.status = Some(why);
            return Vec::new();
        }
        let keys: Vec<ModuleKey> = if self.marks.is_empty() {
            self.rows.keys().cloned().collect()
        } else {
            self.marks.iter().cloned().collect()
        };
        if keys.is_empty() {
            self.status = Some("no versions to ask about".into());
            return Vec::new();
        }
        self.sumdb.asking = keys.len();
        self.status = Some(format!(
            "asking the checksum database ({}) about {}…",
            gosumdb
                .split_whitespace()
                .next()
                .unwrap_or("sum.golang.org"),
            count(keys.len() as u64, "version")
        ));
        vec![Effect::AskSumdb(keys)]
    }

    /// The database's answers arrived: the versions asked about are verified again by them.
    pub(crate) fn sumdb_event(
        &mut self,
        keys: Vec<ModuleKey>,
        asked: Result<Asked, String>,
    ) -> Vec<Effect> {
        self.sumdb.asking = 0;
        let asked = match asked {
            Ok(asked) => asked,
            Err(why) => {
                self.status = Some(format!("the checksum database was not asked: {why}"));
                return Vec::new();
            }
        };
        for key in &keys {
            self.sumdb.unanswered.remove(key);
        }
        let unverifiable = asked.unanswered.len();
        for (key, why) in asked.unanswered {
            self.sumdb.unanswered.insert(key, why);
        }
        for key in &keys {
            if self.config.sumdb.is_private(&key.path) {
                self.sumdb.unanswered.insert(
                    key.clone(),
                    "private (GONOSUMDB/GOPRIVATE): never sent to the checksum database".into(),
                );
            }
            if let Some(row) = self.rows.get_mut(key) {
                row.integrity = Integrity::Unverified;
            }
        }
        self.status = Some(format!(
            "{} ({}): asked about {}, {} answers cached for go, {} unverifiable, {} private; \
             verifying them again",
            asked.database,
            asked.base,
            count(asked.asked as u64, "version"),
            asked.installed,
            unverifiable,
            asked.private
        ));
        if let Some(why) = asked.not_cached {
            self.status = Some(format!("the database's answers could not be cached: {why}"));
        }
        self.stale = true;
        vec![Effect::Refresh(keys)]
    }
}
