//! The game rules in the conversation (issue 10), as six people would meet them over a month of
//! pinned dates: standings on the leaderboard, the gaming cases, the first to finish, one's
//! entries changed or deleted, a creator's changes, leaving, "My challenges" by last activity
//! and ended challenges with their final standings. On the in-memory store, SQLite and
//! PostgreSQL.

mod conversation_support;
mod storage_support;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description};
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::ChallengeDraft;
use challenge_bot::user::UserId;
use conversation_support::{Backend, Harness, User, day};

async fn join(user: &mut User<'_>, id: ChallengeId, goal: Option<&str>) {
    user.press_payload(&format!("v1:j:{}:0", id.0)).await;
    match goal {
        Some(goal) => user.send(goal).await,
        None => user.press_payload(&format!("v1:jd:{}", id.0)).await,
    };
    user.sees("You joined");
}

/// Logs a value (or a check-in) for today through the buttons.
async fn log(user: &mut User<'_>, id: ChallengeId, value: Option<&str>) {
    user.press_payload(&format!("v1:p:{}", id.0)).await;
    if let Some(value) = value {
        user.send(value).await;
    }
    user.press("Today").await;
}

async fn leaderboard(user: &mut User<'_>, id: ChallengeId) {
    user.press_payload(&format!("v1:l:{}", id.0)).await;
}

async fn gaming_a_self_set_goal_wins_nothing(backend: Backend) {
    let h = Harness::new(backend).await;
    let id = h.seed(1, "Run", GoalKind::Total, "50", Some("km")).await;
    let mut ann = h.user(1, "Ann");
    let mut cat = h.user(3, "Cat");
    join(&mut cat, id, Some("1")).await;
    log(&mut ann, id, Some("33.7")).await;
    log(&mut cat, id, Some("1.5")).await;
    cat.sees("🎉 Goal reached!");
    leaderboard(&mut cat, id).await;
    cat.sees("1. Ann: 33.7 km · goal 50 km · 67%\n2. Cat (you): 1.5 km · goal 1 km · 100% ✅");
    cat.sees("Ranked by the total logged");
    // Lowering one's goal below what is logged: marked met, no fanfare, no better place.
    let mut ann2 = h.user(1, "Ann");
    ann2.press_payload(&format!("v1:g:{}", id.0)).await;
    ann2.send("30").await;
    ann2.sees("✅ Your entries already meet this goal, so it is marked as met.");
    ann2.does_not_see("🎉");
    assert_eq!(ann2.last.len(), 1);
    leaderboard(&mut ann2, id).await;
    ann2.sees("1. Ann (you): 33.7 km · goal 30 km · 100% ✅\n2. Cat: 1.5 km · goal 1 km · 100% ✅");
    // Nobody met the challenge's own 50 km: no first to finish yet.
    ann2.does_not_see("First to finish");
}

async fn at_most_ranks_by_improvement(backend: Backend) {
    let h = Harness::new(backend).await;
    let early = h.on("2026-03-01");
    let id = early.seed(5, "Weigh in", GoalKind::AtMost, "85", Some("kg")).await;
    let mut eve = h.user(5, "Eve");
    let mut fay = h.user(6, "Fay");
    join(&mut fay, id, Some("70")).await;
    let (mut eve_then, mut fay_then) = (early.user(5, "Eve"), early.user(6, "Fay"));
    log(&mut eve_then, id, Some("95")).await;
    log(&mut fay_then, id, Some("72")).await;
    log(&mut eve, id, Some("88")).await;
    log(&mut fay, id, Some("72")).await;
    leaderboard(&mut fay, id).await;
    fay.sees("1. Eve: down 7 kg (95 → 88) · goal ≤ 85 kg · 70%\n2. Fay (you): no change (72 → 72) · goal ≤ 70 kg · 0%");
    fay.sees("Ranked by how far each person came down from their first value");
    // 72 kg was within the challenge's own goal (at most 85 kg) from Fay's first entry.
    fay.sees("🥇 First to finish: Fay (you)");
    fay.press("Back to challenge").await;
    fay.sees("Improvement: no change (72 → 72) · rank 2 of 2");
    fay.sees("latest 72 kg, from 72 kg (goal: at most 70 kg)");
}

