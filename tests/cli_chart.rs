//! `challenge chart` (issue 14), run as the real binary: a PNG file of the promised size, a
//! personal chart that differs, and clear refusals.

mod cli_support;

use cli_support::Bot;

fn png_size(path: &std::path::Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap();
    let info = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG").info().clone();
    (info.width, info.height)
}

#[test]
fn charts_are_written_as_png_files() {
    let bot = Bot::sqlite("2026-03-01");
    bot.ok(&[
        "challenge",
        "create",
        "--name",
        "Run 🏃",
        "--deadline",
        "2026-04-30",
        "--goal",
        "100",
        "--unit",
        "km",
        "--user",
        "1",
        "--user-name",
        "山田 👟",
    ]);
    bot.ok(&["challenge", "join", "1", "--user", "2"]);
    let bot = bot.on("2026-03-05");
    bot.ok(&["progress", "add", "1", "--user", "1", "5", "--date", "2026-03-02"]);
    bot.ok(&["progress", "add", "1", "--user", "1", "7"]);
    bot.ok(&["progress", "add", "1", "--user", "2", "9"]);
    let dir = tempfile::tempdir().unwrap();

    let everyone = dir.path().join("run.png");
    let said = bot.ok(&["challenge", "chart", "1", "--out", everyone.to_str().unwrap()]);
    assert!(said.starts_with("Wrote the chart (1000×600 PNG, "), "{said}");
    assert!(said.ends_with(&format!("to {}.\n", everyone.display())), "{said}");
    assert_eq!(png_size(&everyone), (1000, 600));

    let viewer = dir.path().join("run-2.png");
    bot.ok(&["challenge", "chart", "1", "--user", "2", "--out", viewer.to_str().unwrap()]);
    let personal = dir.path().join("mine.png");
    bot.ok(&["challenge", "chart", "1", "--user", "1", "--personal", "--out", personal.to_str().unwrap()]);
    assert_eq!(png_size(&personal), (1000, 600));
    let read = |p: &std::path::Path| std::fs::read(p).unwrap();
    assert_ne!(read(&everyone), read(&viewer), "the viewer's line stands out");
    assert_ne!(read(&viewer), read(&personal));

    let gone = bot.fails_with(&["challenge", "chart", "9", "--out", viewer.to_str().unwrap()]);
    assert!(gone.contains("#9"), "{gone}");
    let outsider = bot.fails_with(&[
        "challenge",
        "chart",
        "1",
        "--user",
        "3",
        "--personal",
        "--out",
        viewer.to_str().unwrap(),
    ]);
    assert!(outsider.contains("not"), "{outsider}");
    let usage = bot.usage_error(&["challenge", "chart", "1", "--personal", "--out", "x.png"]);
    assert!(usage.contains("--user"), "{usage}");
    let missing = dir.path().join("no-such-dir").join("x.png");
    let unwritable = bot.fails_with(&["challenge", "chart", "1", "--out", missing.to_str().unwrap()]);
    assert!(unwritable.starts_with("Could not write"), "{unwritable}");
}
