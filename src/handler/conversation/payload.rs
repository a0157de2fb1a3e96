//! Button payloads: what a button asks for, in a compact, versioned text that fits Telegram's
//! 64-byte callback data.
//!
//! Format: `v1:<tag>[:<field>…]`, fields separated by `:`; ids and pages are decimal without sign
//! or leading zeros. Examples: `v1:m` (main menu), `v1:j:123:2` (challenge 123, picked from page
//! 2 of the list), `v1:d:123:t` (log for today in challenge 123).
//!
//! Parsing is strict (exact tag, exact number of fields, canonical numbers) and a payload is only
//! a request: whoever pressed it, the conversation re-checks in the database that the challenge
//! exists, is active where it must be, and that the user may act on it. Payloads from old messages
//! keep working where they carry everything the action needs; answers to a question (Skip, a goal
//! kind, a day) also need the conversation to still be at that question.

use std::fmt::Write as _;

use crate::challenge::{ChallengeId, ReportReason};
use crate::goal::GoalKind;

/// Telegram's limit on callback data.
pub const MAX_PAYLOAD_BYTES: usize = 64;

const VERSION: &str = "v1";

/// The highest page number a payload may carry.
pub const MAX_PAGE: u32 = 100_000;

/// The most days ahead a deadline shortcut may carry (five years).
pub const MAX_DEADLINE_DAYS: u32 = 5 * 366;

/// Which day a progress entry is for, as chosen with a button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayChoice {
    Today,
    Yesterday,
    /// Ask for a typed date.
    Other,
}

