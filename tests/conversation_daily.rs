//! The daily path and motivation (issue 11), on the in-memory store, SQLite and PostgreSQL:
//! one-tap logging from the main menu, typed numbers read as progress, `/log`, dates typed as
//! people type them, and what every answer says about pace, places, streaks, with wording that
//! fits the kind and the unit.

mod conversation_support;
mod storage_support;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::ChallengeDraft;
use challenge_bot::user::UserId;
use conversation_support::{Backend, Harness, User, day};

async fn total(h: &Harness, id: ChallengeId, user: i64) -> String {
    h.app().standing(id, UserId(user)).await.unwrap().1.total.to_string()
}

/// Inputs, counted.
struct Counted<'a, 'b> {
    user: &'a mut User<'b>,
    inputs: usize,
}

impl Counted<'_, '_> {
    async fn send(&mut self, text: &str) {
        self.inputs += 1;
        self.user.send(text).await;
    }
    async fn press(&mut self, label: &str) {
        self.inputs += 1;
        self.user.press(label).await;
    }
}

async fn one_tap_from_the_main_menu(backend: Backend) {
    let h = Harness::new(backend).await;
    let early = h.on("2026-03-01");
    let run = early.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    let meditate = early.seed(1, "Meditate", GoalKind::Days, "20", None).await;
    let mut ann = h.user(1, "Ann");
    ann.send("/start").await;
    // Most recently used first: Meditate was created last.
    let labels = ann.labels();
    assert_eq!(&labels[..2], ["✔️ Meditate", "➕ Run"], "{labels:?}");
    // A days challenge: one tap checks in for today.
    let mut counted = Counted { user: &mut ann, inputs: 0 };
    counted.press("✔️ Meditate").await;
    assert_eq!(counted.inputs, 1);
    ann.sees("✅ Checked in for today in Meditate.");
    assert!(ann.has_button("📅 Another day") && ann.has_button("↩️ Undo"));
    assert_eq!(h.app().standing(meditate, UserId(1)).await.unwrap().1.days, 1);
    // A number: one tap and the number, for today.
    ann.send("/start").await;
    assert_eq!(&ann.labels()[..2], ["✅ Meditate", "➕ Run"], "checked in today");
    let mut counted = Counted { user: &mut ann, inputs: 0 };
    counted.press("➕ Run").await;
    counted.user.sees("How many km today?");
    assert_eq!(counted.user.state().await, "LOG_TODAY");
    counted.send("5").await;
    assert_eq!(counted.inputs, 2);
    ann.sees("✅ Logged 5 km for today in Run.");
    assert_eq!(total(&h, run, 1).await, "5");
    // Another day moves that entry.
    ann.press("📅 Another day").await;
    assert_eq!(ann.state().await, "EDIT_ENTRY_DATE");
    ann.sees("Which day is it for? Type the day as 2026-03-09, 9.3 or 9 Mar; \"today\", \"yesterday\" and weekdays work too.");
    ann.send("yesterday").await;
    ann.sees("✏️ Changed 5 km today to 5 km yesterday in Run.");
    // Undo takes it back.
    ann.press_payload(&format!("v1:q:{}", run.0)).await;
    ann.send("2.5").await;
    let undo = ann.payload("↩️ Undo");
    ann.press_payload(&undo).await;
    ann.sees("↩️ Took back 2.5 km today in Run.");
    assert_eq!(total(&h, run, 1).await, "5");
    ann.press_payload(&undo).await;
    ann.sees("That entry is already gone.");
    // Undoing the entry that met a goal says it is no longer met.
    let short = early.seed(1, "Short run", GoalKind::Total, "3", Some("km")).await;
    ann.press_payload(&format!("v1:q:{}", short.0)).await;
    ann.send("3").await;
    assert!(ann.last.iter().any(|r| r.text.to_plain().contains("Goal reached")), "celebrated");
    let undo = ann.payload("↩️ Undo");
    ann.press_payload(&undo).await;
    ann.sees("↩️ Took back 3 km today in Short run.");
    ann.sees("Your goal is no longer met.");
    assert!(ann.has_button("Log again"), "{:?}", ann.labels());
    assert_eq!(total(&h, run, 1).await, "5");
    // Only four challenges make the menu, the most recently used.
    for i in 0..4 {
        h.seed(1, &format!("Extra {i}"), GoalKind::Total, "10", None).await;
    }
    ann.send("/start").await;
    let quick: Vec<String> = ann
        .labels()
        .into_iter()
        .filter(|l| l.starts_with('➕') || l.starts_with('✔') || l.starts_with('✅'))
        .collect();
    assert_eq!(quick, ["➕ Extra 3", "➕ Extra 2", "➕ Extra 1", "➕ Extra 0"]);
    ann.press("➕ Extra 0").await;
    ann.send("1").await;
    ann.send("/start").await;
    assert_eq!(ann.labels()[0], "➕ Extra 0", "just used: first");
}

