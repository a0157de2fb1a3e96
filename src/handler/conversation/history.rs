//! A person's entries in a challenge (`VIEW_CHALLENGE_HISTORY`), newest first and paged, and
//! changing one: its value (`EDIT_ENTRY_VALUE`), its date (`EDIT_ENTRY_DATE`), or deleting it
//! after a confirmation.
//!
//! Every button carries only the entry's id: the entry is looked up again and must still be the
//! person's own, in a challenge that still takes entries. The store re-judges the person (tally,
//! standing, completion) in the same transaction as the change.

use chrono::NaiveDate;

use super::answers::parse_amount_for;
use super::payload::Action;
use super::progress::entry_phrase;
use super::reply::{Expect, Reply, Text};
use super::screens::{self, PAGE_SIZE, button, nav_row, page_heading, progress_lines, quantity_label};
use super::{Conversation, Ctx, Next, Outcome, Question, Screen, Turn};
use crate::challenge::{Challenge, ChallengeId};
use crate::clock::parse_date;
use crate::handler::app::{AppError, EntryChanged};
use crate::progress::ProgressEntry;
use crate::repository::Page;

/// The questions of this flow.
pub(super) fn question(asked: &Question, today: NaiveDate) -> Reply {
    match asked {
        Question::EditEntryValue { entry, unit, .. } => Reply::new(
            Text::new().plain("Type the new value").append(screens::amount_hint(unit.as_ref())).plain("."),
        )
        .row(vec![button("Cancel", Action::Entry { entry: *entry, page: 0 })])
        .expecting(Expect::Number),
        Question::EditEntryDate { entry, first, last, .. } => Reply::new(
            Text::new().plain("Which day is it for? ").plain(screens::day_prompt(*first, *last, today)),
        )
        .row(vec![button("Cancel", Action::Entry { entry: *entry, page: 0 })])
        .expecting(Expect::Date),
        other => unreachable!("{} is not a question of the history flow", other.name()),
    }
}

/// A button label for an entry: "Mon 30 Nov · 5 km" or "Mon 30 Nov · check-in".
fn entry_label(challenge: &Challenge, entry: &ProgressEntry) -> String {
    let what = match entry.value {
        Some(v) => quantity_label(v, challenge.unit.as_ref()),
        None => "check-in".to_owned(),
    };
    format!("{} · {what}", crate::clock::friendly_date(entry.date.date()))
}

impl Conversation {
    /// One page of the person's entries, newest first, each a button to change it.
    pub(super) async fn history(&self, ctx: &Ctx<'_>, id: ChallengeId, page: u32) -> Turn {
        let mut page = page;
        let (challenge, mut list) =
            self.app.history(id, ctx.user, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        if list.items.is_empty() && page > 0 && list.total > 0 {
            page = screens::pages(list.total) - 1;
            (_, list) = self.app.history(id, ctx.user, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        }
        let heading = Text::new().bold("Your entries in ").user_bold(challenge.name.as_str());
        let mut text = page_heading(heading, page, list.total);
        let open = challenge.accepts_entries(self.app.today_of(&challenge));
        let mut reply = if list.total == 0 {
            Reply::new(text.plain("\n\nNo entries yet."))
        } else {
            text = text.plain(if open {
                "\n\nNewest first. Choose one to change its value or date, or to delete it."
            } else {
                "\n\nNewest first. The challenge is over, so its entries can no longer be changed."
            });
            for entry in &list.items {
                text = entry_phrase(
                    text.plain("\n• "),
                    entry.value,
                    challenge.unit.as_ref(),
                    entry.date.date(),
                    ctx.today,
                );
            }
            let mut reply = Reply::new(text);
            if open {
                for pair in list.items.chunks(2) {
                    reply = reply.row(
                        pair.iter()
                            .map(|e| button(entry_label(&challenge, e), Action::Entry { entry: e.id, page }))
                            .collect(),
                    );
                }
            }
            reply.row(nav_row(page, list.total, |page| Action::History { challenge: id, page }))
        };
        reply = reply.row(vec![button("Back to challenge", Action::Open { challenge: id, page: 0 })]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeHistory { challenge: id, page }.into())))
    }