/// What a button asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The main menu.
    Menu,
    /// Stop the current flow; back to the main menu.
    Cancel,
    /// Start creating a challenge.
    Create,
    /// Create flow: no description.
    SkipDescription,
    /// Create flow: a deadline this many days from today.
    DeadlineIn {
        days: u32,
    },
    /// Create flow: the goal's kind.
    Kind(GoalKind),
    /// The active challenges the user has not joined, one page of them.
    Browse {
        page: u32,
    },
    /// One joinable challenge's details and the goal question (from `page` of the list).
    Pick {
        challenge: ChallengeId,
        page: u32,
    },
    /// Join with the challenge's default goal.
    JoinDefault {
        challenge: ChallengeId,
    },
    /// The user's challenges, one page of them.
    Mine {
        page: u32,
    },
    /// One of the user's challenges and what they can do with it (from `page` of their list).
    Open {
        challenge: ChallengeId,
        page: u32,
    },
    /// Log progress (or check in).
    Progress {
        challenge: ChallengeId,
    },
    /// The day of the progress being logged.
    Day {
        challenge: ChallengeId,
        day: DayChoice,
    },
    /// Change the user's goal.
    Goal {
        challenge: ChallengeId,
    },
    Leaderboard {
        challenge: ChallengeId,
    },
    /// Ask whether to remove the last entry.
    Undo {
        challenge: ChallengeId,
    },
    /// Remove the last entry, if it is still entry `entry`.
    UndoConfirm {
        challenge: ChallengeId,
        entry: i64,
    },
    /// The user's ended challenges with their final standings, one page of them.
    Ended {
        page: u32,
    },
    /// The user's entries in a challenge, newest first, one page of them.
    History {
        challenge: ChallengeId,
        page: u32,
    },
    /// One of the user's entries and what can be done with it (from `page` of the history).
    Entry {
        entry: i64,
        page: u32,
    },
    /// Ask for an entry's new value.
    EntryValue {
        entry: i64,
    },
    /// Ask for an entry's new date.
    EntryDate {
        entry: i64,
    },
    /// Ask whether to delete an entry.
    EntryDelete {
        entry: i64,
    },
    /// Delete the entry.
    EntryDeleteConfirm {
        entry: i64,
    },
    /// The creator's options for their challenge.
    Manage {
        challenge: ChallengeId,
    },
    /// Ask for a new name.
    Rename {
        challenge: ChallengeId,
    },
    /// Ask for a new description.
    Describe {
        challenge: ChallengeId,
    },
    /// Remove the description.
    ClearDescription {
        challenge: ChallengeId,
    },
    /// Ask for a new deadline.
    MoveDeadline {
        challenge: ChallengeId,
    },
    /// Ask whether to delete the challenge.
    DeleteChallenge {
        challenge: ChallengeId,
    },
    DeleteChallengeConfirm {
        challenge: ChallengeId,
    },
    /// Ask whether to leave the challenge.
    Leave {
        challenge: ChallengeId,
    },
    LeaveConfirm {
        challenge: ChallengeId,
    },
    /// One tap from the main menu: log for today (ask the number, or check in at once).
    QuickLog {
        challenge: ChallengeId,
    },
    /// Log the typed number waiting for a challenge in this one.
    LogFor {
        challenge: ChallengeId,
    },
    /// Take back a just-logged entry.
    UndoEntry {
        entry: i64,
    },
    /// A challenge's chart: everyone's standings, or (`personal`) the person's own entries.
    Chart {
        challenge: ChallengeId,
        personal: bool,
    },
    /// Everyone's entries in a challenge as a file (for its creator).
    ExportChallenge {
        challenge: ChallengeId,
    },
    /// A challenge's invite link, to pass on.
    Invite {
        challenge: ChallengeId,
    },
    /// Replace the invite link (the creator).
    RevokeInvite {
        challenge: ChallengeId,
    },
    /// Make a challenge public or private (the creator).
    SetVisibility {
        challenge: ChallengeId,
        public: bool,
    },
    /// A page of the challenges found by the search the user typed (kept in their state).
    SearchPage {
        page: u32,
    },
    /// Mute (or hear again) the news of a challenge.
    MuteNews {
        challenge: ChallengeId,
        muted: bool,
    },
    /// In a group: join its challenge with the default goal (whoever pressed).
    GroupJoin {
        challenge: ChallengeId,
    },
    /// In a group: its challenge's standings, as a message in the group.
    GroupBoard {
        challenge: ChallengeId,
    },
    /// In a group: the group's challenges.
    GroupList,
    /// In a group: ask whether to delete its challenge (the creator or an admin).
    GroupDelete {
        challenge: ChallengeId,
    },
    /// In a group: delete it.
    GroupDeleteConfirm {
        challenge: ChallengeId,
    },
    /// Delete everything kept about the person (after `/deleteme` asked).
    DeleteMeConfirm,
    /// Report a challenge: the reasons to choose from.
    Report {
        challenge: ChallengeId,
    },
    /// Report it for this reason.
    ReportFor {
        challenge: ChallengeId,
        reason: ReportReason,
    },
    /// The creator: the participants, one page of them, each with a remove button.
    Members {
        challenge: ChallengeId,
        page: u32,
    },
    /// The creator: ask whether to remove a participant.
    RemoveMember {
        challenge: ChallengeId,
        user: i64,
    },
    /// The creator: remove them.
    RemoveMemberConfirm {
        challenge: ChallengeId,
        user: i64,
    },
    /// The creator: hide a participant's name in the challenge ("Participant N"), or show it
    /// again; back to that page of the participants.
    HideName {
        challenge: ChallengeId,
        user: i64,
        hidden: bool,
        page: u32,
    },
    /// `/settings`: the person's time zone and reminders.
    Settings,
    /// The time zones to pick from (or type one).
    ZoneMenu,
    /// Pick the time zone at this place of `settings::ZONES`.
    ZonePick {
        index: u32,
    },
    /// The daily reminder: its hour and the challenges it covers.
    Reminders,
    /// Remind daily at this many minutes after midnight.
    RemindAt {
        minutes: u32,
    },
    /// Ask to type the reminder's time.
    RemindTyped,
    /// Turn reminders off.
    RemindersOff,
    /// Add a challenge to those the reminder covers, or take it out.
    RemindToggle {
        challenge: ChallengeId,
    },
    /// The creator: start the next round of an ended challenge.
    NextRound {
        challenge: ChallengeId,
    },
    /// The creator: close the challenge to new participants, or open it again.
    SetClosed {
        challenge: ChallengeId,
        closed: bool,
    },
}

impl Action {
    /// Whether the action is one of a group's buttons (pressed in the group, about the group's
    /// challenges); the others belong to a private chat.
    pub fn is_group(&self) -> bool {
        matches!(
            self,
            Action::GroupJoin { .. }
                | Action::GroupBoard { .. }
                | Action::GroupList
                | Action::GroupDelete { .. }
                | Action::GroupDeleteConfirm { .. }
        )
    }
}

