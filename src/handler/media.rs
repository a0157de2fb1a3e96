//! Files handed out with an answer: charts (PNG) and exports (CSV), made on demand from the
//! store.
//!
//! An answer carries only what to make ([`Attachment`]); whoever delivers it (the bot's sender,
//! the terminal) asks [`Media`] for the file at that moment. So drawing a chart (tens of
//! milliseconds of CPU) never happens inside an update's transaction nor holds up anyone
//! else's answer, and it runs on the blocking pool, off the async workers. A chart is
//! cached by what it shows (its fingerprint): asking again for an unchanged chart reads the
//! figures but does not draw it again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use moka::future::Cache;

use super::app::{App, AppError};
use crate::challenge::ChallengeId;
use crate::chart::ChartError;
use crate::progress::export::{self, ExportFormat};
use crate::user::UserId;

/// The most memory the chart cache holds (PNG bytes).
const CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// A file to hand out with an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attachment {
    /// A challenge's chart as `viewer` sees it: everyone's standings, or (`personal`) the
    /// viewer's own entries by day.
    Chart { challenge: ChallengeId, viewer: UserId, personal: bool },
    /// Entries as CSV: `user`'s own in every challenge, or (`challenge`) everyone's in one
    /// challenge, with names (for its creator).
    Export { user: UserId, challenge: Option<ChallengeId> },
}

/// How a file is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A picture (`sendPhoto`).
    Photo,
    /// A file to download (`sendDocument`).
    Document,
}

/// A file made for an attachment.
#[derive(Clone, Debug)]
pub struct File {
    pub name: String,
    pub kind: FileKind,
    pub mime: &'static str,
    pub bytes: Arc<Vec<u8>>,
    /// For a chart: the viewer's standing in one line of text (for the terminal).
    pub sparkline: Option<String>,
}

/// Why a file could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The challenge is gone, the person left it… (the message says what).
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("the chart's drawing was interrupted: {0}")]
    Interrupted(String),
}

impl MediaError {
    /// Whether trying again later may work (the database was unavailable).
    pub fn is_transient(&self) -> bool {
        matches!(self, MediaError::App(e) if e.is_storage())
    }
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
struct ChartKey {
    challenge: ChallengeId,
    viewer: UserId,
    personal: bool,
    fingerprint: u64,
}

/// Makes files for attachments. Cheap to clone (the cache is shared).
#[derive(Clone)]
pub struct Media {
    app: App,
    charts: Cache<ChartKey, Arc<Vec<u8>>>,
    renders: Arc<AtomicU64>,
}

impl Media {
    pub fn new(app: App) -> Media {
        let charts = Cache::builder()
            .max_capacity(CACHE_BYTES)
            .weigher(|_, png: &Arc<Vec<u8>>| u32::try_from(png.len()).unwrap_or(u32::MAX))
            .build();
        Media { app, charts, renders: Arc::new(AtomicU64::new(0)) }
    }

    /// How many charts were drawn (not served from the cache) since the start.
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    /// The file for `attachment`, from the store as it is now.
    pub async fn file(&self, attachment: &Attachment) -> Result<File, MediaError> {
        match *attachment {
            Attachment::Chart { challenge, viewer, personal: false } => {
                let chart = self.app.standings_chart(challenge, Some(viewer)).await?;
                let sparkline = chart.lines.iter().find(|l| l.viewer).map(|l| {
                    crate::chart::sparkline(&l.points, chart.start, chart.until, chart.from_zero, 40)
                });
                let key = ChartKey { challenge, viewer, personal: false, fingerprint: chart.fingerprint() };
                let bytes = self.draw(key, move || chart.render()).await?;
                Ok(chart_file(challenge, viewer, false, bytes, sparkline))
            }
            Attachment::Chart { challenge, viewer, personal: true } => {
                let chart = self.app.personal_chart(challenge, viewer).await?;
                let sparkline = Some(crate::chart::sparkline(
                    &chart.standing,
                    chart.start,
                    chart.until,
                    chart.from_zero,
                    40,
                ));
                let key = ChartKey { challenge, viewer, personal: true, fingerprint: chart.fingerprint() };
                let bytes = self.draw(key, move || chart.render()).await?;
                Ok(chart_file(challenge, viewer, true, bytes, sparkline))
            }
            Attachment::Export { user, challenge } => {
                let (name, bytes) = match challenge {
                    Some(id) => {
                        let (_, entries) = self.app.challenge_entries(id).await?;
                        (
                            format!("challenge-{}-entries.csv", id.0),
                            export::write(&entries, ExportFormat::Csv, true),
                        )
                    }
                    None => {
                        let entries = self.app.user_entries(user).await?;
                        ("my-entries.csv".to_owned(), export::write(&entries, ExportFormat::Csv, false))
                    }
                };
                Ok(File {
                    name,
                    kind: FileKind::Document,
                    mime: "text/csv",
                    bytes: Arc::new(bytes),
                    sparkline: None,
                })
            }
        }
    }