async fn typed_numbers_are_progress(backend: Backend) {
    let h = Harness::new(backend).await;
    let run = h.on("2026-03-01").seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    let mut ann = h.user(1, "Ann");
    // One running challenge: a number from a fresh /start is progress in it.
    ann.send("/start").await;
    ann.send("5").await;
    ann.sees("✅ Logged 5 km for today in Run.");
    for (typed, total_after) in [
        ("5 km", "10"),
        ("5.5KM", "15.5"),
        ("1,5", "17"),
        ("2 yesterday", "19"),
        ("1 8.3", "20"),
        ("1 2026-03-07", "21"),
        ("1 km 7 Mar", "22"),
    ] {
        ann.send(typed).await;
        assert!(ann.text().starts_with("✅ Logged"), "{typed}: {}", ann.text());
        assert_eq!(total(&h, run, 1).await, total_after, "{typed}");
    }
    let dates: Vec<String> =
        h.app().progress(run, UserId(1)).await.unwrap().iter().map(|e| e.date.date().to_string()).collect();
    assert_eq!(dates.iter().filter(|d| *d == "2026-03-07").count(), 2);
    assert!(dates.contains(&"2026-03-08".to_owned()) && dates.contains(&"2026-03-09".to_owned()));
    // Refused, with a hint, and nothing stored.
    ann.send("1,500").await;
    ann.sees(
        "1,500 could be read two ways: type 1500 for the whole number, or use a point for decimals (1.5).",
    );
    ann.send("5 miles").await;
    ann.sees("This challenge counts in km");
    ann.send("5 tomorrow").await;
    ann.sees("2026-03-11 is in the future");
    ann.send("01/03/2026").await;
    ann.sees("Dates with slashes can be read two ways");
    assert_eq!(total(&h, run, 1).await, "22");

    // Several running challenges: a number asks which, unless a unit or the open screen says.
    let read = h.seed(1, "Read", GoalKind::Total, "300", Some("pages")).await;
    let swim = h.seed(1, "Swim", GoalKind::Total, "10", Some("km")).await;
    ann.send("/start").await;
    ann.send("12").await;
    assert_eq!(ann.state().await, "LOG_WHICH");
    ann.sees("12: which challenge is it for?");
    ann.send("lots").await;
    ann.sees("That is not one of the challenges.");
    assert_eq!(ann.text().matches("buttons above").count(), 1, "said once: {}", ann.text());
    ann.send("11").await;
    ann.sees("11: which challenge is it for?");
    ann.send("12").await;
    ann.press("Read").await;
    ann.sees("✅ Logged 12 pages for today in Read.");
    ann.send("1 page").await;
    ann.sees("✅ Logged 1 page for today in Read.");
    assert_eq!(total(&h, read, 1).await, "13");
    ann.send("3 km").await;
    ann.sees("3 km: which challenge is it for?");
    assert!(ann.has_button("Run") && ann.has_button("Swim") && !ann.has_button("Read"), "{:?}", ann.labels());
    ann.press("Swim").await;
    // A unit none of them counts in is refused with why, not offered to challenges that would
    // each refuse it.
    ann.send("/start").await;
    ann.send("5 miles").await;
    ann.sees("None of your running challenges counts in miles");
    assert!(!ann.has_button("Swim"), "{:?}", ann.labels());
    assert_eq!((total(&h, run, 1).await, total(&h, swim, 1).await), ("22".into(), "3".into()));
    ann.press_payload(&format!("v1:o:{}:0", run.0)).await;
    ann.send("2").await;
    ann.sees("✅ Logged 2 km for today in Run.");
    assert_eq!((total(&h, run, 1).await, total(&h, swim, 1).await), ("24".into(), "3".into()));
    // /log from anywhere.
    ann.send("/log").await;
    ann.sees("Log for which challenge?");
    ann.press("➕ Swim").await;
    ann.sees("How many km today?");
    ann.send("/log 4 km").await;
    ann.sees("4 km: which challenge is it for?");
    ann.send("/cancel").await;
    assert_eq!(total(&h, swim, 1).await, "3");
    // In the middle of a question, a number is its answer, not progress.
    ann.send("/start").await;
    ann.press("Create challenge").await;
    ann.send("2026").await;
    ann.sees("Describe 2026");
}