async fn at_least_keeps_the_record_and_first_to_finish_is_announced(backend: Backend) {
    let h = Harness::new(backend).await;
    let id = h.seed(1, "Bench", GoalKind::AtLeast, "100", Some("kg")).await;
    let mut ann = h.user(1, "Ann");
    let mut bob = h.user(2, "Bob");
    join(&mut bob, id, Some("90")).await;
    log(&mut bob, id, Some("95")).await;
    bob.sees("🎉 Goal reached!");
    bob.does_not_see("🥇");
    log(&mut ann, id, Some("105")).await;
    assert_eq!(ann.last.len(), 2);
    ann.sees("🎉 Goal reached!");
    ann.sees("🥇 And you are the first to reach the challenge's own goal!");
    log(&mut ann, id, Some("80")).await;
    ann.sees("best 105 kg (goal: at least 100 kg)");
    assert_eq!(ann.last.len(), 1, "a lower lift later takes nothing away and celebrates nothing");
    log(&mut bob, id, Some("101")).await;
    assert_eq!(bob.last.len(), 1, "Bob is not first: Ann was");
    bob.does_not_see("🥇");
    leaderboard(&mut bob, id).await;
    bob.sees(
        "1. Ann: best 105 kg · goal ≥ 100 kg · 100% ✅\n2. Bob (you): best 101 kg · goal ≥ 90 kg · 100% ✅",
    );
    bob.sees("🥇 First to finish: Ann");
    // A first to finish whose own goal is higher hears it on its own.
    let id = h.seed(1, "Row", GoalKind::Total, "10", Some("km")).await;
    join(&mut bob, id, Some("20")).await;
    log(&mut bob, id, Some("12")).await;
    assert_eq!(bob.last.len(), 2);
    bob.sees("🥇 First to finish! You are the first to reach the goal of Row. Keep going for your own!");
}

async fn days_count_once_per_date_and_undo_lowers_them(backend: Backend) {
    let h = Harness::new(backend).await;
    let id = h.seed(1, "Meditate", GoalKind::Days, "3", None).await;
    let mut ann = h.user(1, "Ann");
    log(&mut ann, id, None).await;
    log(&mut ann, id, None).await;
    ann.sees("✋ You already checked in for Tue 10 Mar: one check-in per day counts. Nothing was added.");
    ann.sees("Days: 1 day · rank 1 of 1");
    ann.press("Undo last entry").await;
    ann.press("Yes, remove it").await;
    ann.sees("0 / 3 days");
}

async fn entries_are_listed_changed_and_deleted(backend: Backend) {
    let h = Harness::new(backend).await;
    let id = h.on("2026-03-01").seed(1, "Run", GoalKind::Total, "10", Some("km")).await;
    let mut ann = h.user(1, "Ann");
    let earlier = h.on("2026-03-08");
    log(&mut earlier.user(1, "Ann"), id, Some("4")).await;
    log(&mut ann, id, Some("60")).await;
    ann.sees("🎉 Goal reached!");
    ann.press_payload(&format!("v1:o:{}:0", id.0)).await;
    ann.press("My entries").await;
    assert_eq!(ann.state().await, "VIEW_CHALLENGE_HISTORY");
    ann.sees("Your entries in Run");
    ann.sees("• 60 km today\n• 4 km on Sun 8 Mar");
    // The typo: 60 was meant to be 6.
    ann.press("Tue 10 Mar · 60 km").await;
    ann.sees("Your entry in Run: 60 km today.");
    ann.press("Change value").await;
    assert_eq!(ann.state().await, "EDIT_ENTRY_VALUE");
    ann.send("lots").await;
    ann.sees("not a number");
    ann.send("6").await;
    ann.sees("✏️ Changed 60 km today to 6 km today in Run.");
    ann.sees("Your progress: 10 / 10 km");
    // The date: moved to yesterday.
    ann.press("Back to entries").await;
    ann.press("Sun 8 Mar · 4 km").await;
    ann.press("Change date").await;
    ann.send("2026-03-11").await;
    ann.sees("2026-03-11 is in the future");
    assert_eq!(ann.state().await, "EDIT_ENTRY_DATE");
    ann.send("yesterday").await;
    ann.sees("to 4 km yesterday");
    // Deleting asks first; the goal is re-judged.
    ann.press("Back to entries").await;
    ann.press("Mon 9 Mar · 4 km").await;
    ann.press("Delete").await;
    ann.sees("Delete 4 km yesterday from Run? This cannot be undone.");
    let confirm = ann.payload("Yes, delete it");
    ann.press("No, keep it").await;
    ann.press_payload(&confirm).await;
    ann.sees("🗑 Deleted 4 km yesterday in Run.");
    ann.sees("Your goal is no longer met.");
    ann.sees("6 / 10 km");
    ann.press_payload(&confirm).await;
    ann.sees("That entry is already gone.");
    // Nobody else can touch Ann's entries, whatever the button says.
    let entry = h.app().progress(id, UserId(1)).await.unwrap()[0].id;
    let mut bob = h.user(2, "Bob");
    join(&mut bob, id, None).await;
    for payload in [format!("v1:e:{entry}:0"), format!("v1:ex:{entry}"), format!("v1:ev:{entry}")] {
        bob.press_payload(&payload).await;
        bob.sees(&format!("There is no entry #{entry} of yours."));
    }
    bob.press_payload(&format!("v1:exy:{entry}")).await;
    bob.sees("That entry is already gone.");
    assert_eq!(h.app().progress(id, UserId(1)).await.unwrap().len(), 1);
}

