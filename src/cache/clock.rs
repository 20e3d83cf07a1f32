//! The time modlens takes as "now": the system's, or `MODLENS_NOW` (whole seconds since the
//! Unix epoch) when set, so that tests step time forward (a trash entry's keep time, a
//! verdict's age, a second scan) without sleeping. Every "now" of the commands and the
//! explorer comes from here.

use std::time::{Duration, SystemTime};

/// Now, as modlens sees it.
pub fn now() -> SystemTime {
    match std::env::var("MODLENS_NOW")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        Some(secs) => SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
        None => SystemTime::now(),
    }
}
