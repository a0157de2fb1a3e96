//! Lists that judge each challenge's deadline in its own zone, on databases that know no zones:
//! the rule a list's SQL applies ([`DeadlineRule`]), and the zones near the line it is built
//! from, remembered briefly ([`ZonesNearDeadlines`]). The statements that read and apply it are
//! in [`super::sql_repositories`] (they need the store's connection type).

use chrono::NaiveDate;

use crate::clock::Today;

/// Which challenges' deadline is still to come, each judged in its own zone: "active" (the
/// deadline is today or later where the challenge's days are counted, `days_back` 0) or "still
/// taking entries" (up to its day of grace, `days_back` 1).
///
/// Neither database can tell the date in a time zone (SQLite knows none; PostgreSQL's names may
/// differ from the tz database the program ships), so the program does: at one instant the zones
/// have at most three dates, and only a deadline within that span can be judged differently in
/// two zones. A list first reads which zones the challenges with such a deadline have (a range
/// of the deadline index; usually none or a few), then asks for each of those its own date and
/// for every other challenge the server's. A pinned date is the same everywhere: no read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::storage) struct DeadlineRule {
    /// The earliest deadline still to come in a challenge without a zone of its own, and in
    /// any challenge whose deadline lies outside the span.
    pub(in crate::storage) everywhere: NaiveDate,
    /// Zones whose earliest deadline still to come is not `everywhere`'s.
    pub(in crate::storage) zones: Vec<(String, NaiveDate)>,
}

impl DeadlineRule {
    /// The deadlines that can be judged differently in two zones: from the first, inclusive, to
    /// the second, exclusive (empty when a date is pinned).
    pub(in crate::storage) fn span(today: Today, days_back: u64) -> (NaiveDate, NaiveDate) {
        let (earliest, latest) = today.span();
        let back = |date: NaiveDate| date - chrono::Days::new(days_back);
        (back(earliest), back(latest))
    }

    /// The rule for `today`, given the zones (by name) of the challenges whose deadline lies in
    /// [`Self::span`]. A name the program does not know is judged as the server's zone.
    pub(in crate::storage) fn new(today: Today, days_back: u64, zones_in_span: Vec<String>) -> DeadlineRule {
        let back = |date: NaiveDate| date - chrono::Days::new(days_back);
        let everywhere = back(today.in_zone(None));
        let zones = zones_in_span
            .into_iter()
            .filter_map(|name| {
                let zone = name.parse::<chrono_tz::Tz>().ok()?;
                let first = back(today.in_zone(Some(zone)));
                (first != everywhere).then_some((name, first))
            })
            .collect();
        DeadlineRule { everywhere, zones }
    }
}

/// How long the zones near the deadline line are taken as read (see [`ZonesNearDeadlines`]).
const ZONES_FRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// The zones of the challenges whose deadline lies in a [`DeadlineRule::span`], as last read
/// by this process: the main menu asks on every `/start`, and the answer changes only when a
/// challenge is created, moved or given a zone. This process's own such writes forget it; those
/// of another process (the CLI) are seen within [`ZONES_FRESH`], and until then only a
/// challenge of a zone new to the span, on the day its deadline passes, could be judged by the
/// server's date.
#[derive(Clone, Debug, Default)]
pub(crate) struct ZonesNearDeadlines(std::sync::Arc<std::sync::Mutex<Vec<ZonesRead>>>);

/// A span's zones and when they were read.
#[derive(Debug)]
struct ZonesRead {
    span: (NaiveDate, NaiveDate),
    zones: Vec<String>,
    read: std::time::Instant,
}

impl ZonesNearDeadlines {
    pub(crate) fn get(&self, span: (NaiveDate, NaiveDate)) -> Option<Vec<String>> {
        let memo = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        memo.iter().find(|r| r.span == span && r.read.elapsed() < ZONES_FRESH).map(|r| r.zones.clone())
    }

    pub(crate) fn put(&self, span: (NaiveDate, NaiveDate), zones: Vec<String>) {
        let mut memo = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Two spans are in use at a time (active, and open through the day of grace).
        memo.retain(|r| r.span != span && r.read.elapsed() < ZONES_FRESH);
        memo.push(ZonesRead { span, zones, read: std::time::Instant::now() });
    }

    /// After a write that may put a challenge of a new zone into a span.
    pub(crate) fn forget(&self) {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }
}
