//! One bot update's transaction, shared by every repository call the update makes.
//!
//! The bot must record an update as handled in the same transaction as the effects it causes
//! (issue 4): then an update delivered again after a crash either finds its record (and changes
//! nothing) or finds no effects either (and is handled afresh). The repositories are written one
//! call at a time, each with its own transaction; a store carrying a [`TurnCell`] routes them into
//! the update's transaction instead:
//!
//! - reads run on a pooled connection until the update writes, then inside its transaction (so
//!   they see its writes);
//! - the first write begins the transaction (`BEGIN`, or SQLite's `BEGIN IMMEDIATE`); a write's
//!   own "commit" becomes a no-op, and the transaction commits together with the update's record
//!   (`storage::{postgres,sqlite}::delivery`);
//! - a write that gives up midway (an error, a refusal) marks the turn failed: its transaction
//!   may be aborted (PostgreSQL refuses everything after an error), so it is rolled back at the
//!   end, later reads go back to the pool, and later writes are refused. The answer the
//!   conversation composed from the error is still recorded, on its own.
//!
//! The outbox's own statements (the record, the queued messages) are in `storage::outbox`.
//!
//! Updates without writes (views, menus) never open a transaction.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use super::error::db_error;
use crate::repository::RepositoryError;

/// The transaction of one update, begun at its first write.
pub(crate) struct TurnState<DB: Database> {
    pub(crate) tx: Option<Transaction<'static, DB>>,
    /// A write gave up midway: roll back, do not commit.
    pub(crate) failed: bool,
}

/// Shared by the clones of a store that make up one update's turn.
pub(crate) type TurnCell<DB> = Arc<Mutex<TurnState<DB>>>;

pub(crate) fn new_cell<DB: Database>() -> TurnCell<DB> {
    Arc::new(Mutex::new(TurnState { tx: None, failed: false }))
}

/// A connection for one repository call: pooled, a transaction of its own, or the turn's.
pub(crate) struct Conn<'a, DB: Database> {
    held: Held<'a, DB>,
    /// For writes in a turn: whether the call got to its commit.
    settled: bool,
}

enum Held<'a, DB: Database> {
    Pooled(PoolConnection<DB>),
    Own(Transaction<'static, DB>),
    Turn(MutexGuard<'a, TurnState<DB>>),
    Released,
}

impl<DB: Database> Conn<'_, DB> {
    /// Ends a write: commits its own transaction, or leaves the turn's open for the record.
    pub(crate) async fn commit(mut self) -> Result<(), RepositoryError> {
        self.settled = true;
        match std::mem::replace(&mut self.held, Held::Released) {
            Held::Own(tx) => tx.commit().await.map_err(db_error),
            _ => Ok(()),
        }
    }
}

impl<DB: Database> Drop for Conn<'_, DB> {
    fn drop(&mut self) {
        if let Held::Turn(state) = &mut self.held
            && !self.settled
        {
            state.failed = true;
        }
    }
}

impl<DB: Database> Deref for Conn<'_, DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        match &self.held {
            Held::Pooled(conn) => conn,
            Held::Own(tx) => tx,
            Held::Turn(state) => state.tx.as_ref().expect("a turn connection has a transaction"),
            Held::Released => unreachable!("a connection is not used after its commit"),
        }
    }
}

impl<DB: Database> DerefMut for Conn<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match &mut self.held {
            Held::Pooled(conn) => conn,
            Held::Own(tx) => tx,
            Held::Turn(state) => state.tx.as_mut().expect("a turn connection has a transaction"),
            Held::Released => unreachable!("a connection is not used after its commit"),
        }
    }
}

/// The turn's transaction to read in, if it wrote and nothing failed.
async fn turn_reader<DB: Database>(turn: Option<&TurnCell<DB>>) -> Option<Conn<'_, DB>> {
    let state = turn?.lock().await;
    (state.tx.is_some() && !state.failed).then(|| Conn { held: Held::Turn(state), settled: true })
}

/// A connection for reading: the turn's transaction once it wrote, else a pooled one.
pub(crate) async fn reader<'a, DB: Database>(
    pool: &Pool<DB>,
    turn: Option<&'a TurnCell<DB>>,
) -> Result<Conn<'a, DB>, RepositoryError> {
    if let Some(conn) = turn_reader(turn).await {
        return Ok(conn);
    }
    let conn = pool.acquire().await.map_err(db_error)?;
    Ok(Conn { held: Held::Pooled(conn), settled: true })
}

/// A transaction for reading several things from one snapshot: the turn's once it wrote, else
/// a new one begun with `begin`.
pub(crate) async fn snapshot<'a, DB: Database>(
    pool: &Pool<DB>,
    turn: Option<&'a TurnCell<DB>>,
    begin: &'static str,
) -> Result<Conn<'a, DB>, RepositoryError> {
    if let Some(conn) = turn_reader(turn).await {
        return Ok(conn);
    }
    let tx = pool.begin_with(begin).await.map_err(db_error)?;
    Ok(Conn { held: Held::Own(tx), settled: true })
}

/// A transaction for writing, begun with `begin`: the turn's (begun now if it is the first
/// write), else one of its own. End it with [`Conn::commit`].
pub(crate) async fn writer<'a, DB: Database>(
    pool: &Pool<DB>,
    turn: Option<&'a TurnCell<DB>>,
    begin: &'static str,
) -> Result<Conn<'a, DB>, RepositoryError> {
    let Some(cell) = turn else {
        let tx = pool.begin_with(begin).await.map_err(db_error)?;
        return Ok(Conn { held: Held::Own(tx), settled: false });
    };
    let mut state = cell.lock().await;
    if state.failed {
        return Err(RepositoryError::backend(
            "an earlier write of this update failed; it will be handled again",
        ));
    }
    if state.tx.is_none() {
        state.tx = Some(pool.begin_with(begin).await.map_err(db_error)?);
    }
    Ok(Conn { held: Held::Turn(state), settled: false })
}

/// Takes a job's transaction (see [`crate::outbox::Outbox::job`]): `Some` if it wrote; an
/// error if a write gave up midway (the transaction is rolled back).
pub(crate) async fn take_unfailed<DB: Database>(
    cell: &TurnCell<DB>,
) -> Result<Option<Transaction<'static, DB>>, RepositoryError> {
    let failed = cell.lock().await.failed;
    let tx = take(cell).await?;
    if failed {
        return Err(RepositoryError::unavailable(
            "a write of the bot's own work gave up midway; it was rolled back",
        ));
    }
    Ok(tx)
}

/// Takes the turn's transaction for the record: `Some` if the turn wrote and nothing failed;
/// a transaction after a failed write is rolled back here.
pub(crate) async fn take<DB: Database>(
    cell: &TurnCell<DB>,
) -> Result<Option<Transaction<'static, DB>>, RepositoryError> {
    let (tx, failed) = {
        let mut state = cell.lock().await;
        (state.tx.take(), state.failed)
    };
    match tx {
        Some(tx) if failed => {
            tx.rollback().await.map_err(db_error)?;
            Ok(None)
        }
        other => Ok(other),
    }
}