async fn pace_places_and_streaks(backend: Backend) {
    let h = Harness::new(backend).await;
    // 1 Mar to 9 Apr: 40 days. Bob joins on 1 Mar, Ann on 10 Mar.
    let early = h.on("2026-03-01");
    let id = {
        let draft = ChallengeDraft {
            name: ChallengeName::parse("Run").unwrap(),
            description: Description::parse("").unwrap(),
            deadline: day("2026-04-09"),
            unit: Some(Unit::parse("km").unwrap()),
            goal: Goal::new(GoalKind::Total, Amount::from_whole(40)).unwrap(),
            visibility: challenge_bot::challenge::Visibility::Public,
        };
        early.app().create_challenge(UserId(2), draft).await.unwrap().id
    };
    for (date, value) in [("2026-03-01", "2"), ("2026-03-02", "2"), ("2026-03-03", "2")] {
        let on = h.on(date);
        let mut bob = on.user(2, "Bob");
        bob.send("/start").await;
        bob.send(value).await;
    }
    let on3 = h.on("2026-03-03");
    let mut bob = on3.user(2, "Bob");
    bob.send("/start").await;
    bob.send("1").await;
    bob.sees("🔥 3-day streak");
    // Bob: 7 km by 3 Mar, pace 40 km over 40 days is 3 km by then: 4 ahead.
    bob.sees(
        "📈 4 km ahead of pace. To finish by Thu 9 Apr you need 0.9 km a day (38 days left, today included).",
    );
    let mut ann = h.user(1, "Ann");
    ann.press_payload(&format!("v1:jd:{}", id.0)).await;
    ann.send("8").await;
    ann.sees("⬆️ You moved up to 1st — passed Bob.");
    // Ann joined today: 40 km over 31 days is 1.3 by tonight.
    ann.sees("📈 6.7 km ahead of pace. To finish by Thu 9 Apr you need 1.1 km a day (31 days left, today included).");
    ann.press_payload(&format!("v1:l:{}", id.0)).await;
    ann.sees("2. Bob: 7 km · goal 40 km · 17%");
    // Bob's run was alive on the 4th (today could still be logged then); on the 10th it is gone.
    ann.does_not_see("🔥");
    let on4 = h.on("2026-03-04");
    let mut bob = on4.user(2, "Bob");
    bob.press_payload(&format!("v1:l:{}", id.0)).await;
    bob.sees("2. Bob (you): 7 km · goal 40 km · 17% · 🔥 3");
    bob.press_payload(&format!("v1:o:{}:0", id.0)).await;
    bob.sees("🔥 3-day streak, best 3");
    bob.sees("📈 3 km ahead of pace.");
    // A week of dates earns a freeze, which bridges one missed date.
    for d in 4..=7 {
        let on = h.on(&format!("2026-03-{d:02}"));
        let mut bob = on.user(2, "Bob");
        bob.send("/start").await;
        bob.send("1").await;
        if d == 4 {
            // 8 km, as Ann, but reached first (Ann's 8 is dated the 10th): a move up from an
            // earlier standing, not a first entry.
            bob.sees("⬆️ You moved up to 1st — passed Ann.");
        } else {
            bob.does_not_see("moved up");
        }
    }
    let on9 = h.on("2026-03-09");
    let mut bob = on9.user(2, "Bob");
    bob.send("/start").await;
    bob.send("1").await;
    bob.sees("🔥 8-day streak");
    // The freeze was spent on the 8th: on the 10th the run is alive, on the 11th it is gone.
    let on10 = h.on("2026-03-10");
    let mut bob = on10.user(2, "Bob");
    bob.press_payload(&format!("v1:o:{}:0", id.0)).await;
    bob.sees("🔥 8-day streak, best 8");
    let on11 = h.on("2026-03-11");
    let mut bob = on11.user(2, "Bob");
    bob.press_payload(&format!("v1:o:{}:0", id.0)).await;
    bob.does_not_see("-day streak");
    bob.sees("Best streak: 8 days");
}

