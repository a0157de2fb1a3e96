//! `challenge reports` and `challenge relist`: the operator reviews reported challenges. Who
//! reported is not shown here either (only how many people, and why).

use clap::Args;
use serde::Serialize;

use super::args;
use super::{CliError, Output, Session};
use crate::config::Config;
use crate::storage::Access;

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  challenge-bot challenge reports\n  challenge-bot --json challenge reports"
)]
pub struct ReportsArgs {}

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  challenge-bot challenge relist 12")]
pub struct RelistArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
}

#[derive(Serialize)]
struct ReportView {
    id: i64,
    name: String,
    visibility: &'static str,
    reporters: u32,
    reasons: Vec<ReasonView>,
    unlisted: bool,
    unlisted_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize)]
struct ReasonView {
    reason: &'static str,
    reports: u32,
}

pub async fn reports(_: ReportsArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let session = Session::open(config, Access::Existing).await?;
    let reported = session.app.reported_challenges().await.map_err(session.refused(None))?;
    let views: Vec<ReportView> = reported
        .iter()
        .map(|r| ReportView {
            id: r.challenge.id.0,
            name: r.challenge.name.to_string(),
            visibility: r.challenge.visibility.as_str(),
            reporters: r.reporters,
            reasons: r
                .reasons
                .iter()
                .map(|(reason, n)| ReasonView { reason: reason.as_str(), reports: *n })
                .collect(),
            unlisted: r.unlisted_at.is_some(),
            unlisted_at: r.unlisted_at,
        })
        .collect();
    if json {
        let text =
            serde_json::to_string_pretty(&serde_json::json!({ "reported": views })).expect("serializes");
        return Ok(Output::read(text + "\n"));
    }
    if views.is_empty() {
        return Ok(Output::read("No challenge is reported.\n".into()));
    }
    let mut text = String::new();
    for v in &views {
        let reasons: Vec<String> = v.reasons.iter().map(|r| format!("{} {}", r.reports, r.reason)).collect();
        text.push_str(&format!(
            "#{} \"{}\" ({}): reported by {} {} ({}){}\n",
            v.id,
            crate::text::shown(&v.name, 60),
            v.visibility,
            v.reporters,
            if v.reporters == 1 { "person" } else { "people" },
            reasons.join(", "),
            if v.unlisted { "; unlisted until relisted (challenge-bot challenge relist ID)" } else { "" },
        ));
    }
    Ok(Output::read(text))
}

pub async fn relist(a: RelistArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let session = Session::open(config, Access::Existing).await?;
    let challenge = session.app.relist(id).await.map_err(session.refused(None))?;
    if json {
        let text = serde_json::json!({ "relisted": id.0, "visibility": challenge.visibility.as_str() });
        return Ok(Output::changed(serde_json::to_string_pretty(&text).expect("serializes") + "\n"));
    }
    let listed = if challenge.visibility.is_public() {
        "it is listed again"
    } else {
        "it is private, so it stays unlisted"
    };
    Ok(Output::changed(format!(
        "Challenge #{} \"{}\": its reports are cleared and {listed}.\n",
        id.0,
        crate::text::shown(challenge.name.as_str(), 60)
    )))
}
