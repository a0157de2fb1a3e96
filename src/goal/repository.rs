use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    Contender, GoalKind, Leaders, Membership, Participant, Place, PlaceChange, Position, Ranked, Standing,
    StandingBand, place_among, rank,
};
use crate::amount::Amount;
use crate::challenge::ChallengeId;
use crate::clock::Today;
use crate::progress::Tally;
use crate::repository::{Page, RepositoryError};
use crate::user::DisplayName;
use crate::user::UserId;

/// Which of a user's challenges a list shows, by the date that decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipScope {
    All,
    /// Still taking entries (up to the end of the day of grace in the challenge's own zone).
    Open(Today),
    /// Closed for entries (after the day of grace in the challenge's own zone): their standings
    /// are final.
    Closed(Today),
}

/// One page of a user's challenges within a scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Memberships {
    pub items: Vec<Membership>,
    /// How many are in the scope, on every page.
    pub total: u64,
    /// How many of the user's challenges are outside it (for "Ended challenges (3)").
    pub outside: u64,
}

#[async_trait]
pub trait GoalRepository: Send + Sync {
    /// Joins a user to a challenge with a goal target. Exactly one participant exists per
    /// (challenge, user) however many joins race: the losers get `AlreadyJoined`. Fails with
    /// `ChallengeNotFound` for an unknown challenge. Rules about dates are the caller's.
    async fn join(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError>;

    async fn participant(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<Participant>, RepositoryError>;

    /// Replaces a participant's goal and re-judges completion with the new goal: set to `at` if it
    /// now holds and had not, cleared if it no longer holds. Fails with `NotParticipant`.
    async fn set_goal(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError>;

    /// Every participant of a challenge with their tally and display name, in no particular order
    /// (rank them with [`crate::goal::rank`]).
    async fn standings(&self, challenge: ChallengeId) -> Result<Vec<Standing>, RepositoryError>;

    /// The first `limit` of a `kind` challenge's leaderboard, in its order (see
    /// [`crate::goal::rank`]), and how many take part (read with the rows: 0 when `limit` is 0).
    /// The store sorts and counts: one statement, `limit` rows, however many take part.
    async fn leaders(
        &self,
        challenge: ChallengeId,
        kind: GoalKind,
        limit: u32,
    ) -> Result<Leaders, RepositoryError> {
        let ranked = rank(kind, self.standings(challenge).await?);
        let participants = u32::try_from(ranked.len()).unwrap_or(u32::MAX);
        Ok(Leaders { top: ranked.into_iter().take(limit as usize).collect(), participants })
    }

    /// `user`'s place in each of `challenges` (with its kind) that they joined, and how many
    /// take part: the dashboard's cards. The SQL stores read them in one statement however many
    /// challenges there are; here, one [`Self::position`] each.
    async fn places(
        &self,
        user: UserId,
        challenges: &[(ChallengeId, GoalKind)],
    ) -> Result<std::collections::HashMap<ChallengeId, Place>, RepositoryError> {
        let mut places = std::collections::HashMap::with_capacity(challenges.len());
        for &(challenge, kind) in challenges {
            if let Some(p) = self.position(challenge, kind, user, None).await? {
                places.insert(challenge, Place { rank: p.me.rank, participants: p.participants });
            }
        }
        Ok(places)
    }

    /// `user`'s place in a `kind` challenge, how many take part, and the name of
    /// `first_finisher` while they take part; `None` if `user` does not. The store reads only
    /// those level with `user` (see [`place_among`]), not the whole leaderboard: one statement.
    async fn position(
        &self,
        challenge: ChallengeId,
        kind: GoalKind,
        user: UserId,
        first_finisher: Option<UserId>,
    ) -> Result<Option<Position>, RepositoryError> {
        let standings = self.standings(challenge).await?;
        let Some(me) = standings.iter().find(|s| s.participant.user == user) else { return Ok(None) };
        let rank = place_among(kind, me.into(), standings.iter().map(Contender::from), 0);
        let first_finisher = first_finisher.and_then(|first| {
            let s = standings.iter().find(|s| s.participant.user == first)?;
            Some(s.display_name.clone().unwrap_or_else(|| DisplayName::fallback(first)))
        });
        let participants = u32::try_from(standings.len()).unwrap_or(u32::MAX);
        Ok(Some(Position { me: Ranked::new(kind, me.clone(), rank), participants, first_finisher }))
    }

    /// The participants of a `kind` challenge who have entries and a standing from `floor` (no
    /// bound when `None`) up to `ceiling`, both included, in no particular order, and how many
    /// with entries stand above `ceiling`. One read, however many stand above.
    async fn standing_band(
        &self,
        challenge: ChallengeId,
        kind: GoalKind,
        floor: Option<Amount>,
        ceiling: Amount,
    ) -> Result<StandingBand, RepositoryError>;

    /// How `user`'s place changed when their tally went from `before` to `after` (stored now; see
    /// [`PlaceChange::of`]). Everyone above their new standing was ahead before and after, and
    /// everyone below their old one behind: only the band between is read, and those above
    /// counted (on a first entry, everyone with entries was ahead: the band has no floor).
    async fn place_change(
        &self,
        challenge: ChallengeId,
        kind: GoalKind,
        user: UserId,
        before: &Tally,
        after: &Tally,
    ) -> Result<Option<PlaceChange>, RepositoryError> {
        let (then, now) = (kind.standing(before), kind.standing(after));
        let floor = if before.entries == 0 {
            None
        } else if now <= then {
            return Ok(None); // the same or lower: everyone else keeps their place around them
        } else {
            Some(then)
        };
        let band = self.standing_band(challenge, kind, floor, now).await?;
        let Some(me) = band.standings.iter().find(|s| s.participant.user == user) else {
            return Ok(None);
        };
        let change = PlaceChange::of(kind, me.into(), before, band.standings.iter().map(Into::into));
        Ok(change.map(|mut change| {
            change.from += band.above;
            change.to += band.above;
            change
        }))
    }

    /// The challenges a user joined, most recently active first (their last entry, goal or
    /// join), each with the user's participant row and tally, within `scope`, and how many are
    /// outside it. One page costs two statements, however many challenges it shows.
    async fn memberships(
        &self,
        user: UserId,
        scope: MembershipScope,
        page: Page,
    ) -> Result<Memberships, RepositoryError>;

    /// The challenge with the user's participant row and tally, if they joined it: one statement
    /// for a screen that needs both.
    async fn membership(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<Membership>, RepositoryError>;

    /// The user's challenges that still take entries (up to the day of grace, in each one's own
    /// zone), most recently active first, at most `limit`: the main menu's one-tap buttons.
    async fn recently_active(
        &self,
        user: UserId,
        today: Today,
        limit: u32,
    ) -> Result<Vec<Membership>, RepositoryError>;

    /// The user leaves the challenge; their entries go with them. `NotParticipant`.
    async fn leave(&self, challenge: ChallengeId, user: UserId) -> Result<(), RepositoryError>;

    /// Hides a participant's display name in the challenge (they show as "Participant N", N the
    /// next number of the challenge) or shows it again. Hiding a hidden name keeps its number.
    /// `NotParticipant`.
    async fn hide_name(
        &self,
        challenge: ChallengeId,
        user: UserId,
        hidden: bool,
    ) -> Result<HiddenName, RepositoryError>;

    /// Mutes (or unmutes) the news of a challenge for a participant. `NotParticipant`.
    async fn set_news_muted(
        &self,
        challenge: ChallengeId,
        user: UserId,
        muted: bool,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Whether the participant muted the challenge's news.
    async fn news_muted(&self, challenge: ChallengeId, user: UserId) -> Result<bool, RepositoryError>;

    /// Of `candidates`, those in the challenge who did not mute its news, in the order given;
    /// `None`: every participant who did not, in joining order.
    async fn news_recipients(
        &self,
        challenge: ChallengeId,
        candidates: Option<&[UserId]>,
    ) -> Result<Vec<UserId>, RepositoryError>;

    /// Removes everything kept about a person, in one transaction (see [`PersonDeleted`]): their
    /// participations with their entries and mutes, their name, their notices of deleted
    /// challenges, their mark as a challenge's first finisher, and what the bot keeps for their
    /// chat (unsent messages to them, parked updates from them, records of their failed
    /// updates). Challenges they created go to the participant who joined first after them, or
    /// are deleted when nobody else is in them.
    async fn delete_person(&self, user: UserId, at: DateTime<Utc>) -> Result<PersonDeleted, RepositoryError>;
}

/// A participant's name after [`GoalRepository::hide_name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HiddenName {
    /// N of "Participant N" while hidden.
    pub number: Option<u32>,
    /// Whether this call hid or showed it (false when it already was so).
    pub changed: bool,
}

/// What deleting a person removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PersonDeleted {
    /// Challenges they created that others are in, each with who manages it now (the
    /// longest-standing other participant).
    pub handed_over: Vec<(ChallengeId, UserId)>,
    /// Challenges they created and were alone in: deleted.
    pub deleted: Vec<ChallengeId>,
    /// Challenges they were in (those deleted included), and their entries there.
    pub participations: u64,
    pub entries: u64,
}