    /// The cached picture for `key`, or draws it on the blocking pool (once, however many ask
    /// at the same time).
    async fn draw(
        &self,
        key: ChartKey,
        render: impl FnOnce() -> Result<Vec<u8>, ChartError> + Send + 'static,
    ) -> Result<Arc<Vec<u8>>, MediaError> {
        let renders = self.renders.clone();
        self.charts
            .try_get_with(key, async move {
                let drawn = tokio::task::spawn_blocking(render)
                    .await
                    .map_err(|e| MediaError::Interrupted(e.to_string()))??;
                renders.fetch_add(1, Ordering::Relaxed);
                Ok::<_, MediaError>(Arc::new(drawn))
            })
            .await
            .map_err(|shared: Arc<MediaError>| match Arc::try_unwrap(shared) {
                Ok(e) => e,
                Err(shared) => MediaError::Interrupted(shared.to_string()),
            })
    }
}

/// `chart-<challenge>-<viewer>.png` (with `-personal` for a personal chart).
fn chart_file(
    challenge: ChallengeId,
    viewer: UserId,
    personal: bool,
    bytes: Arc<Vec<u8>>,
    sparkline: Option<String>,
) -> File {
    let suffix = if personal { "-personal" } else { "" };
    File {
        name: format!("chart-{}-{}{suffix}.png", challenge.0, viewer.0),
        kind: FileKind::Photo,
        mime: "image/png",
        bytes,
        sparkline,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::amount::Amount;
    use crate::challenge::{ChallengeName, Description, Unit};
    use crate::clock::Clock;
    use crate::goal::{Goal, GoalKind};
    use crate::handler::ChallengeDraft;
    use crate::storage::memory::MemoryStore;

    const ANN: UserId = UserId(1);

    async fn app_with_a_challenge() -> (App, ChallengeId) {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let app = App::new(Arc::new(MemoryStore::new()), Clock::Fixed(today));
        let draft = ChallengeDraft {
            name: ChallengeName::parse("Run").unwrap(),
            description: Description::default(),
            deadline: today + chrono::Days::new(20),
            unit: Some(Unit::parse("km").unwrap()),
            goal: Goal::new(GoalKind::Total, Amount::from_whole(100)).unwrap(),
            visibility: crate::challenge::Visibility::Public,
        };
        let id = app.create_challenge(ANN, draft).await.unwrap().id;
        app.add_progress(id, ANN, Some(Amount::from_whole(5)), today, None).await.unwrap();
        (app, id)
    }

    #[tokio::test]
    async fn an_unchanged_chart_comes_from_the_cache_and_a_change_draws_it_again() {
        let (app, id) = app_with_a_challenge().await;
        let media = Media::new(app.clone());
        let chart = Attachment::Chart { challenge: id, viewer: ANN, personal: false };
        let first = media.file(&chart).await.unwrap();
        assert_eq!((first.kind, first.name.as_str()), (FileKind::Photo, "chart-1-1.png"));
        let again = media.file(&chart).await.unwrap();
        assert_eq!(media.renders(), 1);
        assert!(Arc::ptr_eq(&first.bytes, &again.bytes));

        app.add_progress(id, ANN, Some(Amount::from_whole(7)), app.today(), None).await.unwrap();
        let changed = media.file(&chart).await.unwrap();
        assert_eq!(media.renders(), 2);
        assert_ne!(first.bytes, changed.bytes);

        let personal =
            media.file(&Attachment::Chart { challenge: id, viewer: ANN, personal: true }).await.unwrap();
        assert_eq!(personal.name, "chart-1-1-personal.png");
        assert_eq!(media.renders(), 3);
        assert!(personal.sparkline.is_some_and(|line| line.ends_with('█')));
    }

    #[tokio::test]
    async fn exports_are_csv_and_a_missing_challenge_is_said_not_retried() {
        let (app, id) = app_with_a_challenge().await;
        let media = Media::new(app);
        let mine = media.file(&Attachment::Export { user: ANN, challenge: None }).await.unwrap();
        assert_eq!(
            (mine.kind, mine.name.as_str(), mine.mime),
            (FileKind::Document, "my-entries.csv", "text/csv")
        );
        let text = String::from_utf8(mine.bytes.to_vec()).unwrap();
        assert!(text.starts_with("challenge_id,challenge,date,value,unit,logged_at\n"), "{text}");
        assert!(text.contains("1,Run,2026-03-10,5,km,"), "{text}");
        let everyone = media.file(&Attachment::Export { user: ANN, challenge: Some(id) }).await.unwrap();
        assert!(String::from_utf8(everyone.bytes.to_vec()).unwrap().contains(",name,"));

        let gone =
            media.file(&Attachment::Chart { challenge: ChallengeId(99), viewer: ANN, personal: false }).await;
        let error = gone.unwrap_err();
        assert!(!error.is_transient());
        assert!(error.to_string().contains("99"), "{error}");
    }
}
