//! The daily path end to end (issue 11): the real binary against the fake Bot API, counting what
//! a person has to send from a fresh `/start` to log today's number (at most one tap and one typed
//! message) or to check in (one tap), when they are in one challenge and when they are in twelve.

mod bot_support;
mod storage_support;
mod support;

use bot_support::{Chat, TODAY, TOKEN, Workspace, wait_until_polling};
use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::{App, ChallengeDraft};
use challenge_bot::user::UserId;
use support::fake_telegram::FakeTelegram;

const ANN: i64 = 1;
const BOB: i64 = 2;
/// Creators of the other challenges.
const OTHERS: i64 = 500;

/// A person in their chat, who measures how many inputs a log takes.
struct Person<'a> {
    chat: Chat<'a>,
}

/// The most inputs [`Person::inputs_to_log`] tries before it gives up.
const PATIENCE: usize = 6;

impl<'a> Person<'a> {
    fn new(fake: &'a FakeTelegram, id: i64, name: &str) -> Person<'a> {
        Person { chat: Chat::new(fake, id, name) }
    }

    /// A fresh `/start`.
    async fn start(&self) {
        self.chat.say("/start").await;
        self.chat.expect(&["What would you like to do?"]).await;
    }

    /// Logs from where the chat is, the way a person in a hurry would, and counts the inputs
    /// until `challenge` has one more entry: each time, press `tap` if the newest message has
    /// it, else type `typed`; give up after [`PATIENCE`] inputs. What the bot shows decides the
    /// count: a screen in between is one more input, a button it does not show fails.
    async fn inputs_to_log(
        &self,
        workspace: &Workspace,
        challenge: ChallengeId,
        tap: Option<&str>,
        typed: Option<&str>,
    ) -> usize {
        let user = self.chat.id();
        let before = entries(workspace, challenge, user).await.len();
        for inputs in 0..=PATIENCE {
            if entries(workspace, challenge, user).await.len() > before {
                return inputs;
            }
            let newest = self.chat.messages().pop().expect("a message to answer");
            let has_tap = tap.is_some_and(|t| newest.inline_buttons().iter().any(|b| b.text == t));
            match (tap, typed) {
                (Some(label), _) if has_tap => self.chat.press(label).await,
                (_, Some(text)) => self.chat.say(text).await,
                _ => panic!("nothing to do with {:?} (wanted {tap:?})", newest.text),
            };
        }
        panic!("no entry in {challenge:?} after {PATIENCE} inputs; messages: {:#?}", self.chat.texts());
    }

    /// The one-tap buttons of the newest main menu, top to bottom.
    fn one_tap_buttons(&self) -> Vec<String> {
        let menu = self
            .chat
            .messages()
            .into_iter()
            .rev()
            .find(|m| m.text.contains("What would you like to do?"))
            .expect("a main menu");
        menu.inline_buttons()
            .into_iter()
            .map(|b| b.text)
            .filter(|label| ["➕ ", "✔️ ", "✅ "].iter().any(|mark| label.starts_with(mark)))
            .collect()
    }
}

/// The challenges and entries there are before the bot starts, written through the library.
struct Seed {
    /// The app a week ago, when the challenges were created and joined.
    week_ago: App,
    /// The app today.
    app: App,
    today: chrono::NaiveDate,
}

impl Seed {
    async fn open(workspace: &Workspace) -> Seed {
        let url = workspace.database_url.parse().unwrap();
        let today: chrono::NaiveDate = TODAY.parse().unwrap();
        let week_ago = today - chrono::Days::new(7);
        Seed {
            week_ago: App::new(challenge_bot::storage::connect(&url).await.unwrap(), Clock::Fixed(week_ago)),
            app: App::new(challenge_bot::storage::connect(&url).await.unwrap(), Clock::Fixed(today)),
            today,
        }
    }

