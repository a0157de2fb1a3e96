//! Undoing one's last entry in a challenge: asked first, then removed if it is still the last.

use super::payload::Action;
use super::progress::{entry_phrase, progress_label};
use super::reply::{Reply, Text};
use super::screens::{button, progress_lines};
use super::{Conversation, Ctx, Next, Outcome, Screen, Turn};
use crate::challenge::ChallengeId;
use crate::goal::Goal;

impl Conversation {
    pub(super) async fn undo(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.open_challenge(id).await?;
        let entries = self.app.progress(id, ctx.user).await?;
        let next = Next::Set(Screen::ViewChallengeOptions { challenge: id, page: 0 }.into());
        let Some(last) = entries.iter().max_by_key(|e| e.id) else {
            let reply = Reply::new(
                Text::new().plain("You have no entries to undo in ").user(challenge.name.as_str()).plain("."),
            )
            .row(vec![
                button(progress_label(challenge.goal_kind), Action::Progress { challenge: id }),
                button("Back to challenge", Action::Open { challenge: id, page: 0 }),
            ]);
            return Ok(Outcome::one(reply, next));
        };
        let text = entry_phrase(
            Text::new().plain("Remove your last entry, "),
            last.value,
            challenge.unit.as_ref(),
            last.date.date(),
            ctx.today,
        )
        .plain(", from ")
        .user(challenge.name.as_str())
        .plain("?");
        let reply = Reply::new(text).row(vec![
            button("Yes, remove it", Action::UndoConfirm { challenge: id, entry: last.id }),
            button("No, keep it", Action::Open { challenge: id, page: 0 }),
        ]);
        Ok(Outcome::one(reply, next))
    }

    pub(super) async fn undo_confirm(&self, ctx: &Ctx<'_>, id: ChallengeId, entry: i64) -> Turn {
        let crate::goal::Membership { challenge, participant, .. } =
            self.app.open_membership(id, ctx.user).await?;
        let entries = self.app.progress(id, ctx.user).await?;
        if entries.iter().map(|e| e.id).max() != Some(entry) {
            let note = Text::new().italic("That entry is no longer your last one, so nothing was removed.");
            return Ok(self.open(ctx, id, 0).await?.note(note));
        }
        let Some((removed, tally)) = self.app.undo_last(id, ctx.user).await? else {
            return Ok(self.open(ctx, id, 0).await?.note(Text::new().italic("There was nothing to undo.")));
        };
        let goal = Goal::from_stored(challenge.goal_kind, participant.goal);
        let unit = challenge.unit.as_ref();
        let removed_text =
            entry_phrase(Text::new(), removed.value, unit, removed.date.date(), ctx.today).to_plain();
        let text = entry_phrase(
            Text::new().plain("↩️ Removed "),
            removed.value,
            unit,
            removed.date.date(),
            ctx.today,
        )
        .plain(".\n\n")
        .user_bold(challenge.name.as_str())
        .plain(": ");
        let text = progress_lines(text, goal, unit, &tally);
        let reply = Reply::new(text)
            .row(vec![
                button(progress_label(challenge.goal_kind), Action::Progress { challenge: id }),
                button("Back to challenge", Action::Open { challenge: id, page: 0 }),
            ])
            .row(vec![button("Main menu", Action::Menu)])
            .effect(format!("Removed {removed_text} from {}", challenge.name));
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeOptions { challenge: id, page: 0 }.into())))
    }
}