/// Why a payload was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("payload longer than {MAX_PAYLOAD_BYTES} bytes")]
    TooLong,
    #[error("payload of an unknown version")]
    UnknownVersion,
    #[error("malformed payload")]
    Malformed,
}

fn kind_code(kind: GoalKind) -> char {
    match kind {
        GoalKind::Total => 't',
        GoalKind::AtLeast => 'l',
        GoalKind::AtMost => 'm',
        GoalKind::Days => 'd',
    }
}

fn day_code(day: DayChoice) -> char {
    match day {
        DayChoice::Today => 't',
        DayChoice::Yesterday => 'y',
        DayChoice::Other => 'o',
    }
}

impl Action {
    /// The payload of a button for this action.
    pub fn encode(self) -> String {
        let mut s = String::with_capacity(24);
        s.push_str(VERSION);
        s.push(':');
        // Writing to a String cannot fail.
        let _ = match self {
            Action::Menu => write!(s, "m"),
            Action::Cancel => write!(s, "x"),
            Action::Create => write!(s, "c"),
            Action::SkipDescription => write!(s, "s"),
            Action::DeadlineIn { days } => write!(s, "dl:{days}"),
            Action::Kind(kind) => write!(s, "k:{}", kind_code(kind)),
            Action::Browse { page } => write!(s, "b:{page}"),
            Action::Pick { challenge, page } => write!(s, "j:{}:{page}", challenge.0),
            Action::JoinDefault { challenge } => write!(s, "jd:{}", challenge.0),
            Action::Mine { page } => write!(s, "my:{page}"),
            Action::Open { challenge, page } => write!(s, "o:{}:{page}", challenge.0),
            Action::Progress { challenge } => write!(s, "p:{}", challenge.0),
            Action::Day { challenge, day } => write!(s, "d:{}:{}", challenge.0, day_code(day)),
            Action::Goal { challenge } => write!(s, "g:{}", challenge.0),
            Action::Leaderboard { challenge } => write!(s, "l:{}", challenge.0),
            Action::Undo { challenge } => write!(s, "u:{}", challenge.0),
            Action::UndoConfirm { challenge, entry } => write!(s, "uy:{}:{entry}", challenge.0),
            Action::Ended { page } => write!(s, "ee:{page}"),
            Action::History { challenge, page } => write!(s, "h:{}:{page}", challenge.0),
            Action::Entry { entry, page } => write!(s, "e:{entry}:{page}"),
            Action::EntryValue { entry } => write!(s, "ev:{entry}"),
            Action::EntryDate { entry } => write!(s, "ed:{entry}"),
            Action::EntryDelete { entry } => write!(s, "ex:{entry}"),
            Action::EntryDeleteConfirm { entry } => write!(s, "exy:{entry}"),
            Action::Manage { challenge } => write!(s, "mg:{}", challenge.0),
            Action::Rename { challenge } => write!(s, "mn:{}", challenge.0),
            Action::Describe { challenge } => write!(s, "md:{}", challenge.0),
            Action::ClearDescription { challenge } => write!(s, "mdc:{}", challenge.0),
            Action::MoveDeadline { challenge } => write!(s, "mt:{}", challenge.0),
            Action::DeleteChallenge { challenge } => write!(s, "mx:{}", challenge.0),
            Action::DeleteChallengeConfirm { challenge } => write!(s, "mxy:{}", challenge.0),
            Action::Leave { challenge } => write!(s, "lv:{}", challenge.0),
            Action::LeaveConfirm { challenge } => write!(s, "lvy:{}", challenge.0),
            Action::QuickLog { challenge } => write!(s, "q:{}", challenge.0),
            Action::LogFor { challenge } => write!(s, "lf:{}", challenge.0),
            Action::UndoEntry { entry } => write!(s, "ux:{entry}"),
            Action::Chart { challenge, personal: false } => write!(s, "ch:{}", challenge.0),
            Action::Chart { challenge, personal: true } => write!(s, "cp:{}", challenge.0),
            Action::ExportChallenge { challenge } => write!(s, "xc:{}", challenge.0),
            Action::Invite { challenge } => write!(s, "iv:{}", challenge.0),
            Action::RevokeInvite { challenge } => write!(s, "ivr:{}", challenge.0),
            Action::SetVisibility { challenge, public: true } => write!(s, "vp:{}", challenge.0),
            Action::SetVisibility { challenge, public: false } => write!(s, "vq:{}", challenge.0),
            Action::SearchPage { page } => write!(s, "sr:{page}"),
            Action::MuteNews { challenge, muted: true } => write!(s, "nm:{}", challenge.0),
            Action::MuteNews { challenge, muted: false } => write!(s, "nu:{}", challenge.0),
            Action::GroupJoin { challenge } => write!(s, "gj:{}", challenge.0),
            Action::GroupBoard { challenge } => write!(s, "gb:{}", challenge.0),
            Action::GroupList => write!(s, "gl"),
            Action::GroupDelete { challenge } => write!(s, "gd:{}", challenge.0),
            Action::GroupDeleteConfirm { challenge } => write!(s, "gdy:{}", challenge.0),
            Action::DeleteMeConfirm => write!(s, "dmy"),
            Action::Report { challenge } => write!(s, "rp:{}", challenge.0),
            Action::ReportFor { challenge, reason } => write!(s, "rr:{}:{}", challenge.0, reason.as_str()),
            Action::Members { challenge, page } => write!(s, "mb:{}:{page}", challenge.0),
            Action::RemoveMember { challenge, user } => write!(s, "rmv:{}:{user}", challenge.0),
            Action::RemoveMemberConfirm { challenge, user } => write!(s, "rmy:{}:{user}", challenge.0),
            Action::Settings => write!(s, "se"),
            Action::ZoneMenu => write!(s, "sz"),
            Action::ZonePick { index } => write!(s, "zp:{index}"),
            Action::Reminders => write!(s, "rs"),
            Action::RemindAt { minutes } => write!(s, "ra:{minutes}"),
            Action::RemindTyped => write!(s, "rt"),
            Action::RemindersOff => write!(s, "ro"),
            Action::RemindToggle { challenge } => write!(s, "rc:{}", challenge.0),
            Action::NextRound { challenge } => write!(s, "nr:{}", challenge.0),
            Action::HideName { challenge, user, hidden, page } => {
                write!(s, "{}:{}:{user}:{page}", if hidden { "hn" } else { "sn" }, challenge.0)
            }
            Action::SetClosed { challenge, closed: true } => write!(s, "jc:{}", challenge.0),
            Action::SetClosed { challenge, closed: false } => write!(s, "jo:{}", challenge.0),
        };
        assert!(s.len() <= MAX_PAYLOAD_BYTES, "payload {s:?} exceeds {MAX_PAYLOAD_BYTES} bytes");
        s
    }

