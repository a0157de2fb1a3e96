//! Typed commands: `/start` (and `/menu`), `/log` (in [`super::quick`]), `/settings` (in
//! [`super::settings`]), `/export` (in
//! [`super::chart`]), `/privacy` and `/deleteme` (in [`super::privacy`]), `/help`, `/cancel`, and
//! the ones we do not know.

use super::reply::{Reply, Text};
use super::screens::{self, with_note};
use super::{Conversation, Ctx, Next, Outcome, State, Turn, question};
use crate::user::DisplayName;

impl Conversation {
    pub(super) async fn command(
        &self,
        ctx: &Ctx<'_>,
        name: &DisplayName,
        command: &str,
        arg: Option<&str>,
        state: Option<&State>,
    ) -> Turn {
        // `/start <payload>`: a deep link was opened (a group's "create" or "change my goal"
        // link, else an invite link, whose errors explain a malformed payload best).
        if command == "start"
            && let Some(payload) = arg
        {
            if let Some(turn) = self.start_payload(ctx, payload).await {
                return turn;
            }
            return self.open_invite(ctx, payload).await;
        }
        let asked = state.and_then(State::question).map(|q| question(q, ctx.today));
        Ok(match command {
            "start" | "menu" => Outcome::one(screens::welcome(name), Next::Main).with_menu(),
            "log" => return self.log_command(ctx, arg, state).await,
            "export" => return self.export_mine(ctx).await,
            "privacy" => Outcome::one(super::privacy::privacy(), Next::Main),
            "settings" => return self.settings(ctx).await,
            "deleteme" => return self.ask_delete_me(ctx).await,
            "help" => match asked {
                // Mid-question: explain, then ask again.
                Some(q) => Outcome::many(vec![Reply::new(screens::help()), q], Next::Keep),
                None => {
                    let mut help = Reply::new(screens::help());
                    help.buttons = screens::main_menu_rows();
                    Outcome::one(help, Next::Main).with_menu()
                }
            },
            "cancel" => {
                let note = match state {
                    Some(_) => Text::new().plain("Cancelled."),
                    None if ctx.expired => screens::expired_note(self.time_to_idle),
                    None => Text::new().plain("Nothing to cancel."),
                };
                Outcome::main(Some(note))
            }
            other => {
                let note = Text::new()
                    .italic(format!("I do not know the command /{}. ", crate::text::shown(other, 32)))
                    .italic(
                        "The commands are /start, /log, /settings, /export, /privacy, /help and /cancel.",
                    );
                match asked {
                    Some(q) => Outcome::one(with_note(q, note), Next::Keep),
                    None => Outcome::main(Some(note)),
                }
            }
        })
    }
}