    /// One entry and what can be done with it.
    pub(super) async fn entry(&self, ctx: &Ctx<'_>, entry: i64, page: u32) -> Turn {
        let (challenge, found) = self.app.own_entry(ctx.user, entry).await?;
        let id = challenge.id;
        let text = entry_phrase(
            Text::new().plain("Your entry in ").user_bold(challenge.name.as_str()).plain(": "),
            found.value,
            challenge.unit.as_ref(),
            found.date.date(),
            ctx.today,
        )
        .plain(".");
        let mut reply = Reply::new(text);
        if challenge.accepts_entries(self.app.today_of(&challenge)) {
            let mut row = Vec::new();
            if challenge.goal_kind.takes_values() {
                row.push(button("Change value", Action::EntryValue { entry }));
            }
            row.push(button("Change date", Action::EntryDate { entry }));
            row.push(button("Delete", Action::EntryDelete { entry }));
            reply = reply.row(row);
        }
        let reply = reply.row(vec![button("Back to entries", Action::History { challenge: id, page })]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeHistory { challenge: id, page }.into())))
    }

    /// "Change value" / "Change date": asks for it.
    pub(super) async fn start_entry_edit(&self, ctx: &Ctx<'_>, entry: i64, value: bool) -> Turn {
        let (challenge, _) = self.app.own_entry(ctx.user, entry).await?;
        self.app.ensure_open(&challenge)?;
        let next = if value && challenge.goal_kind.takes_values() {
            Question::EditEntryValue { entry, challenge: challenge.id, unit: challenge.unit.clone() }
        } else {
            let last = ctx.today.min(challenge.deadline);
            Question::EditEntryDate {
                entry,
                challenge: challenge.id,
                first: challenge.start_date.min(last),
                last,
            }
        };
        Ok(self.ask(ctx, next))
    }

    pub(super) async fn answer_entry_edit(&self, ctx: &Ctx<'_>, asked: &Question, text: &str) -> Turn {
        let (entry, value, date) = match asked {
            Question::EditEntryValue { entry, unit, .. } => match parse_amount_for(unit.as_ref(), text) {
                Ok(value) => (*entry, Some(value), None),
                Err(message) => return self.ask_again(ctx, asked, &message),
            },
            Question::EditEntryDate { entry, .. } => match parse_date(text, ctx.today) {
                Ok(date) => (*entry, None, Some(date)),
                Err(e) => return self.ask_again(ctx, asked, &e.to_string()),
            },
            _ => return self.ask_again(ctx, asked, "Please answer the question."),
        };
        match self.app.edit_entry(ctx.user, entry, value, date).await {
            Ok(changed) => Ok(self.changed(ctx, &changed, EntryChange::Edited)),
            // A date outside the challenge, or a day already checked in: ask again.
            Err(e @ (AppError::Invalid(_) | AppError::AlreadyCheckedIn { .. })) => {
                self.ask_again(ctx, asked, &e.to_string())
            }
            Err(e) => Err(e),
        }
    }

    /// "Delete": asks first.
    pub(super) async fn entry_delete(&self, ctx: &Ctx<'_>, entry: i64) -> Turn {
        let (challenge, found) = self.app.own_entry(ctx.user, entry).await?;
        self.app.ensure_open(&challenge)?;
        let text = entry_phrase(
            Text::new().plain("Delete "),
            found.value,
            challenge.unit.as_ref(),
            found.date.date(),
            ctx.today,
        )
        .plain(" from ")
        .user(challenge.name.as_str())
        .plain("? This cannot be undone.");
        let reply = Reply::new(text).row(vec![
            button("Yes, delete it", Action::EntryDeleteConfirm { entry }),
            button("No, keep it", Action::Entry { entry, page: 0 }),
        ]);
        let next = Screen::ViewChallengeHistory { challenge: challenge.id, page: 0 };
        Ok(Outcome::one(reply, Next::Set(next.into())))
    }

    pub(super) async fn entry_delete_confirm(&self, ctx: &Ctx<'_>, entry: i64) -> Turn {
        self.delete_entry(ctx, entry, EntryChange::Deleted).await
    }

    /// Deletes one of the person's entries: after the list's confirmation, or "↩️ Undo" on the
    /// confirmation of logging it.
    pub(super) async fn delete_entry(&self, ctx: &Ctx<'_>, entry: i64, how: EntryChange) -> Turn {
        let changed = match self.app.delete_entry(ctx.user, entry).await {
            Ok(changed) => changed,
            // Pressed twice, or deleted elsewhere meanwhile: nothing left to do.
            Err(AppError::EntryNotFound(_)) => {
                return Ok(Outcome::main(Some(Text::new().italic("That entry is already gone."))));
            }
            Err(e) => return Err(e),
        };
        Ok(self.changed(ctx, &changed, how))
    }

    /// What changed, and where the person stands now.
    fn changed(&self, ctx: &Ctx<'_>, changed: &EntryChanged, how: EntryChange) -> Outcome {
        let EntryChanged { challenge, goal, before, rejudged, was_met } = changed;
        let unit = challenge.unit.as_ref();
        let id = challenge.id;
        let was = entry_phrase(Text::new(), before.value, unit, before.date.date(), ctx.today);
        let (head, summary) = match how {
            EntryChange::Deleted => {
                (Text::new().plain("🗑 Deleted ").append(was.clone()), format!("Deleted {}", was.to_plain()))
            }
            EntryChange::Undone => (
                Text::new().plain("↩️ Took back ").append(was.clone()),
                format!("Took back {}", was.to_plain()),
            ),
            EntryChange::Edited => {
                let now = &rejudged.entry;
                let is = entry_phrase(Text::new(), now.value, unit, now.date.date(), ctx.today);
                (
                    Text::new().plain("✏️ Changed ").append(was.clone()).plain(" to ").append(is.clone()),
                    format!("Changed {} to {}", was.to_plain(), is.to_plain()),
                )
            }
        };
        let text = head.plain(" in ").user_bold(challenge.name.as_str()).plain(".\n\nYour progress: ");
        let mut text = progress_lines(text, *goal, unit, &rejudged.tally);
        match (*was_met, rejudged.completed_at.is_some()) {
            (true, false) => text = text.plain("\n\nYour goal is no longer met."),
            (false, true) => text = text.plain("\n\n✅ Your goal is met."),
            _ => {}
        }
        let reply = Reply::new(text).effect(format!("{summary} in {}", challenge.name));
        if how == EntryChange::Undone {
            // Undone from the daily path: back to it, not to the list of entries.
            let again = if challenge.goal_kind.takes_values() { "Log again" } else { "Check in again" };
            let reply = reply
                .row(vec![
                    button(again, Action::QuickLog { challenge: id }),
                    button("Back to challenge", Action::Open { challenge: id, page: 0 }),
                ])
                .row(vec![button("Main menu", Action::Menu)]);
            return Outcome::one(reply, Next::Main);
        }
        let reply = reply.row(vec![
            button("Back to entries", Action::History { challenge: id, page: 0 }),
            button("Back to challenge", Action::Open { challenge: id, page: 0 }),
        ]);
        Outcome::one(reply, Next::Set(Screen::ViewChallengeHistory { challenge: id, page: 0 }.into()))
    }
}

/// What happened to an entry, for the answer's wording and where it leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EntryChange {
    Edited,
    Deleted,
    /// "↩️ Undo" on the confirmation of logging it.
    Undone,
}
