//! Entries as people take them away: CSV (one row per entry, for spreadsheets) or JSON.
//!
//! The columns are `challenge_id,challenge,date,value,unit,logged_at`, with `name` after
//! `challenge` when the export holds everyone in a challenge. A check-in counts 1; `logged_at` is
//! when the entry was recorded, in UTC (ISO 8601). People are named by their display names,
//! never by their (Telegram) ids: someone without a stored name is "Participant N", numbered
//! in the order they first appear, past the numbers of names their creator hid.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::ExportedEntry;
use crate::user::UserId;

/// How an export is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// One row of an export.
#[derive(Serialize)]
struct Row<'a> {
    challenge_id: i64,
    challenge: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    date: String,
    value: serde_json::Number,
    unit: &'a str,
    logged_at: String,
}

/// Writes `entries` in `format`; with `names`, each row names its author.
pub fn write(entries: &[ExportedEntry], format: ExportFormat, names: bool) -> Vec<u8> {
    // A number a hidden name already shows ("Participant 2", see `Standing::display_name`) is
    // skipped, so two people never share one.
    let taken: HashSet<&str> = entries.iter().filter_map(|e| e.display_name.as_deref()).collect();
    let mut anonymous: HashMap<UserId, String> = HashMap::new();
    let mut last = 0;
    let rows: Vec<Row<'_>> = entries
        .iter()
        .map(|e| {
            let name = names.then(|| match &e.display_name {
                Some(name) => name.clone(),
                None => anonymous
                    .entry(e.user)
                    .or_insert_with(|| {
                        loop {
                            last += 1;
                            let name = format!("Participant {last}");
                            if !taken.contains(name.as_str()) {
                                break name;
                            }
                        }
                    })
                    .clone(),
            });
            let value = e.value.map_or_else(|| "1".to_owned(), |v| v.to_string());
            Row {
                challenge_id: e.challenge.0,
                challenge: &e.challenge_name,
                name,
                date: e.date.format("%Y-%m-%d").to_string(),
                value: value.parse().unwrap_or_else(|_| serde_json::Number::from(0)),
                unit: e.unit.as_deref().unwrap_or(""),
                logged_at: e.recorded_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            }
        })
        .collect();
    match format {
        ExportFormat::Json => {
            let mut out = serde_json::to_vec_pretty(&rows).unwrap_or_default();
            out.push(b'\n');
            out
        }
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let header: &[&str] = if names {
                &["challenge_id", "challenge", "name", "date", "value", "unit", "logged_at"]
            } else {
                &["challenge_id", "challenge", "date", "value", "unit", "logged_at"]
            };
            // Writing to memory cannot fail.
            let _ = writer.write_record(header);
            for r in &rows {
                let id = r.challenge_id.to_string();
                let value = r.value.to_string();
                let mut record = vec![id.as_str(), r.challenge];
                if let Some(name) = &r.name {
                    record.push(name);
                }
                record.extend([r.date.as_str(), value.as_str(), r.unit, r.logged_at.as_str()]);
                let _ = writer.write_record(&record);
            }
            writer.into_inner().unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::amount::Amount;
    use crate::challenge::ChallengeId;

    fn entry(user: i64, name: Option<&str>, value: Option<&str>) -> ExportedEntry {
        ExportedEntry {
            challenge: ChallengeId(7),
            challenge_name: "Run, \"fast\"\nand far".into(),
            unit: Some("km".into()),
            user: UserId(user),
            display_name: name.map(str::to_owned),
            date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            value: value.map(|v| Amount::parse_positive(v).unwrap()),
            recorded_at: Utc.with_ymd_and_hms(2026, 3, 2, 7, 5, 0).unwrap(),
        }
    }

    #[test]
    fn csv_round_trips_quotes_commas_and_line_breaks_and_never_shows_ids() {
        let entries = [
            entry(111, Some("Ann, \"the\" runner\nof Oslo"), Some("5.25")),
            entry(222, None, None),
            entry(333, None, Some("3")),
            entry(222, None, Some("1.5")),
        ];
        let csv = write(&entries, ExportFormat::Csv, true);
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header, ["challenge_id", "challenge", "name", "date", "value", "unit", "logged_at"]);
        let rows: Vec<Vec<String>> =
            reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0],
            [
                "7",
                "Run, \"fast\"\nand far",
                "Ann, \"the\" runner\nof Oslo",
                "2026-03-02",
                "5.25",
                "km",
                "2026-03-02T07:05:00Z"
            ]
        );
        assert_eq!((rows[1][2].as_str(), rows[1][4].as_str()), ("Participant 1", "1"), "a check-in counts 1");
        assert_eq!(rows[2][2], "Participant 2");
        assert_eq!(rows[3][2], "Participant 1", "the same person, the same number");
        let text = String::from_utf8(csv).unwrap();
        assert!(!text.contains("222") && !text.contains("333"), "no ids: {text}");
    }

    #[test]
    fn nameless_people_skip_the_numbers_of_hidden_names() {
        let entries = [entry(222, None, Some("1")), entry(333, Some("Participant 1"), Some("2"))];
        let json: serde_json::Value =
            serde_json::from_slice(&write(&entries, ExportFormat::Json, true)).unwrap();
        let names: Vec<&str> =
            json.as_array().unwrap().iter().map(|row| row["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Participant 2", "Participant 1"]);
    }

    #[test]
    fn one_persons_export_has_no_name_column_and_json_has_numbers() {
        let entries = [entry(111, Some("Ann"), Some("5.25"))];
        let csv = String::from_utf8(write(&entries, ExportFormat::Csv, false)).unwrap();
        assert!(csv.starts_with("challenge_id,challenge,date,value,unit,logged_at\n"), "{csv}");
        let json: serde_json::Value =
            serde_json::from_slice(&write(&entries, ExportFormat::Json, false)).unwrap();
        assert_eq!(json[0]["value"], serde_json::json!(5.25));
        assert_eq!(json[0]["logged_at"], "2026-03-02T07:05:00Z");
        assert!(json[0].get("name").is_none());
    }
}
