//! Formatting sizes, ages and times for people and for JSON.

use std::time::{Duration, SystemTime};

/// A size in binary units, e.g. `12.3 MiB`.
pub fn size(bytes: u64) -> String {
    humansize::format_size(bytes, humansize::BINARY)
}

/// How long before `now` something happened, as a short age such as `5m`, `3d` or `2y`.
/// `-` when unknown; `now` when in the future (clock skew).
pub fn age(time: Option<SystemTime>, now: SystemTime) -> String {
    let Some(time) = time else {
        return "-".to_owned();
    };
    let secs = now.duration_since(time).unwrap_or(Duration::ZERO).as_secs();
    const MIN: u64 = 60;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;
    if secs < MIN {
        "now".to_owned()
    } else if secs < HOUR {
        format!("{}m", secs / MIN)
    } else if secs < DAY {
        format!("{}h", secs / HOUR)
    } else if secs < 60 * DAY {
        format!("{}d", secs / DAY)
    } else if secs < 730 * DAY {
        format!("{}mo", secs / (30 * DAY))
    } else {
        format!("{}y", secs / (365 * DAY))
    }
}

/// RFC 3339 in UTC with second precision, e.g. `2023-01-02T03:04:05Z`.
pub fn rfc3339(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_short() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100 * 86_400 * 365);
        let ago = |s: u64| age(Some(now - Duration::from_secs(s)), now);
        assert_eq!(ago(5), "now");
        assert_eq!(ago(300), "5m");
        assert_eq!(ago(7200), "2h");
        assert_eq!(ago(3 * 86_400), "3d");
        assert_eq!(ago(90 * 86_400), "3mo");
        assert_eq!(ago(800 * 86_400), "2y");
        assert_eq!(age(None, now), "-");
    }

    #[test]
    fn times_print_as_utc_seconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_672_628_645);
        assert_eq!(rfc3339(t), "2023-01-02T03:04:05Z");
    }
}
