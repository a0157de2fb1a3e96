//! A field of runners for the benchmarks: one challenge of `people` participants, everyone
//! logging every day from its start to its deadline.

use std::sync::Arc;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::{App, ChallengeDraft};
use challenge_bot::repository::Store;
use challenge_bot::user::UserId;
use chrono::NaiveDate;

/// What to seed.
pub struct Field<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub start: NaiveDate,
    pub people: i64,
    pub days: u64,
    /// The total in km everyone aims at.
    pub goal_km: i64,
}

/// The challenge on its last day on `store` (the returned use cases' "today"), everyone having
/// logged between 3 and 10 km every day.
pub fn seed(rt: &tokio::runtime::Runtime, store: Arc<dyn Store>, field: &Field<'_>) -> (App, ChallengeId) {
    let last = field.start + chrono::Days::new(field.days - 1);
    let then = App::new(store.clone(), Clock::Fixed(field.start));
    let app = App::new(store, Clock::Fixed(last));
    let id = rt.block_on(async {
        let draft = ChallengeDraft {
            name: ChallengeName::parse(field.name).unwrap(),
            description: Description::parse(field.description).unwrap(),
            deadline: last,
            unit: Some(Unit::parse("km").unwrap()),
            goal: Goal::new(GoalKind::Total, Amount::from_whole(field.goal_km)).unwrap(),
            visibility: challenge_bot::challenge::Visibility::Public,
        };
        let id = then.create_challenge(UserId(1), draft).await.unwrap().id;
        for user in 2..=field.people {
            then.join(id, UserId(user), None).await.unwrap();
        }
        for day in 0..field.days {
            let date = field.start + chrono::Days::new(day);
            for user in 1..=field.people {
                let km = Amount::from_hundredths(300 + (user * 37 + day as i64 * 11) % 700);
                app.add_progress(id, UserId(user), Some(km), date, None).await.unwrap();
            }
        }
        id
    });
    (app, id)
}