    /// Reads a payload, strictly.
    pub fn decode(payload: &str) -> Result<Action, PayloadError> {
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(PayloadError::TooLong);
        }
        let mut fields = payload.split(':');
        match fields.next() {
            Some(VERSION) => {}
            Some(v) if v.starts_with('v') && v.len() > 1 && v[1..].bytes().all(|b| b.is_ascii_digit()) => {
                return Err(PayloadError::UnknownVersion);
            }
            _ => return Err(PayloadError::Malformed),
        }
        let tag = fields.next().ok_or(PayloadError::Malformed)?;
        let args: Vec<&str> = fields.collect();
        let bad = PayloadError::Malformed;
        let action = match (tag, args.as_slice()) {
            ("m", []) => Action::Menu,
            ("x", []) => Action::Cancel,
            ("c", []) => Action::Create,
            ("s", []) => Action::SkipDescription,
            ("dl", [days]) => {
                let days = number(days, u64::from(MAX_DEADLINE_DAYS)).ok_or(bad)? as u32;
                if days == 0 {
                    return Err(PayloadError::Malformed);
                }
                Action::DeadlineIn { days }
            }
            ("k", [kind]) => Action::Kind(match *kind {
                "t" => GoalKind::Total,
                "l" => GoalKind::AtLeast,
                "m" => GoalKind::AtMost,
                "d" => GoalKind::Days,
                _ => return Err(bad),
            }),
            ("b", [page]) => Action::Browse { page: page_number(page)? },
            ("j", [id, page]) => Action::Pick { challenge: challenge_id(id)?, page: page_number(page)? },
            ("jd", [id]) => Action::JoinDefault { challenge: challenge_id(id)? },
            ("my", [page]) => Action::Mine { page: page_number(page)? },
            ("o", [id, page]) => Action::Open { challenge: challenge_id(id)?, page: page_number(page)? },
            ("p", [id]) => Action::Progress { challenge: challenge_id(id)? },
            ("d", [id, day]) => Action::Day {
                challenge: challenge_id(id)?,
                day: match *day {
                    "t" => DayChoice::Today,
                    "y" => DayChoice::Yesterday,
                    "o" => DayChoice::Other,
                    _ => return Err(bad),
                },
            },
            ("g", [id]) => Action::Goal { challenge: challenge_id(id)? },
            ("l", [id]) => Action::Leaderboard { challenge: challenge_id(id)? },
            ("u", [id]) => Action::Undo { challenge: challenge_id(id)? },
            ("uy", [id, entry]) => {
                Action::UndoConfirm { challenge: challenge_id(id)?, entry: entry_id(entry)? }
            }
            ("ee", [page]) => Action::Ended { page: page_number(page)? },
            ("h", [id, page]) => Action::History { challenge: challenge_id(id)?, page: page_number(page)? },
            ("e", [entry, page]) => Action::Entry { entry: entry_id(entry)?, page: page_number(page)? },
            ("ev", [entry]) => Action::EntryValue { entry: entry_id(entry)? },
            ("ed", [entry]) => Action::EntryDate { entry: entry_id(entry)? },
            ("ex", [entry]) => Action::EntryDelete { entry: entry_id(entry)? },
            ("exy", [entry]) => Action::EntryDeleteConfirm { entry: entry_id(entry)? },
            ("mg", [id]) => Action::Manage { challenge: challenge_id(id)? },
            ("mn", [id]) => Action::Rename { challenge: challenge_id(id)? },
            ("md", [id]) => Action::Describe { challenge: challenge_id(id)? },
            ("mdc", [id]) => Action::ClearDescription { challenge: challenge_id(id)? },
            ("mt", [id]) => Action::MoveDeadline { challenge: challenge_id(id)? },
            ("mx", [id]) => Action::DeleteChallenge { challenge: challenge_id(id)? },
            ("mxy", [id]) => Action::DeleteChallengeConfirm { challenge: challenge_id(id)? },
            ("lv", [id]) => Action::Leave { challenge: challenge_id(id)? },
            ("lvy", [id]) => Action::LeaveConfirm { challenge: challenge_id(id)? },
            ("q", [id]) => Action::QuickLog { challenge: challenge_id(id)? },
            ("lf", [id]) => Action::LogFor { challenge: challenge_id(id)? },
            ("ux", [entry]) => Action::UndoEntry { entry: entry_id(entry)? },
            ("ch", [id]) => Action::Chart { challenge: challenge_id(id)?, personal: false },
            ("cp", [id]) => Action::Chart { challenge: challenge_id(id)?, personal: true },
            ("xc", [id]) => Action::ExportChallenge { challenge: challenge_id(id)? },
            ("iv", [id]) => Action::Invite { challenge: challenge_id(id)? },
            ("ivr", [id]) => Action::RevokeInvite { challenge: challenge_id(id)? },
            ("vp", [id]) => Action::SetVisibility { challenge: challenge_id(id)?, public: true },
            ("vq", [id]) => Action::SetVisibility { challenge: challenge_id(id)?, public: false },
            ("sr", [page]) => Action::SearchPage { page: page_number(page)? },
            ("nm", [id]) => Action::MuteNews { challenge: challenge_id(id)?, muted: true },
            ("nu", [id]) => Action::MuteNews { challenge: challenge_id(id)?, muted: false },
            ("gj", [id]) => Action::GroupJoin { challenge: challenge_id(id)? },
            ("gb", [id]) => Action::GroupBoard { challenge: challenge_id(id)? },
            ("gl", []) => Action::GroupList,
            ("gd", [id]) => Action::GroupDelete { challenge: challenge_id(id)? },
            ("gdy", [id]) => Action::GroupDeleteConfirm { challenge: challenge_id(id)? },
            ("dmy", []) => Action::DeleteMeConfirm,
            ("rp", [id]) => Action::Report { challenge: challenge_id(id)? },
            ("mb", [id, page]) => Action::Members { challenge: challenge_id(id)?, page: page_number(page)? },
            ("rmv", [id, user]) => {
                Action::RemoveMember { challenge: challenge_id(id)?, user: entry_id(user)? }
            }
            ("rmy", [id, user]) => {
                Action::RemoveMemberConfirm { challenge: challenge_id(id)?, user: entry_id(user)? }
            }
            (verb @ ("hn" | "sn"), [id, user, page]) => Action::HideName {
                challenge: challenge_id(id)?,
                user: entry_id(user)?,
                hidden: verb == "hn",
                page: page_number(page)?,
            },
            ("se", []) => Action::Settings,
            ("sz", []) => Action::ZoneMenu,
            ("zp", [index]) => Action::ZonePick { index: page_number(index)? },
            ("rs", []) => Action::Reminders,
            ("ra", [minutes]) => Action::RemindAt {
                minutes: number(minutes, 24 * 60 - 1).map(|n| n as u32).ok_or(PayloadError::Malformed)?,
            },
            ("rt", []) => Action::RemindTyped,
            ("ro", []) => Action::RemindersOff,
            ("rc", [id]) => Action::RemindToggle { challenge: challenge_id(id)? },
            ("nr", [id]) => Action::NextRound { challenge: challenge_id(id)? },
            ("jc", [id]) => Action::SetClosed { challenge: challenge_id(id)?, closed: true },
            ("jo", [id]) => Action::SetClosed { challenge: challenge_id(id)?, closed: false },
            ("rr", [id, reason]) => Action::ReportFor {
                challenge: challenge_id(id)?,
                reason: ReportReason::parse(reason).ok_or(PayloadError::Malformed)?,
            },
            _ => return Err(bad),
        };
        Ok(action)
    }
}

