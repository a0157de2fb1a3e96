//! Which updates may be confirmed: all below the lowest one still being handled.
//!
//! Updates are handled out of order (different users at once), but Telegram confirms by offset:
//! `getUpdates(offset = n)` confirms every update below `n`. So the offset asked for is the lowest
//! update still in flight, or one past the highest handled when none is. Updates at or above it
//! that come again (Telegram redelivers everything unconfirmed) are recognised and not handled
//! twice.
//!
//! A webhook's updates come over many connections at once, so a lower id can arrive after
//! higher ones were handled and the floor moved past it: the ids the floor skipped are kept
//! (the nearest [`MAX_SKIPPED`] below it) and admitted when they come ([`Watermark::posted`]).
//! The saved offset follows the floor, so a restarted webhook awaits again the ids below it
//! that the database shows neither handled nor parked ([`Watermark::posted_resumed`]).

use std::collections::{BTreeMap, BTreeSet};

/// How many skipped ids below the floor a webhook's watermark keeps waiting for: a late update
/// is behind by at most about as many as are delivered at once (`max_connections`, 100).
pub const MAX_SKIPPED: i64 = 1_000;

#[derive(Debug, Clone)]
pub struct Watermark {
    /// Every update below this was handled, except those in `skipped`.
    floor: i64,
    /// Updates at or above `floor` that were admitted, and late ones below it: `true` once
    /// handled.
    seen: BTreeMap<i64, bool>,
    /// Ids below the floor whose update never came (webhook only): a gap, or one still on its
    /// way.
    skipped: BTreeSet<i64>,
    /// Keep `skipped` (updates are posted, not polled).
    posted: bool,
}

impl Watermark {
    /// Starts with every update below `floor` known to be handled (polling: `getUpdates` hands
    /// updates out in order, so an id the floor skips is a gap for good).
    pub fn new(floor: i64) -> Watermark {
        Watermark { floor, seen: BTreeMap::new(), skipped: BTreeSet::new(), posted: false }
    }

    /// The same for updates posted to a webhook, which may arrive out of order.
    pub fn posted(floor: i64) -> Watermark {
        Watermark { posted: true, ..Watermark::new(floor) }
    }

    /// A webhook's watermark resumed at a saved `floor`: the ids just below it (the nearest
    /// [`MAX_SKIPPED`]) that the last run did not settle, `settled` (recorded or parked), may
    /// still be on their way (Telegram redelivers until it gets a 200), so they are awaited as
    /// if this run had skipped them.
    pub fn posted_resumed(floor: i64, settled: impl IntoIterator<Item = i64>) -> Watermark {
        let settled: BTreeSet<i64> = settled.into_iter().collect();
        let skipped = (Watermark::awaited_from(floor)..floor).filter(|id| !settled.contains(id)).collect();
        Watermark { skipped, ..Watermark::posted(floor) }
    }

    /// The lowest id a webhook resumed at `floor` awaits: what the last run settled from here
    /// on is what [`Watermark::posted_resumed`] needs to know.
    pub fn awaited_from(floor: i64) -> i64 {
        (floor - MAX_SKIPPED).max(0)
    }

    /// The offset to ask for: the lowest update in flight, or past everything handled.
    pub fn offset(&self) -> i64 {
        self.seen.first_key_value().map_or(self.floor, |(id, _)| *id)
    }

    /// Whether `id` is new: not handled, not in flight (below the floor: one it skipped and
    /// that came late). A new id is now in flight.
    pub fn admit(&mut self, id: i64) -> bool {
        let new = if id < self.floor { self.skipped.remove(&id) } else { !self.seen.contains_key(&id) };
        if new {
            self.seen.insert(id, false);
        }
        new
    }

    /// Marks `id` handled; returns whether the offset moved.
    pub fn complete(&mut self, id: i64) -> bool {
        let before = self.offset();
        if let Some(done) = self.seen.get_mut(&id) {
            *done = true;
        }
        while let Some(entry) = self.seen.first_entry() {
            if !*entry.get() {
                break;
            }
            let done = *entry.key();
            entry.remove();
            if done < self.floor {
                continue; // a late one, below the floor already
            }
            if self.posted {
                // Those within MAX_SKIPPED of the new floor.
                self.skipped.extend((done + 1 - MAX_SKIPPED).max(self.floor)..done);
            }
            self.floor = done + 1;
        }
        while self.skipped.first().is_some_and(|oldest| *oldest < self.floor - MAX_SKIPPED) {
            self.skipped.pop_first();
        }
        self.offset() != before
    }

