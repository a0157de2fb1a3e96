//! Which updates may be confirmed: all below the lowest one still being handled.
//!
//! Updates are handled out of order (different users at once), but Telegram confirms by offset:
//! `getUpdates(offset = n)` confirms every update below `n`. So the offset asked for is the lowest
//! update still in flight, or one past the highest handled when none is. Updates at or above it
//! that come again (Telegram redelivers everything unconfirmed) are recognised and not handled
//! twice.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Watermark {
    /// Every update below this was handled.
    floor: i64,
    /// Updates at or above `floor` that were admitted: `true` once handled.
    seen: BTreeMap<i64, bool>,
}

impl Watermark {
    /// Starts with every update below `floor` known to be handled.
    pub fn new(floor: i64) -> Watermark {
        Watermark { floor, seen: BTreeMap::new() }
    }

    /// The offset to ask for: the lowest update in flight, or past everything handled.
    pub fn offset(&self) -> i64 {
        self.seen.first_key_value().map_or(self.floor, |(id, _)| *id)
    }

    /// Whether `id` is new: not handled, not in flight. A new id is now in flight.
    pub fn admit(&mut self, id: i64) -> bool {
        if id < self.floor || self.seen.contains_key(&id) {
            return false;
        }
        self.seen.insert(id, false);
        true
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
            self.floor = self.floor.max(*entry.key() + 1);
            entry.remove();
        }
        self.offset() != before
    }

    /// Whether `id` was handled: below the floor, or admitted and completed.
    pub fn is_done(&self, id: i64) -> bool {
        id < self.floor || self.seen.get(&id).copied().unwrap_or(false)
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
}
