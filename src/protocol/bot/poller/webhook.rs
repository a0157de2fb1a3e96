//! Webhook intake: updates posted to the listener enter the same machinery as polled ones, and
//! each request is answered once its update is committed (see [`super::super::listener`]).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::{Shared, admit};
use crate::protocol::bot::listener::Incoming;

impl Shared {
    /// Fires `committed` once update `id` is committed: now if it is, else when it completes.
    pub(super) fn when_committed(&self, id: i64, committed: oneshot::Sender<()>) {
        let watermark = self.watermark.lock().expect("watermark lock");
        if watermark.is_done(id) {
            let _ = committed.send(());
        } else {
            self.waiters.lock().expect("waiters lock").entry(id).or_default().push(committed);
        }
    }
}

/// How many updates below the watermark keep their records in webhook mode: Telegram has had
/// its 200 for them, but a 200 lost on the way back makes it deliver one again, and its record
/// must still be there to recognise it.
const WEBHOOK_RECORDS_KEPT: i64 = 10_000;
// A restarted webhook tells handled ids from those still on their way by these records
// (`Watermark::posted_resumed`), as far down as it awaits them.
const _: () = assert!(WEBHOOK_RECORDS_KEPT >= crate::protocol::bot::watermark::MAX_SKIPPED);

/// Admits updates from the webhook until `shutdown` fires, saying when each is committed, and
/// keeps the saved offset following the watermark.
pub(super) async fn take_from_webhook(
    shared: &Arc<Shared>,
    mut incoming: mpsc::Receiver<Incoming>,
    save_tx: &watch::Sender<(i64, i64)>,
    mut offset_rx: watch::Receiver<i64>,
    shutdown: &CancellationToken,
) {
    #[derive(serde::Deserialize)]
    struct Id {
        update_id: i64,
    }
    loop {
        let next = tokio::select! {
            next = incoming.recv() => next,
            changed = offset_rx.changed() => {
                if changed.is_ok() {
                    let offset = *offset_rx.borrow_and_update();
                    save_tx.send_replace((offset, offset.saturating_sub(WEBHOOK_RECORDS_KEPT)));
                }
                continue;
            }
            _ = shutdown.cancelled() => return,
        };
        let Some(Incoming { update, committed }) = next else { return };
        let Ok(Id { update_id }) = serde_json::from_str(update.get()) else { continue };
        if admit(shared, vec![update], shutdown).await.is_err() {
            return;
        }
        shared.when_committed(update_id, committed);
    }
}