async fn creators_manage_and_participants_leave(backend: Backend) {
    let h = Harness::new(backend).await;
    let id = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    let mut ann = h.user(1, "Ann");
    let mut bob = h.user(2, "Bob");
    join(&mut bob, id, None).await;
    log(&mut bob, id, Some("5")).await;
    // Only the creator manages.
    bob.press_payload(&format!("v1:o:{}:0", id.0)).await;
    assert!(bob.has_button("Leave challenge") && !bob.has_button("Manage challenge"));
    bob.press_payload(&format!("v1:mn:{}", id.0)).await;
    bob.sees("Only the creator of challenge #");
    ann.press_payload(&format!("v1:o:{}:0", id.0)).await;
    assert!(ann.has_button("Manage challenge") && !ann.has_button("Leave challenge"));
    ann.press("Manage challenge").await;
    ann.press("Rename").await;
    ann.send("Run 150 km").await;
    ann.sees("✏️ The name is changed.");
    ann.sees("Manage Run 150 km");
    ann.press("Edit description").await;
    ann.send("Any pace counts.").await;
    ann.sees("Any pace counts.");
    ann.press("Move deadline").await;
    ann.sees("The deadline is 2026-04-10.");
    ann.send("2026-03-09").await;
    ann.sees("The deadline cannot be moved before today (2026-03-10).");
    ann.send("2026-05-31").await;
    ann.sees("✏️ The deadline is changed.");
    ann.sees("Deadline: Sun 31 May (83 days left, today included)");
    ann.press("Edit description").await;
    ann.press("Remove description").await;
    ann.does_not_see("Any pace counts.");
    // Bob leaves, after a confirmation; his entries go with him.
    bob.press_payload(&format!("v1:o:{}:0", id.0)).await;
    bob.press("Leave challenge").await;
    bob.sees("Leave Run 150 km? Your entries in it are deleted with you");
    bob.press("Yes, leave").await;
    bob.sees("👋 You left Run 150 km.");
    assert!(h.app().participant(id, UserId(2)).await.is_err());
    // The creator cannot leave; they delete, after a confirmation saying what goes.
    join(&mut bob, id, None).await;
    ann.press_payload(&format!("v1:lv:{}", id.0)).await;
    ann.sees("so you cannot leave it; you can delete it instead.");
    ann.press_payload(&format!("v1:mg:{}", id.0)).await;
    ann.press("Delete challenge").await;
    ann.sees(
        "Delete Run 150 km with your entries and those of the 1 other participant? This cannot be undone.",
    );
    ann.press("Yes, delete it").await;
    ann.sees("🗑 Deleted Run 150 km.");
    // Bob finds it gone, with a line saying so, and old buttons say the same.
    bob.send("/start").await;
    bob.press("My challenges").await;
    bob.sees("🗑 Run 150 km was deleted by its creator on Tue 10 Mar.");
    bob.press_payload(&format!("v1:p:{}", id.0)).await;
    bob.sees("“Run 150 km” (#");
    bob.sees(") was deleted by its creator.");
}

async fn my_challenges_by_last_activity_and_ended_ones_apart(backend: Backend) {
    let h = Harness::new(backend).await;
    let first = h.seed(1, "First", GoalKind::Total, "10", Some("km")).await;
    let second = h.seed(2, "Second", GoalKind::Total, "10", Some("km")).await;
    let early = {
        let draft = ChallengeDraft {
            name: ChallengeName::parse("Short").unwrap(),
            description: Description::parse("").unwrap(),
            deadline: day("2026-03-12"),
            unit: None,
            goal: Goal::new(GoalKind::Total, Amount::from_whole(5)).unwrap(),
            visibility: challenge_bot::challenge::Visibility::Public,
        };
        h.app().create_challenge(UserId(1), draft).await.unwrap().id
    };
    let mut ann = h.user(1, "Ann");
    join(&mut ann, second, None).await;
    log(&mut ann, first, Some("1")).await;
    log(&mut ann, early, Some("6")).await;
    ann.send("/start").await;
    ann.press("My challenges").await;
    let text = ann.text();
    let (s, f, e) =
        (text.find("• Short").unwrap(), text.find("• First").unwrap(), text.find("• Second").unwrap());
    assert!(s < f && f < e, "most recently active first: {text}");
    assert!(!ann.has_button("Ended challenges (1)"));
    // After the day of grace of "Short", it moves to the ended page with its final standing.
    let later = h.on("2026-03-14");
    let mut ann = later.user(1, "Ann");
    ann.send("/start").await;
    ann.press("My challenges").await;
    ann.does_not_see("Short");
    ann.press("Ended challenges (1)").await;
    assert_eq!(ann.state().await, "VIEW_CHALLENGE_ENDED");
    ann.sees("Ended challenges\nFinal standings: your place and your standing in each.");
    ann.sees("• Short: 🏆 1st of 1 · 6 ✅ (ended Thu 12 Mar)");
    ann.press("Short").await;
    ann.sees("🏆 Final standings: Short");
}

on_every_store!(
    gaming_a_self_set_goal_wins_nothing,
    at_most_ranks_by_improvement,
    at_least_keeps_the_record_and_first_to_finish_is_announced,
    days_count_once_per_date_and_undo_lowers_them,
    entries_are_listed_changed_and_deleted,
    creators_manage_and_participants_leave,
    my_challenges_by_last_activity_and_ended_ones_apart,
);