    /// Whether `id` was handled: admitted and completed, or below the floor, not skipped and
    /// not in flight.
    pub fn is_done(&self, id: i64) -> bool {
        self.seen.get(&id).copied().unwrap_or(id < self.floor && !self.skipped.contains(&id))
    }

    /// Updates admitted and not yet handled.
    pub fn in_flight(&self) -> usize {
        self.seen.values().filter(|done| !**done).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_waits_for_the_lowest_update_in_flight() {
        let mut w = Watermark::new(100);
        assert_eq!(w.offset(), 100);
        assert!(w.admit(100) && w.admit(101) && w.admit(103));
        assert!(!w.admit(101), "in flight");
        assert!(!w.is_done(101) && w.is_done(99) && !w.is_done(102));
        assert!(!w.admit(99), "below the floor");
        assert_eq!(w.offset(), 100);
        assert!(!w.complete(101));
        assert!(!w.complete(103));
        assert_eq!(w.offset(), 100);
        assert!(!w.admit(103), "handled, not yet confirmable");
        assert!(w.complete(100));
        assert_eq!(w.offset(), 104, "gaps in ids are skipped");
        assert!(w.is_done(101) && w.is_done(103));
        assert_eq!(w.in_flight(), 0);
        assert!(!w.admit(103));
        assert!(w.admit(104));
        assert_eq!(w.in_flight(), 1);
    }

    #[test]
    fn a_resumed_webhook_awaits_what_the_last_run_did_not_settle() {
        // The last run handled 1498 and 1500 and parked 1497; 1499 was on its way.
        let mut w = Watermark::posted_resumed(1501, [1497, 1498, 1500, 1600]);
        assert!(w.is_done(1500) && w.is_done(1498) && w.is_done(1497));
        assert!(!w.is_done(1499) && !w.is_done(501), "awaited");
        assert!(w.is_done(500), "more than MAX_SKIPPED below: confirmed long ago");
        assert!(!w.admit(1500) && !w.admit(1497), "settled by the last run");
        assert!(w.admit(1499), "late, not lost");
        assert_eq!(w.offset(), 1499);
        w.complete(1499);
        assert!(w.is_done(1499) && !w.admit(1499));
        assert_eq!(w.offset(), 1501);
        // A first start has nothing below.
        let w = Watermark::posted_resumed(0, []);
        assert!(w.is_done(-1) && w.offset() == 0);
    }

    #[test]
    fn a_posted_update_arriving_after_higher_ones_is_still_handled() {
        for posted in [false, true] {
            let mut w = if posted { Watermark::posted(100) } else { Watermark::new(100) };
            // 100 and 102 come first; 101 is on its way (a webhook's connections).
            assert!(w.admit(100) && w.admit(102));
            assert!(!w.complete(102));
            assert!(w.complete(100));
            assert_eq!(w.offset(), 103, "the floor moved past 101");
            if !posted {
                assert!(!w.admit(101), "polling: a gap for good");
                continue;
            }
            assert!(!w.is_done(101), "not handled");
            assert!(w.admit(101), "late, not lost");
            assert!(!w.is_done(101), "in flight, not yet committed");
            assert!(!w.admit(101), "once");
            assert_eq!(w.offset(), 101);
            w.complete(101);
            assert!(w.is_done(101));
            assert!(!w.admit(101), "delivered again: recognised");
            assert!(!w.admit(102) && !w.admit(100));
            assert_eq!(w.offset(), 103, "back to the floor");
            assert_eq!(w.in_flight(), 0);
        }
    }

    #[test]
    fn a_webhook_keeps_waiting_for_a_bounded_number_of_skipped_ids() {
        let mut w = Watermark::posted(0);
        // A jump (the first update after a start, say) keeps only the nearest below it.
        assert!(w.admit(1_000_000));
        w.complete(1_000_000);
        assert_eq!(w.offset(), 1_000_001);
        assert!(!w.is_done(999_999) && !w.is_done(1_000_001 - MAX_SKIPPED));
        assert!(w.is_done(1_000_000 - MAX_SKIPPED), "too old to wait for");
        assert!(w.admit(999_999));
        assert_eq!(w.offset(), 999_999, "in flight");
        w.complete(999_999);
        assert_eq!(w.offset(), 1_000_001, "a late one leaves the floor where it was");
        assert!(w.is_done(999_999) && !w.admit(999_999));
        // As the floor moves on, the oldest are let go.
        assert!(w.admit(1_000_000 + MAX_SKIPPED));
        w.complete(1_000_000 + MAX_SKIPPED);
        assert!(w.is_done(999_998), "let go");
        assert!(!w.admit(999_998));
        assert!(w.skipped.len() as i64 <= MAX_SKIPPED);
    }
}
