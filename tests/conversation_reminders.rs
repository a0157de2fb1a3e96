//! The bot speaks first (issue 13), on the in-memory store, SQLite and PostgreSQL, with a clock
//! the tests move by hand: daily reminders at the chosen hour in three zones and across a
//! daylight saving change, skipped once logged, quiet hours, a catch-up after an outage, the
//! streak at risk, the summary of an ended challenge exactly once, and reminders paused for
//! someone who blocked the bot until they write again. And `/settings`, the offer after a first
//! join, and "today" in the person's own zone.

mod conversation_support;
mod storage_support;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::ChallengeId;
use challenge_bot::clock::ManualTime;
use challenge_bot::goal::GoalKind;
use challenge_bot::reminder::TimeOfDay;
use challenge_bot::user::UserId;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use conversation_support::{Backend, Harness};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// What the bot says on its own at `at`: (to whom, what), in the order composed.
async fn due_at(h: &Harness, time: &ManualTime, at: &str) -> Vec<(UserId, String)> {
    time.set(utc(at));
    let work = h.conv.due_work(time.now()).await.unwrap();
    work.replies
        .iter()
        .map(|r| (r.news_recipient().expect("news for one person"), r.text.to_plain()))
        .collect()
}

async fn remind(h: &Harness, user: i64, zone: Tz, at: &str) {
    h.app().set_time_zone(UserId(user), zone).await.unwrap();
    h.app()
        .set_reminder(UserId(user), TimeOfDay::parse(at).unwrap(), challenge_bot::handler::Covers::Chosen)
        .await
        .unwrap();
}

async fn log(h: &Harness, challenge: ChallengeId, user: i64, value: Option<&str>, on: &str) {
    let value = value.map(|v| Amount::parse_positive(v).unwrap());
    h.app().add_progress(challenge, UserId(user), value, date(on), None).await.unwrap();
}

async fn reminders_fall_at_the_chosen_hour_in_each_zone(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    for (user, zone) in [(2, Tz::UTC), (3, chrono_tz::Europe::Berlin), (4, chrono_tz::America::New_York)] {
        h.app().join(run, UserId(user), None).await.unwrap();
        remind(&h, user, zone, "07:30").await;
    }
    // Yesterday evening's streak checks are long past their day by now: skipped, not sent.
    assert!(due_at(&h, &time, "2026-03-10T06:29:59Z").await.is_empty());
    // 07:30 in Berlin (UTC+1).
    let berlin = due_at(&h, &time, "2026-03-10T06:30:00Z").await;
    assert_eq!(berlin.len(), 1, "{berlin:?}");
    assert_eq!(berlin[0].0, UserId(3));
    assert!(
        berlin[0].1.contains("Time to log today") && berlin[0].1.contains("Run: 0 km so far"),
        "{}",
        berlin[0].1
    );
    assert!(due_at(&h, &time, "2026-03-10T06:31:00Z").await.is_empty(), "once");
    assert_eq!(
        due_at(&h, &time, "2026-03-10T07:30:00Z").await.iter().map(|d| d.0).collect::<Vec<_>>(),
        [UserId(2)]
    );
    // New York is on daylight saving time since 8 March: 07:30 is 11:30 UTC.
    assert!(due_at(&h, &time, "2026-03-10T10:30:00Z").await.is_empty());
    assert_eq!(
        due_at(&h, &time, "2026-03-10T11:30:00Z").await.iter().map(|d| d.0).collect::<Vec<_>>(),
        [UserId(4)]
    );
    // Each day again.
    assert_eq!(due_at(&h, &time, "2026-03-11T06:30:00Z").await.len(), 1);
}

