//! `challenge export` and `progress export` (issue 14), run as the real binary: CSV that a CSV
//! parser reads back exactly (names with quotes, commas and line breaks), JSON, `--out`, and
//! display names instead of ids.

mod cli_support;

use cli_support::Bot;

#[test]
fn exports_round_trip_through_a_csv_parser_and_name_people_without_ids() {
    let bot = Bot::sqlite("2026-03-05");
    let tricky = "Ann, \"the\" runner";
    bot.ok(&[
        "challenge",
        "create",
        "--name",
        "Run, \"far\"",
        "--deadline",
        "2026-12-31",
        "--goal",
        "100",
        "--unit",
        "km",
        "--user",
        "41",
        "--user-name",
        tricky,
    ]);
    bot.ok(&["challenge", "join", "1", "--user", "77"]);
    bot.ok(&[
        "challenge",
        "create",
        "--name",
        "Sit",
        "--deadline",
        "2026-12-31",
        "--goal",
        "30",
        "--kind",
        "days",
        "--user",
        "41",
    ]);
    bot.ok(&["progress", "add", "1", "--user", "41", "5.25"]);
    bot.ok(&["progress", "add", "1", "--user", "77", "3"]);
    bot.ok(&["progress", "add", "2", "--user", "41"]);

    let csv = bot.ok(&["challenge", "export", "1"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["challenge_id", "challenge", "name", "date", "value", "unit", "logged_at"]
    );
    let rows: Vec<Vec<String>> =
        reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert_eq!(&rows[0][..6], ["1", "Run, \"far\"", tricky, "2026-03-05", "5.25", "km"]);
    assert_eq!(rows[1][2], "Participant 1", "a person without a name, numbered");
    assert!(rows[0][6].starts_with("2026-") && rows[0][6].ends_with('Z'), "UTC: {}", rows[0][6]);
    for row in &rows {
        assert!(!row[2].contains("41") && !row[2].contains("77"), "names, never ids: {csv}");
    }

    let mine = bot.ok(&["progress", "export", "--user", "41"]);
    let mut reader = csv::Reader::from_reader(mine.as_bytes());
    assert_eq!(reader.headers().unwrap().len(), 6, "no name column: {mine}");
    let values: Vec<(String, String)> =
        reader.records().map(|r| r.unwrap()).map(|r| (r[1].to_owned(), r[3].to_owned())).collect();
    assert_eq!(values, [("Run, \"far\"".to_owned(), "5.25".to_owned()), ("Sit".to_owned(), "1".to_owned())]);

    let written = bot.ok(&["progress", "export", "--user", "41", "--format", "json", "--out", "mine.json"]);
    assert_eq!(written, "Wrote 2 entries to mine.json.\n");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bot.file().unwrap().with_file_name("mine.json")).unwrap())
            .unwrap();
    assert_eq!(json[0]["value"], serde_json::json!(5.25));
    assert_eq!(json[1]["unit"], "");

    bot.fails(&["challenge", "export", "9"], "There is no challenge #9.");
}
