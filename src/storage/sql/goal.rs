//! The SQL stores' goal repository: joining, goals, standings and positions, memberships, leaving,
//! and who hears a challenge's news. Expanded by [`super::sql_repositories`] inside each store's
//! `repositories` module, so it shares that module's imports and helpers (`lock_participant`,
//! `completion`, the column lists).

/// `GoalRepository` for `$store` (see the module documentation).
macro_rules! sql_goal_repository {
    ($store:ident, $db:ident, $conn:ident, $snapshot:literal) => {
// The body is written at the indentation it would have in a file of its own.

#[async_trait]
impl GoalRepository for $store {
    async fn join(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError> {
        let mut tx = self.write().await?;
        // The primary key decides who joined: no check-then-insert race.
        let inserted: Result<Option<ParticipantRow>, sqlx::Error> = sqlx::query_as(
            "INSERT INTO participants (challenge_id, user_id, goal_hundredths, joined_at, last_active_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (challenge_id, user_id) DO NOTHING \
             RETURNING challenge_id, user_id, goal_hundredths, joined_at, completed_at",
        )
        .bind(challenge.0)
        .bind(user.0)
        .bind(goal.hundredths())
        .bind(at)
        .fetch_optional(&mut *tx)
        .await;
        let already = RepositoryError::AlreadyJoined { challenge: challenge.0, user: user.0 };
        match inserted {
            Ok(Some(row)) => {
                tx.commit().await?;
                Ok(row.into())
            }
            Ok(None) => Err(already),
            Err(e) if is_foreign_key_violation(&e) => Err(RepositoryError::ChallengeNotFound(challenge.0)),
            Err(e) if is_unique_violation(&e) => Err(already),
            Err(e) => Err(db_error(e)),
        }
    }

    async fn participant(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<Participant>, RepositoryError> {
        let row: Option<ParticipantRow> = sqlx::query_as(
            "SELECT challenge_id, user_id, goal_hundredths, joined_at, completed_at FROM participants \
             WHERE challenge_id = $1 AND user_id = $2",
        )
        .bind(challenge.0)
        .bind(user.0)
        .fetch_optional(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        Ok(row.map(Participant::from))
    }

    async fn set_goal(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError> {
        let mut tx = self.write().await?;
        let locked = lock_participant(&mut tx, challenge, user, None).await?;
        let tally: Tally = locked.tally.clone().into();
        let completed_at =
            completion(Goal::from_stored(goal_kind(&locked.goal_kind)?, goal), &tally, locked.completed_at, at);
        let row: ParticipantRow = sqlx::query_as(
            "UPDATE participants SET goal_hundredths = $3, completed_at = $4, last_active_at = $5 \
             WHERE challenge_id = $1 AND user_id = $2 \
             RETURNING challenge_id, user_id, goal_hundredths, joined_at, completed_at",
        )
        .bind(challenge.0)
        .bind(user.0)
        .bind(goal.hundredths())
        .bind(completed_at)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn standings(&self, challenge: ChallengeId) -> Result<Vec<Standing>, RepositoryError> {
        let rows: Vec<StandingRow> = sqlx::query_as(STANDINGS)
            .bind(challenge.0)
            .fetch_all(&mut *self.read().await?)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(Standing::from).collect())
    }

    async fn standing_band(
        &self,
        challenge: ChallengeId,
        kind: GoalKind,
        floor: Option<Amount>,
        ceiling: Amount,
    ) -> Result<StandingBand, RepositoryError> {
        let (standing_p, standing_q) = (standing_sql(kind, "p"), standing_sql(kind, "q"));
        let mut query = QueryBuilder::<$db>::new(concat!(
            "SELECT p.challenge_id, p.user_id, p.goal_hundredths, p.joined_at, p.completed_at, u.display_name, \
             p.name_hidden_as AS hidden_as, ",
            p_tally_columns!(),
            ", (SELECT COUNT(*) FROM participants q WHERE q.entries > 0 AND q.challenge_id = "
        ));
        // Not correlated with the row: computed once.
        query.push_bind(challenge.0).push(" AND ").push(&standing_q).push(" > ").push_bind(ceiling.hundredths());
        query.push(") AS above FROM participants p LEFT JOIN users u ON u.id = p.user_id WHERE p.entries > 0 AND p.challenge_id = ");
        query.push_bind(challenge.0).push(" AND ").push(&standing_p).push(" <= ").push_bind(ceiling.hundredths());
        if let Some(floor) = floor {
            query.push(" AND ").push(&standing_p).push(" >= ").push_bind(floor.hundredths());
        }
        let rows: Vec<BandRow> =
            query.build_query_as().fetch_all(&mut *self.read().await?).await.map_err(db_error)?;
        let above = rows.first().map_or(0, |row| u32::try_from(row.above).unwrap_or(u32::MAX));
        Ok(StandingBand { standings: rows.into_iter().map(|row| Standing::from(row.standing)).collect(), above })
    }

    async fn leaders(&self, challenge: ChallengeId, kind: GoalKind, limit: u32) -> Result<Leaders, RepositoryError> {
        // The order of `goal::rank`: people with entries first, by standing, then whoever
        // reached it first, then joining order and id. The count is taken before the limit.
        let mut query = QueryBuilder::<$db>::new(concat!(
            "SELECT p.challenge_id, p.user_id, p.goal_hundredths, p.joined_at, p.completed_at, u.display_name, \
             p.name_hidden_as AS hidden_as, ",
            p_tally_columns!(),
            ", COUNT(*) OVER () AS participants FROM participants p LEFT JOIN users u ON u.id = p.user_id \
             WHERE p.challenge_id = "
        ));
        query.push_bind(challenge.0);
        query.push(" ORDER BY CASE WHEN p.entries > 0 THEN 0 ELSE 1 END, ").push(standing_sql(kind, "p"));
        query.push(" DESC, CASE WHEN p.standing_at IS NULL THEN 1 ELSE 0 END, p.standing_at, p.joined_at, p.user_id LIMIT ");
        query.push_bind(i64::from(limit));
        let rows: Vec<LeaderRow> =
            query.build_query_as().fetch_all(&mut *self.read().await?).await.map_err(db_error)?;
        let participants = rows.first().map_or(0, |row| u32::try_from(row.participants).unwrap_or(u32::MAX));
        let top = rows
            .into_iter()
            .zip(1u32..)
            .map(|(row, place)| Ranked::new(kind, Standing::from(row.standing), place))
            .collect();
        Ok(Leaders { top, participants })
    }

    async fn position(
        &self,
        challenge: ChallengeId,
        kind: GoalKind,
        user: UserId,
        first_finisher: Option<UserId>,
    ) -> Result<Option<Position>, RepositoryError> {
        let (standing_p, standing_m) = (standing_sql(kind, "p"), standing_sql(kind, "m"));
        // One pass over the challenge's participants: window counts of everyone and of those
        // above the user's level, then only the rows level with the user are kept and named.
        // With no entries, everyone with entries is above. The user's own row (`m`) is read
        // once, first: joined as a table, a planner that takes the challenge for small (its
        // statistics older than its joins) looked it up again for every participant.
        let mut query = QueryBuilder::<$db>::new(
            "WITH m AS MATERIALIZED (SELECT * FROM participants WHERE challenge_id = ",
        );
        query.push_bind(challenge.0).push(" AND user_id = ").push_bind(user.0);
        query.push(
            ") SELECT x.challenge_id, x.user_id, x.goal_hundredths, x.joined_at, x.completed_at, u.display_name, \
             x.name_hidden_as AS hidden_as, x.total, x.latest, x.best, x.first, x.days, x.entries, x.first_date, x.last_date, x.standing_at, \
             x.streak_run, x.streak_best, x.streak_freezes, x.participants, x.above, \
             (SELECT COUNT(*) FROM participants f WHERE f.challenge_id = x.challenge_id AND f.user_id = ",
        );
        query.push_bind(first_finisher.map(|u| u.0));
        query.push(") AS first_finisher_in, (SELECT fu.display_name FROM users fu WHERE fu.id = ");
        query.push_bind(first_finisher.map(|u| u.0));
        query.push(") AS first_finisher_name, (SELECT fh.name_hidden_as FROM participants fh WHERE fh.challenge_id = x.challenge_id AND fh.user_id = ");
        query.push_bind(first_finisher.map(|u| u.0));
        query.push(concat!(
            ") AS first_finisher_hidden_as FROM (SELECT p.challenge_id, p.user_id, p.goal_hundredths, p.joined_at, p.completed_at, p.name_hidden_as, ",
            p_tally_columns!(),
            ", COUNT(*) OVER () AS participants, SUM(CASE WHEN p.entries > 0 AND (m.entries = 0 OR "
        ));
        query.push(&standing_p).push(" > ").push(&standing_m);
        query.push(") THEN 1 ELSE 0 END) OVER () AS above, CASE WHEN (p.entries > 0) = (m.entries > 0) AND (m.entries = 0 OR ");
        query.push(&standing_p).push(" = ").push(&standing_m);
        query.push(") THEN 1 ELSE 0 END AS level FROM participants p CROSS JOIN m WHERE p.challenge_id = ")
            .push_bind(challenge.0);
        query.push(") x LEFT JOIN users u ON u.id = x.user_id WHERE x.level = 1");
        let rows: Vec<PositionRow> =
            query.build_query_as().fetch_all(&mut *self.read().await?).await.map_err(db_error)?;
        let Some(first) = rows.first() else { return Ok(None) };
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        let (participants, above) = (count(first.participants), count(first.above));
        let first_finisher = match (first_finisher, first.first_finisher_in > 0) {
            (Some(id), true) => Some(
                shown_name(id, first.first_finisher_name.as_deref(), first.first_finisher_hidden_as)
                    .unwrap_or_else(|| DisplayName::fallback(id)),
            ),
            _ => None,
        };
        let level: Vec<Standing> = rows.into_iter().map(|row| Standing::from(row.standing)).collect();
        let Some(me) = level.iter().find(|s| s.participant.user == user) else { return Ok(None) };
        let rank = place_among(kind, me.into(), level.iter().map(Contender::from), above);
        let me = Ranked::new(kind, me.clone(), rank);
        Ok(Some(Position { me, participants, first_finisher }))
    }

    async fn places(
        &self,
        user: UserId,
        challenges: &[(ChallengeId, GoalKind)],
    ) -> Result<std::collections::HashMap<ChallengeId, Place>, RepositoryError> {
        use std::collections::HashMap;
        if challenges.is_empty() {
            return Ok(HashMap::new());
        }
        // `position`'s statement for many challenges at once (windows per challenge), with each
        // challenge's standing as its kind (as stored) says.
        let standing = |alias: &str| {
            let mut case = String::from("CASE c.goal_kind");
            for kind in GoalKind::ALL {
                case.push_str(&format!(" WHEN '{}' THEN {}", kind.as_str(), standing_sql(kind, alias)));
            }
            case + " END"
        };
        let (standing_p, standing_m) = (standing("p"), standing("m"));
        // The user's own rows (`m`) are read once, first, as in `position`.
        let mut query =
            QueryBuilder::<$db>::new("WITH m AS MATERIALIZED (SELECT * FROM participants WHERE user_id = ");
        query.push_bind(user.0).push(" AND challenge_id IN (");
        let mut ids = query.separated(", ");
        for (id, _) in challenges {
            ids.push_bind(id.0);
        }
        query.push(concat!(
            ")) SELECT x.challenge_id, x.user_id, x.goal_hundredths, x.joined_at, x.completed_at, x.total, x.latest, \
             x.best, x.first, x.days, x.entries, x.first_date, x.last_date, x.standing_at, x.streak_run, \
             x.streak_best, x.streak_freezes, x.goal_kind, x.participants, x.above \
             FROM (SELECT p.challenge_id, p.user_id, p.goal_hundredths, p.joined_at, p.completed_at, c.goal_kind, ",
            p_tally_columns!(),
            ", COUNT(*) OVER (PARTITION BY p.challenge_id) AS participants, \
             SUM(CASE WHEN p.entries > 0 AND (m.entries = 0 OR "
        ));
        query.push(&standing_p).push(" > ").push(&standing_m);
        query.push(
            ") THEN 1 ELSE 0 END) OVER (PARTITION BY p.challenge_id) AS above, \
             CASE WHEN (p.entries > 0) = (m.entries > 0) AND (m.entries = 0 OR ",
        );
        query.push(&standing_p).push(" = ").push(&standing_m);
        query.push(
            ") THEN 1 ELSE 0 END AS level FROM m JOIN participants p ON p.challenge_id = m.challenge_id \
             JOIN challenges c ON c.id = p.challenge_id) x WHERE x.level = 1",
        );
        let rows: Vec<PlaceRow> =
            query.build_query_as().fetch_all(&mut *self.read().await?).await.map_err(db_error)?;
        // Per challenge: its kind, how many take part and rank above, and those level with user.
        let mut level: HashMap<ChallengeId, (GoalKind, u32, u32, Vec<Standing>)> = HashMap::new();
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        for row in rows {
            let id = ChallengeId(row.participant.challenge_id);
            let kind = goal_kind(&row.goal_kind)?;
            let standing = Standing {
                participant: row.participant.into(),
                display_name: None,
                hidden_as: None,
                tally: row.tally.into(),
            };
            level
                .entry(id)
                .or_insert_with(|| (kind, count(row.participants), count(row.above), Vec::new()))
                .3
                .push(standing);
        }
        Ok(level
            .into_iter()
            .filter_map(|(id, (kind, participants, above, level))| {
                let me = level.iter().find(|s| s.participant.user == user)?;
                let rank = place_among(kind, me.into(), level.iter().map(Contender::from), above);
                Some((id, Place { rank, participants }))
            })
            .collect())
    }

    async fn memberships(
        &self,
        user: UserId,
        scope: MembershipScope,
        page: Page,
    ) -> Result<Memberships, RepositoryError> {
        let mut tx = turn::snapshot(&self.pool, self.turn.as_ref(), $snapshot).await?;
        // Open until the end of the day of grace, the day after the deadline, in the
        // challenge's own zone.
        let open = match scope {
            MembershipScope::All => None,
            MembershipScope::Open(today) | MembershipScope::Closed(today) => {
                Some(deadline_rule(&mut tx, &self.zones, today, 1).await?)
            }
        };
        let in_scope = |qb: &mut QueryBuilder<$db>| match (scope, &open) {
            (MembershipScope::Open(_), Some(open)) => push_deadline_rule(qb, open),
            (MembershipScope::Closed(_), Some(open)) => {
                qb.push("NOT ");
                push_deadline_rule(qb, open);
            }
            _ => {
                qb.push("1 = 1");
            }
        };
        const JOINED: &str = " FROM participants p JOIN challenges c ON c.id = p.challenge_id WHERE p.user_id = ";
        // One statement counts both those in the scope and the others ("3 ended").
        let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*), COALESCE(SUM(CASE WHEN ");
        in_scope(&mut count);
        count.push(" THEN 1 ELSE 0 END), 0)").push(JOINED).push_bind(user.0);
        let (all, total): (i64, i64) = count.build_query_as().fetch_one(&mut *tx).await.map_err(db_error)?;
        let (limit, offset) = limit_offset(page);
        let mut select = QueryBuilder::<$db>::new(format!("SELECT {MEMBERSHIP_COLUMNS}"));
        select.push(JOINED).push_bind(user.0).push(" AND ");
        in_scope(&mut select);
        select
            .push(" ORDER BY p.last_active_at DESC, c.id DESC LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows: Vec<MembershipRow> = select.build_query_as().fetch_all(&mut *tx).await.map_err(db_error)?;
        tx.commit().await?;
        Ok(Memberships {
            items: rows.into_iter().map(Membership::try_from).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            outside: u64::try_from(all - total).unwrap_or(0),
        })
    }

    async fn membership(&self, challenge: ChallengeId, user: UserId) -> Result<Option<Membership>, RepositoryError> {
        let row: Option<MembershipRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM participants p JOIN challenges c ON c.id = p.challenge_id \
             WHERE p.challenge_id = $1 AND p.user_id = $2"
        )))
        .bind(challenge.0)
        .bind(user.0)
        .fetch_optional(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        row.map(Membership::try_from).transpose()
    }

    async fn recently_active(
        &self,
        user: UserId,
        today: Today,
        limit: u32,
    ) -> Result<Vec<Membership>, RepositoryError> {
        let mut conn = self.read().await?;
        let open = deadline_rule(&mut conn, &self.zones, today, 1).await?;
        let mut select = QueryBuilder::<$db>::new(format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM participants p JOIN challenges c ON c.id = p.challenge_id \
             WHERE p.user_id = "
        ));
        select.push_bind(user.0).push(" AND ");
        push_deadline_rule(&mut select, &open);
        select.push(" ORDER BY p.last_active_at DESC, c.id DESC LIMIT ").push_bind(i64::from(limit));
        let rows: Vec<MembershipRow> = select.build_query_as().fetch_all(&mut *conn).await.map_err(db_error)?;
        rows.into_iter().map(Membership::try_from).collect()
    }

    async fn leave(&self, challenge: ChallengeId, user: UserId) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        if let Err(missing) = delete_participant(&mut tx, challenge, user).await? {
            tx.commit().await?;
            return Err(missing);
        }
        tx.commit().await
    }

    async fn hide_name(&self, challenge: ChallengeId, user: UserId, hidden: bool) -> Result<HiddenName, RepositoryError> {
        let mut tx = self.write().await?;
        let written = if hidden {
            // The next number of the challenge; its unique index refuses a number two hides
            // computed at once (PostgreSQL: both read the same maximum), and the loser fails
            // rather than showing two people as the same participant.
            sqlx::query(
                "UPDATE participants SET name_hidden_as = \
                   (SELECT COALESCE(MAX(q.name_hidden_as), 0) + 1 FROM participants q WHERE q.challenge_id = $1) \
                 WHERE challenge_id = $1 AND user_id = $2 AND name_hidden_as IS NULL",
            )
        } else {
            sqlx::query(
                "UPDATE participants SET name_hidden_as = NULL \
                 WHERE challenge_id = $1 AND user_id = $2 AND name_hidden_as IS NOT NULL",
            )
        }
        .bind(challenge.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT name_hidden_as FROM participants WHERE challenge_id = $1 AND user_id = $2")
                .bind(challenge.0)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
        let Some((number,)) = row else {
            return Err(RepositoryError::NotParticipant { challenge: challenge.0, user: user.0 });
        };
        tx.commit().await?;
        Ok(HiddenName { number: number.and_then(|n| u32::try_from(n).ok()), changed: written.rows_affected() > 0 })
    }

    async fn set_news_muted(
        &self,
        challenge: ChallengeId,
        user: UserId,
        muted: bool,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        let exists: Option<i64> = sqlx::query_scalar(TALLY_EXISTS)
            .bind(challenge.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        if exists.is_none() {
            return Err(RepositoryError::NotParticipant { challenge: challenge.0, user: user.0 });
        }
        let written = if muted {
            sqlx::query(
                "INSERT INTO news_mutes (challenge_id, user_id, muted_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (challenge_id, user_id) DO NOTHING",
            )
            .bind(challenge.0)
            .bind(user.0)
            .bind(at)
            .execute(&mut *tx)
            .await
        } else {
            sqlx::query("DELETE FROM news_mutes WHERE challenge_id = $1 AND user_id = $2")
                .bind(challenge.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await
        };
        written.map_err(db_error)?;
        tx.commit().await
    }

    async fn news_muted(&self, challenge: ChallengeId, user: UserId) -> Result<bool, RepositoryError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM news_mutes WHERE challenge_id = $1 AND user_id = $2")
                .bind(challenge.0)
                .bind(user.0)
                .fetch_optional(&mut *self.read().await?)
                .await
                .map_err(db_error)?;
        Ok(found.is_some())
    }

    async fn news_recipients(
        &self,
        challenge: ChallengeId,
        candidates: Option<&[UserId]>,
    ) -> Result<Vec<UserId>, RepositoryError> {
        let listening: Vec<i64> = sqlx::query_scalar(
            "SELECT p.user_id FROM participants p WHERE p.challenge_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM news_mutes m WHERE m.challenge_id = p.challenge_id AND m.user_id = p.user_id) \
             ORDER BY p.joined_at, p.user_id",
        )
        .bind(challenge.0)
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        Ok(match candidates {
            None => listening.into_iter().map(UserId).collect(),
            Some(candidates) => candidates.iter().copied().filter(|u| listening.contains(&u.0)).collect(),
        })
    }

    async fn delete_person(&self, user: UserId, at: DateTime<Utc>) -> Result<PersonDeleted, RepositoryError> {
        let mut tx = self.write().await?;
        let mut done = PersonDeleted::default();
        let (participations, entries): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(entries), 0) AS BIGINT) FROM participants WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        done.participations = u64::try_from(participations).unwrap_or(0);
        done.entries = u64::try_from(entries).unwrap_or(0);
        let created: Vec<i64> = sqlx::query_scalar("SELECT id FROM challenges WHERE creator_id = $1 ORDER BY id")
            .bind(user.0)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?;
        for id in created {
            let heir: Option<i64> = sqlx::query_scalar(
                "SELECT user_id FROM participants WHERE challenge_id = $1 AND user_id <> $2 \
                 ORDER BY joined_at, user_id LIMIT 1",
            )
            .bind(id)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
            match heir {
                Some(heir) => {
                    sqlx::query("UPDATE challenges SET creator_id = $2 WHERE id = $1")
                        .bind(id)
                        .bind(heir)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    done.handed_over.push((ChallengeId(id), UserId(heir)));
                }
                None => {
                    // Nobody else to tell: no notice of the deletion, only the link retired.
                    retire_invite(&mut tx, ChallengeId(id), at).await?;
                    sqlx::query("DELETE FROM challenges WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    done.deleted.push(ChallengeId(id));
                }
            }
        }
        // Entries and mutes go with the participations (cascades); the rest names them directly.
        for statement in [
            "UPDATE challenges SET first_finisher_id = NULL, first_finished_at = NULL WHERE first_finisher_id = $1",
            "DELETE FROM participants WHERE user_id = $1",
            "DELETE FROM challenge_deletions WHERE user_id = $1",
            "UPDATE challenge_deletions SET creator_id = 0 WHERE creator_id = $1",
            "DELETE FROM users WHERE id = $1",
            "DELETE FROM bot_outbox WHERE chat_id = $1",
            "DELETE FROM bot_inbox WHERE user_id = $1",
            "DELETE FROM bot_failures WHERE user_id = $1",
            "DELETE FROM challenge_reports WHERE reporter_id = $1",
            "DELETE FROM removed_participants WHERE user_id = $1",
            "DELETE FROM user_settings WHERE user_id = $1",
        ] {
            sqlx::query(statement).bind(user.0).execute(&mut *tx).await.map_err(db_error)?;
        }
        tx.commit().await?;
        Ok(done)
    }
}

    };
}

pub(crate) use sql_goal_repository;
