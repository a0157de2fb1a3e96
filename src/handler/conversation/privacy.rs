//! `/privacy`: what the bot keeps about a person and why; `/deleteme`: deleting all of it, after
//! a confirmation that names what goes. And reporting a challenge (its reporters are never shown
//! to its creator).

use super::payload::Action;
use super::reply::{Reply, Text};
use super::screens::{button, name_label};
use super::{Conversation, Ctx, Next, Outcome, Turn};
use crate::challenge::{Challenge, ChallengeId, ReportReason};

/// What `/privacy` says (the README's "Privacy" section says the same).
pub(super) fn privacy() -> Reply {
    Reply::new(
        Text::new()
            .bold("🔒 What I keep about you")
            .plain(
                "\n• your Telegram id, and the name your profile shows (for leaderboards)\
                 \n• the challenges you create or join, your goals and every entry you log\
                 \n• your settings: your time zone, your daily reminder and the challenges it covers, the challenges whose news you muted\
                 \n• the challenges you reported, and why (never shown to their creators)\
                 \n• the challenges whose creator removed you (so that you cannot join them again)\
                 \n• for delivery only: messages waiting to be sent to you, and messages of yours waiting to be handled\
                 \n\nWhy: to run your challenges and show them to the people in them; nothing is shared with anyone else. \
                 My logs hold ids, never what you write or your name.\
                 \n\nHow long: until you delete it. Your entries in a challenge also go when its creator deletes it.\
                 \n\n/export sends you all your entries as a CSV file. /deleteme deletes everything I keep about you.",
            ),
    )
    .row(vec![button("Main menu", Action::Menu)])
}

/// "Run, Swim and Walk".
fn names(challenges: &[Challenge]) -> String {
    let names: Vec<String> = challenges.iter().map(|c| name_label(c.name.as_str())).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Conversation {
    /// `/deleteme`: what would go, and the button that does it.
    pub(super) async fn ask_delete_me(&self, ctx: &Ctx<'_>) -> Turn {
        let data = self.app.person_data(ctx.user).await?;
        let mut text =
            Text::new().bold("🗑 Delete everything I keep about you?").plain("\n\nThis removes, for good:");
        text = match data.participations {
            0 => text.plain("\n• your name and settings (you are in no challenge)"),
            n => text.plain(format!(
                "\n• your {} in {} {}, and your places on their leaderboards\n• your name and settings",
                match data.entries {
                    1 => "1 entry".to_owned(),
                    e => format!("{e} entries"),
                },
                n,
                if n == 1 { "challenge" } else { "challenges" }
            )),
        };
        if !data.shared.is_empty() {
            text = text.plain("\n• you as the creator of ").user(names(&data.shared)).plain(
                ": each goes to the person who joined it first after you (they will be told); the others keep their entries",
            );
        }
        if !data.alone.is_empty() {
            text = text.plain("\n• ").user(names(&data.alone)).plain(", which only you are in: deleted");
        }
        text = text.plain(
            "\n\nNothing of it can be brought back. Your Telegram account and this chat stay: send /start afterwards to begin afresh.",
        );
        let reply = Reply::new(text).row(vec![
            button("🗑 Yes, delete everything", Action::DeleteMeConfirm),
            button("Cancel", Action::Menu),
        ]);
        Ok(Outcome::one(reply, Next::Main))
    }

    /// Deletes it all; the new managers of shared challenges are told.
    pub(super) async fn delete_me(&self, ctx: &Ctx<'_>) -> Turn {
        let gone = self.app.delete_person(ctx.user).await?;
        // The name is stored again only if they come back.
        self.names.invalidate(&ctx.user.0).await;
        let d = &gone.deleted;
        let mut text = Text::new().bold("🗑 Done.").plain(format!(
            " I deleted your {} in {} {}, your name and your settings.",
            if d.entries == 1 { "1 entry".to_owned() } else { format!("{} entries", d.entries) },
            d.participations,
            if d.participations == 1 { "challenge" } else { "challenges" }
        ));
        if !d.handed_over.is_empty() {
            text = text.plain(format!(
                " {} you created {} a new manager.",
                if d.handed_over.len() == 1 { "The challenge" } else { "The challenges" },
                if d.handed_over.len() == 1 { "has" } else { "have" }
            ));
        }
        text = text.plain(" I know nothing more about you. Send /start whenever you want to begin afresh.");
        let mut replies = vec![Reply::new(text).notice()];
        for (challenge, heir) in &gone.handed_over {
            let news =
                Reply::new(Text::new().plain("👑 You now manage ").user_bold(challenge.name.as_str()).plain(
                    ": its creator left. You can change it, invite people or delete it from its screen.",
                ))
                .row(vec![button(
                    format!("Open {}", name_label(challenge.name.as_str())),
                    Action::Open { challenge: challenge.id, page: 0 },
                )])
                .news_for(*heir);
            replies.push(news);
        }
        Ok(Outcome::many(replies, Next::Main))
    }

    /// "🚩 Report": the reasons to choose from.
    pub(super) async fn report_reasons(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.challenge(id).await?;
        self.app.ensure_visible(&challenge, ctx.user).await?;
        let mut reply = Reply::new(
            Text::new()
                .plain("🚩 Why are you reporting ")
                .user_bold(challenge.name.as_str())
                .plain("? Its creator is not told who reported it."),
        );
        for reason in ReportReason::ALL {
            reply = reply.row(vec![button(reason.label(), Action::ReportFor { challenge: id, reason })]);
        }
        let reply = reply.row(vec![
            button("Back", Action::Pick { challenge: id, page: 0 }),
            button("Main menu", Action::Menu),
        ]);
        Ok(Outcome::one(reply, Next::Main))
    }

    /// A reason chosen: the report is recorded (once per person; a second one replaces it).
    pub(super) async fn report(&self, ctx: &Ctx<'_>, id: ChallengeId, reason: ReportReason) -> Turn {
        let (challenge, _) = self.app.report(ctx.user, id, reason).await?;
        let note = Text::new()
            .plain("🚩 Thanks: ")
            .user_bold(challenge.name.as_str())
            .plain(" is reported. I do not tell its creator who reported it; when several people do, it leaves the public list until an operator has looked at it.");
        Ok(Outcome::main(Some(note)))
    }
}