async fn a_challenge_ends_at_midnight_in_its_creators_zone(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    // Created by someone at UTC+14: its days end there.
    let draft = challenge_bot::handler::ChallengeDraft {
        name: challenge_bot::challenge::ChallengeName::parse("Run").unwrap(),
        description: challenge_bot::challenge::Description::default(),
        deadline: date("2026-03-20"),
        unit: None,
        goal: challenge_bot::goal::Goal::new(GoalKind::Total, Amount::parse_positive("10").unwrap()).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    let zone = chrono_tz::Pacific::Kiritimati;
    let run =
        challenge_bot::clock::in_person_zone(zone, h.app().create_challenge(UserId(1), draft)).await.unwrap();
    assert_eq!(run.zone, Some(zone));
    assert_eq!(h.app().challenge(run.id).await.unwrap().zone, Some(zone), "stored");
    h.app().join(run.id, UserId(2), None).await.unwrap();
    let mut bob = h.user(2, "Bob");
    bob.press_payload(&format!("v1:o:{}:0", run.id.0)).await;
    bob.sees("at midnight Pacific/Kiritimati time");
    // 21 March, 09:00 UTC: 23:00 of the day of grace there; an entry for the deadline goes in.
    time.set(utc("2026-03-21T09:00:00Z"));
    log(&h, run.id, 2, Some("3"), "2026-03-20").await;
    // 11:00 UTC: past midnight there. Still 21 March for Bob, but the challenge is over.
    time.set(utc("2026-03-21T11:00:00Z"));
    let late = h.app().add_progress(
        run.id,
        UserId(2),
        Some(Amount::parse_positive("1").unwrap()),
        date("2026-03-20"),
        None,
    );
    assert!(matches!(late.await, Err(challenge_bot::handler::AppError::ChallengeFinal { .. })));
    // Bob's lists judge it there too: no longer running, but among the ended ones.
    bob.press_payload("v1:my:0").await;
    bob.sees("You are not in any running challenge.");
    assert!(bob.has_button("Ended challenges (1)"), "{:?}", bob.labels());
    bob.press("Ended challenges (1)").await;
    bob.sees("Run");
    bob.press_payload(&format!("v1:o:{}:0", run.id.0)).await;
    bob.sees("This challenge has ended; its standings are final.");
    // Hours earlier it was still the day of grace there: listed as running, with its last day.
    time.set(utc("2026-03-21T09:00:00Z"));
    bob.press_payload("v1:my:0").await;
    bob.sees("(last day to log)");
}

async fn ends_not_due_yet_keep_none_waiting(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let draft = |name: &str| challenge_bot::handler::ChallengeDraft {
        name: challenge_bot::challenge::ChallengeName::parse(name).unwrap(),
        description: challenge_bot::challenge::Description::default(),
        deadline: date("2026-03-20"),
        unit: None,
        goal: challenge_bot::goal::Goal::new(GoalKind::Total, Amount::parse_positive("10").unwrap()).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Private,
    };
    // More than a pass takes, all ending on 22 March at 07:00 in Honolulu (17:00 UTC)…
    let honolulu = chrono_tz::Pacific::Honolulu;
    for n in 0..challenge_bot::handler::app::DUE_BATCH {
        let made = challenge_bot::clock::in_person_zone(
            honolulu,
            h.app().create_challenge(UserId(1), draft(&format!("Late {n}"))),
        );
        made.await.unwrap();
    }
    // …then one made in UTC, whose morning comes ten hours earlier.
    h.app().create_challenge(UserId(2), draft("Early")).await.unwrap();
    time.set(utc("2026-03-22T08:00:00Z"));
    let work = h.conv.due_work(time.now()).await.unwrap();
    assert_eq!(
        work.summarized,
        1,
        "the one due, behind {} not due yet",
        challenge_bot::handler::app::DUE_BATCH
    );
    assert!(work.replies[0].text.to_plain().contains("Early has ended"));
    assert!(!work.more, "nothing more is due");
    // Those not due yet are put off until their morning, not read again at every pass.
    let later = utc("2026-03-22T08:00:01Z");
    assert!(h.app().possibly_ended(later, None).await.unwrap().is_empty());
    let morning = utc("2026-03-22T17:00:00Z");
    assert_eq!(
        h.app().possibly_ended(morning, None).await.unwrap().len(),
        challenge_bot::handler::app::DUE_BATCH as usize
    );
    time.set(morning);
    assert_eq!(
        h.conv.due_work(morning).await.unwrap().summarized,
        challenge_bot::handler::app::DUE_BATCH as usize
    );
}

async fn a_schedule_moves_once_for_two_runs(backend: Backend) {
    use challenge_bot::reminder::{Move, Schedule};
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    remind(&h, 2, Tz::UTC, "08:00").await;
    remind(&h, 3, Tz::UTC, "08:00").await;
    let due = h.store.due(utc("2026-03-10T08:00:00Z"), 10).await.unwrap();
    assert_eq!(due.len(), 2);
    let later = Schedule {
        remind_next: Some(utc("2026-03-11T08:00:00Z")),
        streak_next: Some(utc("2026-03-10T20:00:00Z")),
    };
    let moves: Vec<Move> = due.iter().map(|d| Move { user: d.user, from: d.schedule, to: later }).collect();
    // Two runs read the same schedules; the first moves both, the second neither.
    let mut first = h.store.advance(&moves).await.unwrap();
    first.sort();
    assert_eq!(first, [UserId(2), UserId(3)]);
    assert!(h.store.advance(&moves).await.unwrap().is_empty());
    assert!(h.store.due(utc("2026-03-10T08:00:00Z"), 10).await.unwrap().is_empty());
}

async fn a_reminder_follows_the_clock_change_in_berlin(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-27T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    h.app().join(run, UserId(3), None).await.unwrap();
    remind(&h, 3, chrono_tz::Europe::Berlin, "07:30").await;
    // Saturday 28 March: 07:30 CET is 06:30 UTC.
    assert_eq!(due_at(&h, &time, "2026-03-28T06:30:00Z").await.len(), 1);
    // Sunday 29 March, clocks go forward at 02:00: 07:30 CEST is 05:30 UTC.
    assert!(due_at(&h, &time, "2026-03-29T05:29:00Z").await.is_empty());
    assert_eq!(due_at(&h, &time, "2026-03-29T05:30:00Z").await.len(), 1);
    assert_eq!(due_at(&h, &time, "2026-03-30T05:30:00Z").await.len(), 1);
}

async fn no_reminder_once_logged_and_only_what_is_left(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    let read = h.seed(1, "Read", GoalKind::Days, "20", None).await;
    for c in [run, read] {
        h.app().join(c, UserId(2), None).await.unwrap();
    }
    remind(&h, 2, Tz::UTC, "18:00").await;
    time.set(utc("2026-03-10T09:00:00Z"));
    log(&h, run, 2, Some("5"), "2026-03-10").await;
    let said = due_at(&h, &time, "2026-03-10T18:00:00Z").await;
    assert_eq!(said.len(), 1);
    assert!(said[0].1.contains("Read") && !said[0].1.contains("Run"), "only what is left: {}", said[0].1);
    time.set(utc("2026-03-11T09:00:00Z"));
    log(&h, run, 2, Some("5"), "2026-03-11").await;
    log(&h, read, 2, None, "2026-03-11").await;
    assert!(due_at(&h, &time, "2026-03-11T18:00:00Z").await.is_empty(), "all logged: nothing");
    // Chosen challenges only.
    h.app().toggle_reminded(UserId(2), run).await.unwrap();
    let said = due_at(&h, &time, "2026-03-12T18:00:00Z").await;
    assert!(said[0].1.contains("Run") && !said[0].1.contains("Read"), "{}", said[0].1);
    // Off: nothing.
    h.app().reminders_off(UserId(2)).await.unwrap();
    assert!(due_at(&h, &time, "2026-03-13T18:00:00Z").await.is_empty());
}

async fn quiet_hours_and_catching_up_after_an_outage(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    for user in [2, 3, 4] {
        h.app().join(run, UserId(user), None).await.unwrap();
    }
    remind(&h, 2, Tz::UTC, "08:00").await;
    remind(&h, 3, Tz::UTC, "21:00").await;
    remind(&h, 4, Tz::UTC, "23:00").await;
    // Down from 07:00 to 10:00: the 08:00 reminder goes out late, once.
    assert!(due_at(&h, &time, "2026-03-10T07:00:00Z").await.is_empty());
    let late = due_at(&h, &time, "2026-03-10T10:00:00Z").await;
    assert_eq!(late.iter().map(|d| d.0).collect::<Vec<_>>(), [UserId(2)]);
    assert!(due_at(&h, &time, "2026-03-10T10:00:01Z").await.is_empty(), "once");
    // Down from 20:30 to 23:30: the 21:00 one would come in quiet hours, so it is skipped; the
    // 23:00 one is at an hour its person chose, and still within it.
    let night = due_at(&h, &time, "2026-03-10T23:30:00Z").await;
    assert_eq!(night.iter().map(|d| d.0).collect::<Vec<_>>(), [UserId(4)]);
    // Down for a whole day: yesterday's are not sent today.
    assert!(due_at(&h, &time, "2026-03-12T07:00:00Z").await.is_empty());
    assert_eq!(due_at(&h, &time, "2026-03-12T08:00:00Z").await.len(), 1, "today's comes as usual");
}

async fn a_streak_at_risk_is_told_at_eight_in_the_evening(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-06T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let read = h.seed(1, "Read", GoalKind::Days, "20", None).await;
    for user in [2, 3, 4] {
        h.app().join(read, UserId(user), None).await.unwrap();
    }
    time.set(utc("2026-03-10T09:00:00Z"));
    for day in ["2026-03-07", "2026-03-08", "2026-03-09"] {
        for user in [2, 3, 4] {
            log(&h, read, user, None, day).await;
        }
    }
    // 2 has reminders on at 07:00 (and logged nothing today); 3 logged today; 4 has them off.
    remind(&h, 2, Tz::UTC, "07:00").await;
    remind(&h, 3, Tz::UTC, "07:00").await;
    log(&h, read, 3, None, "2026-03-10").await;
    let evening = due_at(&h, &time, "2026-03-10T20:00:00Z").await;
    assert_eq!(evening.len(), 1, "{evening:?}");
    assert_eq!(evening[0].0, UserId(2));
    assert!(
        evening[0].1.contains("Your 3-day streak in Read ends tonight unless you log today."),
        "{}",
        evening[0].1
    );
}

async fn an_ended_challenge_sends_its_final_standings_once(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    let draft = challenge_bot::handler::ChallengeDraft {
        name: challenge_bot::challenge::ChallengeName::parse("Walk").unwrap(),
        description: challenge_bot::challenge::Description::default(),
        deadline: date("2026-03-20"),
        unit: None,
        goal: challenge_bot::goal::Goal::new(GoalKind::Total, Amount::parse_positive("10").unwrap()).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    h.app().create_challenge(UserId(1), draft).await.unwrap();
    let deadline = h.app().challenge(run).await.unwrap().deadline;
    h.app().join(run, UserId(2), None).await.unwrap();
    h.app().join(run, UserId(3), None).await.unwrap();
    log(&h, run, 1, Some("40"), "2026-03-09").await;
    log(&h, run, 2, Some("120"), "2026-03-09").await;
    // Walk ended on 20 March, while the bot was down: summed up late, once, at its first pass.
    let late = due_at(&h, &time, "2026-04-01T12:00:00Z").await;
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].1.contains("Walk has ended") && late[0].1.contains("You logged nothing in it."));
    assert!(due_at(&h, &time, "2026-04-01T12:00:01Z").await.is_empty());
    let grace_over = deadline + chrono::Days::new(2);
    // The day of grace ends at midnight; the standings wait for the morning.
    assert!(due_at(&h, &time, &format!("{grace_over}T06:59:00Z")).await.is_empty());
    let ended = due_at(&h, &time, &format!("{grace_over}T07:00:00Z")).await;
    assert_eq!(ended.len(), 3, "one for each participant: {ended:?}");
    let to = |user: i64| &ended.iter().find(|(u, _)| *u == UserId(user)).unwrap().1;
    assert!(
        to(2).contains("You finished 1st of 3 with 120 km — goal met 🎯") && to(2).contains("You won!"),
        "{}",
        to(2)
    );
    assert!(
        to(1).contains("You finished 2nd of 3 with 40 km.") && to(1).contains("Winner: User 2, 120 km."),
        "{}",
        to(1)
    );
    assert!(to(3).contains("You logged nothing in it."), "{}", to(3));
    assert!(due_at(&h, &time, &format!("{grace_over}T07:00:01Z")).await.is_empty(), "exactly once");
}