    /// A challenge that started a week ago and runs for 30 more days, created by `creator`.
    async fn challenge(
        &self,
        creator: i64,
        name: &str,
        kind: GoalKind,
        goal: i64,
        unit: Option<&str>,
    ) -> ChallengeId {
        let draft = ChallengeDraft {
            name: ChallengeName::parse(name).unwrap(),
            description: Description::default(),
            deadline: self.today + chrono::Days::new(30),
            unit: unit.map(|u| Unit::parse(u).unwrap()),
            goal: Goal::new(kind, Amount::from_whole(goal)).unwrap(),
            visibility: challenge_bot::challenge::Visibility::Public,
        };
        self.week_ago.create_challenge(UserId(creator), draft).await.unwrap().id
    }

    async fn join(&self, challenge: ChallengeId, user: i64) {
        self.week_ago.join(challenge, UserId(user), None).await.unwrap();
    }

    /// Yesterday's number, logged behind the bot's back (the person's latest use).
    async fn log_yesterday(&self, challenge: ChallengeId, user: i64, value: i64) {
        let yesterday = self.today.pred_opt().unwrap();
        self.app
            .add_progress(challenge, UserId(user), Some(Amount::from_whole(value)), yesterday, None)
            .await
            .unwrap();
    }
}

/// The entries of `user` in `challenge`, as (date, value; `None` for a check-in), by date.
async fn entries(workspace: &Workspace, challenge: ChallengeId, user: i64) -> Vec<(String, Option<String>)> {
    let store = challenge_bot::storage::connect(&workspace.database_url.parse().unwrap()).await.unwrap();
    let app = App::new(store, Clock::Fixed(TODAY.parse().unwrap()));
    let mut found: Vec<(String, Option<String>)> = app
        .progress(challenge, UserId(user))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.date.date().to_string(), e.value.map(|a| a.to_string())))
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_path_in_one_challenge_is_a_tap_and_a_number_on_sqlite() {
    in_one_challenge(&Workspace::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_path_in_one_challenge_is_a_tap_and_a_number_on_postgres() {
    let (url, _guard) = storage_support::fresh_postgres_url().await;
    in_one_challenge(&Workspace::with_database(url)).await;
}

/// Ann runs (total, km); Bob meditates (days). Each is in one challenge.
async fn in_one_challenge(workspace: &Workspace) {
    let seed = Seed::open(workspace).await;
    let run = seed.challenge(ANN, "Run", GoalKind::Total, 100, Some("km")).await;
    let meditate = seed.challenge(BOB, "Meditate", GoalKind::Days, 20, None).await;
    drop(seed);
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;

    // Today's number: the menu's button, then the number.
    let ann = Person::new(&fake, ANN, "Ann");
    ann.start().await;
    assert_eq!(ann.one_tap_buttons(), ["➕ Run"]);
    assert_eq!(
        ann.inputs_to_log(workspace, run, Some("➕ Run"), Some("5")).await,
        2,
        "one tap and one number"
    );
    ann.chat.expect(&["✅ Logged 5 km for today in Run."]).await;
    assert_eq!(entries(workspace, run, ANN).await, [(TODAY.to_owned(), Some("5".into()))]);

    // In one challenge, a typed number from a fresh /start is already progress: one message,
    // and a day may come with it.
    ann.start().await;
    assert_eq!(ann.inputs_to_log(workspace, run, None, Some("2,5 km yesterday")).await, 1);
    ann.chat.expect(&["✅ Logged 2.5 km for yesterday in Run."]).await;
    assert_eq!(
        entries(workspace, run, ANN).await,
        [("2026-02-28".to_owned(), Some("2.5".into())), (TODAY.to_owned(), Some("5".into()))]
    );

    // The confirmation's buttons: "↩️ Undo" takes that entry back.
    ann.chat.press("↩️ Undo").await;
    ann.chat.expect(&["↩️ Took back 2.5 km yesterday in Run."]).await;
    assert_eq!(entries(workspace, run, ANN).await, [(TODAY.to_owned(), Some("5".into()))]);

    // A check-in: one tap.
    let bob = Person::new(&fake, BOB, "Bob");
    bob.start().await;
    assert_eq!(bob.one_tap_buttons(), ["✔️ Meditate"]);
    assert_eq!(bob.inputs_to_log(workspace, meditate, Some("✔️ Meditate"), None).await, 1, "one tap");
    bob.chat.expect(&["✅ Checked in for today in Meditate."]).await;
    assert_eq!(entries(workspace, meditate, BOB).await, [(TODAY.to_owned(), None)]);
    // The menu shows it done; "📅 Another day" moves the check-in to yesterday.
    bob.start().await;
    assert_eq!(bob.one_tap_buttons(), ["✅ Meditate"]);
    bob.chat.press("✅ Meditate").await;
    bob.chat.expect(&["Nothing was added."]).await;
    assert_eq!(entries(workspace, meditate, BOB).await.len(), 1, "one check-in a day");
    bob.chat.press("📅 Another day").await;
    bob.chat.say("yesterday").await;
    bob.chat.expect(&["yesterday", "Meditate"]).await;
    assert_eq!(entries(workspace, meditate, BOB).await, [("2026-02-28".to_owned(), None)]);

    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_path_in_twelve_challenges_is_still_a_tap_and_a_number() {
    let workspace = Workspace::sqlite();
    let seed = Seed::open(&workspace).await;
    // Twelve challenges by others, Ann joined to all of them, the days one among them.
    let mut challenges = Vec::new();
    for n in 0..12 {
        let (name, kind, goal, unit) = match n {
            5 => ("Stretch".to_owned(), GoalKind::Days, 10, None),
            _ => (format!("Challenge {n:02}"), GoalKind::Total, 100, Some("km")),
        };
        let id = seed.challenge(OTHERS + n, &name, kind, goal, unit).await;
        seed.join(id, ANN).await;
        challenges.push(id);
    }
    // Ann last used one of the first ones (on page 3 of a list sorted by id, ten a page apart).
    let used = challenges[2];
    seed.log_yesterday(used, ANN, 3).await;
    drop(seed);
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;

    let ann = Person::new(&fake, ANN, "Ann");
    ann.start().await;
    // Four one-tap buttons, the one she used last first, then the most recently joined.
    assert_eq!(
        ann.one_tap_buttons(),
        ["➕ Challenge 02", "➕ Challenge 11", "➕ Challenge 10", "➕ Challenge 09"]
    );
    assert!(ann.chat.find_button("My challenges").is_some(), "the rest are behind My challenges");
    assert_eq!(
        ann.inputs_to_log(&workspace, used, Some("➕ Challenge 02"), Some("7")).await,
        2,
        "one tap and one number, whatever the number of challenges"
    );
    ann.chat.expect(&["✅ Logged 7 km for today in Challenge 02."]).await;
    assert_eq!(
        entries(&workspace, used, ANN).await,
        [("2026-02-28".to_owned(), Some("3".into())), (TODAY.to_owned(), Some("7".into()))]
    );

    // With twelve, a typed number asks which challenge, the recently used first.
    ann.start().await;
    // (The menu has no "Challenge 02" button, only "➕ Challenge 02": the number is typed, and
    // the bot's question brings the button.)
    assert_eq!(ann.inputs_to_log(&workspace, used, Some("Challenge 02"), Some("4")).await, 2);
    ann.chat.expect(&["✅ Logged 4 km for today in Challenge 02."]).await;

    // The days challenge, once used, is one tap away as well.
    let stretch = challenges[5];
    ann.chat.say("/log").await;
    ann.chat.expect(&["Log for which challenge?"]).await;
    ann.chat.press("✔️ Stretch").await;
    ann.chat.expect(&["✅ Checked in for today in Stretch."]).await;
    ann.chat.press("📅 Another day").await;
    ann.chat.say("yesterday").await;
    ann.start().await;
    assert_eq!(ann.one_tap_buttons()[0], "✔️ Stretch", "not yet checked in today");
    assert_eq!(ann.inputs_to_log(&workspace, stretch, Some("✔️ Stretch"), None).await, 1);
    ann.chat.expect(&["✅ Checked in for today in Stretch."]).await;
    assert_eq!(
        entries(&workspace, stretch, ANN).await,
        [("2026-02-28".to_owned(), None), (TODAY.to_owned(), None)]
    );

    bot.stop().await;
}