async fn days_pace_and_wording(backend: Backend) {
    let h = Harness::new(backend).await;
    let weigh = h.seed(1, "Weigh in", GoalKind::AtMost, "70", Some("kg")).await;
    let read = h.seed(1, "Read", GoalKind::Total, "20000", Some("books")).await;
    let lift = h.seed(1, "Lift", GoalKind::AtLeast, "100", None).await;
    let meditate = h.seed(1, "Meditate", GoalKind::Days, "20", None).await;
    let mut ann = h.user(1, "Ann");
    ann.press_payload(&format!("v1:q:{}", weigh.0)).await;
    ann.sees("What did you weigh today? Type a number");
    ann.send("80").await;
    ann.press_payload(&format!("v1:q:{}", lift.0)).await;
    ann.sees("What is your best today? Type a number");
    ann.press_payload(&format!("v1:q:{}", read.0)).await;
    ann.sees("How many books today?");
    ann.send("1").await;
    ann.sees("✅ Logged 1 book for today in Read.");
    ann.sees("Your progress: 1 / 20\u{2009}000 books");
    ann.press_payload(&format!("v1:q:{}", read.0)).await;
    ann.send("12345.5").await;
    ann.sees("✅ Logged 12\u{2009}345.5 books for today in Read.");
    // Prompts say how to type a number once.
    for payload in [format!("v1:q:{}", read.0), format!("v1:p:{}", read.0), format!("v1:g:{}", read.0)] {
        ann.press_payload(&payload).await;
        assert_eq!(ann.text().matches("for example").count(), 1, "{}", ann.text());
        // Nor does a refusal say it again.
        ann.send("lots").await;
        assert_eq!(ann.text().matches("for example").count(), 1, "{}", ann.text());
        ann.send("/cancel").await;
    }
    // Days: 20 of the 32 days left, today included.
    ann.press_payload(&format!("v1:q:{}", meditate.0)).await;
    ann.sees("To finish by Fri 10 Apr you need 19 more days (32 days left, today included).");
    let on25 = h.on("2026-03-25");
    let mut late = on25.user(1, "Ann");
    late.press_payload(&format!("v1:o:{}:0", meditate.0)).await;
    late.sees("19 more days are needed and only 17 left: the goal is out of reach.");
}

on_every_store!(
    one_tap_from_the_main_menu,
    typed_numbers_are_progress,
    pace_places_and_streaks,
    days_pace_and_wording
);