async fn final_standings_wait_for_each_persons_morning(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let draft = challenge_bot::handler::ChallengeDraft {
        name: challenge_bot::challenge::ChallengeName::parse("Swim").unwrap(),
        description: challenge_bot::challenge::Description::default(),
        deadline: date("2026-03-20"),
        unit: None,
        goal: challenge_bot::goal::Goal::new(GoalKind::Total, Amount::parse_positive("10").unwrap()).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    let berlin = chrono_tz::Europe::Berlin;
    let swim = challenge_bot::clock::in_person_zone(berlin, h.app().create_challenge(UserId(1), draft)).await;
    let swim = swim.unwrap().id;
    h.app().set_time_zone(UserId(1), berlin).await.unwrap();
    h.app().join(swim, UserId(2), None).await.unwrap();
    h.app().set_time_zone(UserId(2), chrono_tz::America::Los_Angeles).await.unwrap();
    // Person 3 set no zone: the server's (UTC).
    h.app().join(swim, UserId(3), None).await.unwrap();
    let to = |said: Vec<(UserId, String)>| said.into_iter().map(|(u, _)| u.0).collect::<Vec<_>>();
    // 07:00 in Berlin on 22 March is 06:00 UTC: 06:00 in UTC and 23:00 in Los Angeles (PDT),
    // both quiet hours.
    assert_eq!(to(due_at(&h, &time, "2026-03-22T05:59:00Z").await), Vec::<i64>::new());
    assert_eq!(to(due_at(&h, &time, "2026-03-22T06:00:00Z").await), [1]);
    assert_eq!(to(due_at(&h, &time, "2026-03-22T06:30:00Z").await), Vec::<i64>::new(), "once");
    assert_eq!(to(due_at(&h, &time, "2026-03-22T07:00:00Z").await), [3], "07:00 UTC");
    assert_eq!(to(due_at(&h, &time, "2026-03-22T10:00:00Z").await), Vec::<i64>::new());
    let la = due_at(&h, &time, "2026-03-22T14:00:00Z").await;
    assert_eq!(to(la.clone()), [2], "07:00 in Los Angeles");
    assert!(la[0].1.contains("Swim has ended"), "{}", la[0].1);
    assert_eq!(
        to(due_at(&h, &time, "2026-03-23T14:00:00Z").await),
        Vec::<i64>::new(),
        "everyone had it once"
    );
}

async fn the_creator_starts_the_next_round(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    h.store.set_bot_username("run_bot", time.now()).await.unwrap();
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    let last = h.app().challenge(run).await.unwrap();
    h.app().join(run, UserId(2), None).await.unwrap();
    let mut ann = h.user(1, "Ann");
    ann.press_payload(&format!("v1:nr:{}", run.0)).await;
    ann.sees("still running");
    time.set(utc(&format!("{}T09:00:00Z", last.deadline + chrono::Days::new(3))));
    ann.press_payload(&format!("v1:nr:{}", run.0)).await;
    ann.sees("The next round of Run is on");
    ann.sees("The one other person of the last round gets an invite.");
    assert_eq!(ann.news.len(), 1);
    assert_eq!(ann.news[0].news_recipient(), Some(UserId(2)));
    assert!(ann.news[0].text.to_plain().contains("Ann started the next round of Run"));
    let link = ann.news[0].link.as_ref().expect("a link to join");
    assert!(link.url.starts_with("https://t.me/run_bot?start="), "{link:?}");
    let mine = h
        .app()
        .memberships(
            UserId(1),
            challenge_bot::goal::MembershipScope::All,
            challenge_bot::repository::Page::ALL,
        )
        .await
        .unwrap();
    let round = mine.items.iter().find(|m| m.challenge.id != run).expect("the new round");
    let length = (last.deadline - last.start_date).num_days();
    assert_eq!(
        (round.challenge.deadline - round.challenge.start_date).num_days(),
        length,
        "as long as the last"
    );
    let mut bob = h.user(2, "Bob");
    bob.press_payload(&format!("v1:nr:{}", run.0)).await;
    bob.sees("Only the creator");
}

async fn someone_who_blocked_the_bot_gets_no_reminders_until_they_write(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-09T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    h.app().join(run, UserId(2), None).await.unwrap();
    remind(&h, 2, Tz::UTC, "08:00").await;
    // What the bot does on a 403.
    h.app().pause_reminders(UserId(2)).await.unwrap();
    h.conv.forget_person(UserId(2)).await;
    assert!(due_at(&h, &time, "2026-03-10T08:00:00Z").await.is_empty());
    assert!(h.app().settings(UserId(2)).await.unwrap().paused);
    let mut bob = h.user(2, "Bob");
    bob.send("/start").await;
    assert!(!h.app().settings(UserId(2)).await.unwrap().paused, "writing again resumes them");
    assert!(due_at(&h, &time, "2026-03-10T09:00:00Z").await.is_empty(), "nothing missed is sent");
    assert_eq!(due_at(&h, &time, "2026-03-11T08:00:00Z").await.len(), 1);
}

async fn settings_set_the_zone_and_the_reminder(backend: Backend) {
    let time = ManualTime::new(utc("2026-03-10T12:00:00Z"));
    let h = Harness::at_time(backend, &time).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    let mut bob = h.user(2, "Bob");
    bob.send("/start").await;
    bob.press("⚙️ Settings").await;
    bob.sees("Time zone: UTC");
    bob.sees("Reminder: off");
    bob.press("🌍 Time zone").await;
    bob.send("Atlantis").await;
    bob.sees("I do not know the time zone \"Atlantis\"");
    bob.send("kiritimati").await;
    bob.sees("Your time zone is Pacific/Kiritimati (now 02:00 there)");
    // "Today" is his: 11 March already at UTC+14.
    bob.press_payload(&format!("v1:j:{}:0", run.0)).await;
    bob.press("Use 100 km").await;
    bob.sees("You joined");
    // The offer, once, after a first join.
    bob.sees("Shall I remind you daily at 20:00");
    bob.send("5").await;
    let entries = h.app().progress(run, UserId(2)).await.unwrap();
    assert_eq!(entries[0].date.date(), date("2026-03-11"), "his today");
    bob.press_payload("v1:ra:1200").await;
    bob.sees("I will remind you daily at 20:00 (Pacific/Kiritimati).");
    bob.press("⌨️ Another time").await;
    bob.send("25:00").await;
    bob.sees("That is not a time of day I can read");
    bob.send("7:15").await;
    bob.sees("daily at 07:15, for all your challenges");
    bob.press("🔕 Turn off").await;
    bob.sees("Reminders are off.");
    let settings = h.app().settings(UserId(2)).await.unwrap();
    assert_eq!((settings.zone, settings.remind_at), (Some(chrono_tz::Pacific::Kiritimati), None));
    // No second offer.
    let walk = h.seed(1, "Walk", GoalKind::Total, "10", None).await;
    h.app().join(walk, UserId(3), None).await.unwrap();
    bob.press_payload(&format!("v1:j:{}:0", walk.0)).await;
    bob.press("Use 10").await;
    bob.does_not_see("Shall I remind you");
}

on_every_store!(
    ends_not_due_yet_keep_none_waiting,
    a_challenge_ends_at_midnight_in_its_creators_zone,
    a_schedule_moves_once_for_two_runs,
    reminders_fall_at_the_chosen_hour_in_each_zone,
    a_reminder_follows_the_clock_change_in_berlin,
    no_reminder_once_logged_and_only_what_is_left,
    quiet_hours_and_catching_up_after_an_outage,
    a_streak_at_risk_is_told_at_eight_in_the_evening,
    an_ended_challenge_sends_its_final_standings_once,
    final_standings_wait_for_each_persons_morning,
    the_creator_starts_the_next_round,
    someone_who_blocked_the_bot_gets_no_reminders_until_they_write,
    settings_set_the_zone_and_the_reminder,
);