/// A canonical decimal number (no sign, no leading zeros) not above `max`.
fn number(text: &str, max: u64) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.len() <= 19
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return None;
    }
    text.parse::<u64>().ok().filter(|n| *n <= max)
}

fn challenge_id(text: &str) -> Result<ChallengeId, PayloadError> {
    match number(text, i64::MAX as u64) {
        Some(n) if n >= 1 => Ok(ChallengeId(n as i64)),
        _ => Err(PayloadError::Malformed),
    }
}

fn entry_id(text: &str) -> Result<i64, PayloadError> {
    challenge_id(text).map(|id| id.0)
}

fn page_number(text: &str) -> Result<u32, PayloadError> {
    number(text, u64::from(MAX_PAGE)).map(|n| n as u32).ok_or(PayloadError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_action(id: ChallengeId, page: u32) -> Vec<Action> {
        let mut all = vec![
            Action::Menu,
            Action::Cancel,
            Action::Create,
            Action::SkipDescription,
            Action::DeadlineIn { days: MAX_DEADLINE_DAYS },
            Action::Browse { page },
            Action::Pick { challenge: id, page },
            Action::JoinDefault { challenge: id },
            Action::Mine { page },
            Action::Open { challenge: id, page },
            Action::Progress { challenge: id },
            Action::Goal { challenge: id },
            Action::Leaderboard { challenge: id },
            Action::Undo { challenge: id },
            Action::UndoConfirm { challenge: id, entry: i64::MAX },
            Action::Ended { page },
            Action::History { challenge: id, page },
            Action::Entry { entry: i64::MAX, page },
            Action::EntryValue { entry: i64::MAX },
            Action::EntryDate { entry: i64::MAX },
            Action::EntryDelete { entry: i64::MAX },
            Action::EntryDeleteConfirm { entry: i64::MAX },
            Action::Manage { challenge: id },
            Action::Rename { challenge: id },
            Action::Describe { challenge: id },
            Action::ClearDescription { challenge: id },
            Action::MoveDeadline { challenge: id },
            Action::DeleteChallenge { challenge: id },
            Action::DeleteChallengeConfirm { challenge: id },
            Action::Leave { challenge: id },
            Action::LeaveConfirm { challenge: id },
            Action::QuickLog { challenge: id },
            Action::LogFor { challenge: id },
            Action::UndoEntry { entry: i64::MAX },
            Action::Chart { challenge: id, personal: false },
            Action::Chart { challenge: id, personal: true },
            Action::ExportChallenge { challenge: id },
            Action::Invite { challenge: id },
            Action::RevokeInvite { challenge: id },
            Action::SetVisibility { challenge: id, public: true },
            Action::SetVisibility { challenge: id, public: false },
            Action::SearchPage { page },
            Action::MuteNews { challenge: id, muted: true },
            Action::MuteNews { challenge: id, muted: false },
            Action::GroupJoin { challenge: id },
            Action::GroupBoard { challenge: id },
            Action::GroupList,
            Action::GroupDelete { challenge: id },
            Action::GroupDeleteConfirm { challenge: id },
            Action::DeleteMeConfirm,
            Action::Report { challenge: id },
            Action::Members { challenge: id, page },
            Action::RemoveMember { challenge: id, user: i64::MAX },
            Action::RemoveMemberConfirm { challenge: id, user: i64::MAX },
            Action::HideName { challenge: id, user: i64::MAX, hidden: true, page },
            Action::HideName { challenge: id, user: i64::MAX, hidden: false, page },
            Action::SetClosed { challenge: id, closed: true },
            Action::SetClosed { challenge: id, closed: false },
            Action::Settings,
            Action::ZoneMenu,
            Action::ZonePick { index: page },
            Action::Reminders,
            Action::RemindAt { minutes: 24 * 60 - 1 },
            Action::RemindTyped,
            Action::RemindersOff,
            Action::RemindToggle { challenge: id },
            Action::NextRound { challenge: id },
        ];
        all.extend(ReportReason::ALL.map(|reason| Action::ReportFor { challenge: id, reason }));
        all.extend(GoalKind::ALL.map(Action::Kind));
        all.extend(
            [DayChoice::Today, DayChoice::Yesterday, DayChoice::Other]
                .map(|day| Action::Day { challenge: id, day }),
        );
        all
    }

    #[test]
    fn every_action_round_trips_within_64_bytes() {
        for (id, page) in [(ChallengeId(1), 0), (ChallengeId(i64::MAX), MAX_PAGE)] {
            for action in every_action(id, page) {
                let payload = action.encode();
                assert!(payload.len() <= MAX_PAYLOAD_BYTES, "{payload}");
                assert_eq!(Action::decode(&payload), Ok(action), "{payload}");
            }
        }
        assert_eq!(Action::Pick { challenge: ChallengeId(123), page: 2 }.encode(), "v1:j:123:2");
    }

    #[test]
    fn refuses_anything_not_canonical() {
        for bad in [
            "",
            "v1",
            "v1:",
            "m",
            "v1:m:",
            "v1:m:1",
            "V1:m",
            " v1:m",
            "v1:m ",
            "v1:zz",
            "v1:j:123",
            "v1:j:123:2:3",
            "v1:j:0123:2",
            "v1:j:0:0",
            "v1:j:-5:0",
            "v1:j:+5:0",
            "v1:j:1.0:0",
            "v1:j:9223372036854775808:0",
            "v1:j:99999999999999999999:0",
            "v1:b:100001",
            "v1:b:01",
            "v1:k:x",
            "v1:k:total",
            "v1:d:1:today",
            "v1:dl:0",
            "v1:dl:1831",
            "v1:uy:1:0",
            "v1:e:0:0",
            "v1:e:1",
            "v1:exy:01",
            "v1:mg:",
            "v1:lvy:1:2",
            "v1:p:1\n",
            "v1:p:١",
            "v1:ch:1:p",
            "v1:cp:",
            "v1:xc:0",
            "v1:iv:",
            "v1:vp:1:1",
            "v1:sr:01",
            "v1:gl:1",
            "v1:gj:",
            "v1:gdy:0",
            "v1:dmy:1",
            "v1:rr:1:rude",
            "v1:rr:1",
            "v1:rmv:1:0",
            "v1:mb:1",
            "v1:jc:1:1",
        ] {
            assert!(Action::decode(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(Action::decode("v2:m"), Err(PayloadError::UnknownVersion));
        let long = format!("v1:p:1{}", "0".repeat(60));
        assert_eq!(Action::decode(&long), Err(PayloadError::TooLong));
    }
}
