//! The SQL stores' group repository: the groups the bot is in and their challenges. Expanded by
//! [`super::sql_repositories`] inside each store's `repositories` module, so it shares that
//! module's imports and helpers.

/// `GroupRepository` for `$store` (see the module documentation).
macro_rules! sql_group_repository {
    ($store:ident, $db:ident) => {
// The body is written at the indentation it would have in a file of its own.

#[derive(sqlx::FromRow)]
struct GroupRow {
    chat_id: i64,
    title: String,
    link_code: String,
    active: bool,
}

impl TryFrom<GroupRow> for GroupChat {
    type Error = RepositoryError;
    fn try_from(row: GroupRow) -> Result<GroupChat, RepositoryError> {
        Ok(GroupChat {
            id: GroupChatId(row.chat_id),
            title: row.title,
            code: InviteCode::parse(&row.link_code)
                .map_err(|e| corrupt("group link code", e))?,
            active: row.active,
        })
    }
}

#[async_trait]
impl GroupRepository for $store {
    async fn upsert_group(
        &self,
        id: GroupChatId,
        title: &str,
        active: bool,
        fresh: &InviteCode,
        at: DateTime<Utc>,
    ) -> Result<GroupChat, RepositoryError> {
        let mut tx = self.write().await?;
        let row: GroupRow = sqlx::query_as(
            "INSERT INTO group_chats (chat_id, title, link_code, active, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (chat_id) DO UPDATE SET title = excluded.title, active = excluded.active, \
             updated_at = excluded.updated_at \
             RETURNING chat_id, title, link_code, active",
        )
        .bind(id.0)
        .bind(title)
        .bind(fresh.as_str())
        .bind(active)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await?;
        row.try_into()
    }

    async fn group(&self, id: GroupChatId) -> Result<Option<GroupChat>, RepositoryError> {
        let row: Option<GroupRow> =
            sqlx::query_as("SELECT chat_id, title, link_code, active FROM group_chats WHERE chat_id = $1")
                .bind(id.0)
                .fetch_optional(&mut *self.read().await?)
                .await
                .map_err(db_error)?;
        row.map(GroupChat::try_from).transpose()
    }

    async fn group_by_code(&self, code: &InviteCode) -> Result<Option<GroupChat>, RepositoryError> {
        let row: Option<GroupRow> =
            sqlx::query_as("SELECT chat_id, title, link_code, active FROM group_chats WHERE link_code = $1")
                .bind(code.as_str())
                .fetch_optional(&mut *self.read().await?)
                .await
                .map_err(db_error)?;
        row.map(GroupChat::try_from).transpose()
    }

    async fn migrate_group(
        &self,
        from: GroupChatId,
        to: GroupChatId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        // The supergroup may be known already (an update from it came first): its challenges
        // join it and the old row goes. Otherwise the row takes the new id, and its
        // challenges follow by the foreign key's ON UPDATE CASCADE.
        sqlx::query(
            "UPDATE group_challenges SET chat_id = $2 WHERE chat_id = $1 \
             AND EXISTS (SELECT 1 FROM group_chats WHERE chat_id = $2)",
        )
        .bind(from.0)
        .bind(to.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "DELETE FROM group_chats WHERE chat_id = $1 AND EXISTS (SELECT 1 FROM group_chats WHERE chat_id = $2)",
        )
        .bind(from.0)
        .bind(to.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query("UPDATE group_chats SET chat_id = $2, active = TRUE, updated_at = $3 WHERE chat_id = $1")
            .bind(from.0)
            .bind(to.0)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await
    }

    async fn set_challenge_group(&self, challenge: ChallengeId, group: GroupChatId) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "INSERT INTO group_challenges (challenge_id, chat_id) VALUES ($1, $2) \
             ON CONFLICT (challenge_id) DO UPDATE SET chat_id = excluded.chat_id",
        )
        .bind(challenge.0)
        .bind(group.0)
        .execute(&mut *tx)
        .await;
        match done {
            Ok(_) => tx.commit().await,
            Err(e) if is_foreign_key_violation(&e) => Err(RepositoryError::ChallengeNotFound(challenge.0)),
            Err(e) => Err(db_error(e)),
        }
    }

    async fn group_of(&self, challenge: ChallengeId) -> Result<Option<GroupChat>, RepositoryError> {
        let row: Option<GroupRow> = sqlx::query_as(
            "SELECT g.chat_id, g.title, g.link_code, g.active FROM group_challenges gc \
             JOIN group_chats g ON g.chat_id = gc.chat_id WHERE gc.challenge_id = $1",
        )
        .bind(challenge.0)
        .fetch_optional(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        row.map(GroupChat::try_from).transpose()
    }

    async fn group_challenges(
        &self,
        group: GroupChatId,
        active_on: Option<Today>,
        limit: u32,
    ) -> Result<Vec<Challenge>, RepositoryError> {
        let mut conn = self.read().await?;
        let mut select = QueryBuilder::<$db>::new(concat!(
            "SELECT ",
            challenge_columns!(),
            " FROM group_challenges gc JOIN challenges c ON c.id = gc.challenge_id WHERE gc.chat_id = "
        ));
        select.push_bind(group.0);
        if let Some(today) = active_on {
            let active = deadline_rule(&mut conn, &self.zones, today, 0).await?;
            select.push(" AND ");
            push_deadline_rule(&mut select, &active);
        }
        select.push(" ORDER BY c.id DESC LIMIT ").push_bind(i64::from(limit));
        let rows: Vec<ChallengeRow> = select.build_query_as().fetch_all(&mut *conn).await.map_err(db_error)?;
        rows.into_iter().map(Challenge::try_from).collect()
    }
}

    };
}

pub(crate) use sql_group_repository;
