use super::*;

fn day(offset: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(offset)
}

/// The PNG's width, height and RGB pixels (panics if it does not decode).
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a known size")];
    let info = reader.next_frame(&mut pixels).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// How many pixels are not white.
fn inked(pixels: &[u8]) -> usize {
    pixels.chunks(3).filter(|p| p != &[255, 255, 255]).count()
}

/// How many pixels are (close to) this colour.
fn coloured(pixels: &[u8], colour: RGBColor) -> usize {
    let RGBColor(r, g, b) = colour;
    pixels.chunks(3).filter(|p| p[0].abs_diff(r) < 8 && p[1].abs_diff(g) < 8 && p[2].abs_diff(b) < 8).count()
}

/// A total challenge over `days` days with `people` participants, each logging every
/// `1 + i % 3` days; the first one is the viewer.
fn standings(people: usize, days: i64) -> StandingsChart {
    let lines = (0..people.min(11))
        .map(|i| {
            let mut total = 0.0;
            let points = (0..days)
                .step_by(1 + i % 3)
                .map(|d| {
                    total += 1.0 + (i as f64) / 2.0;
                    (day(d), total)
                })
                .collect();
            Line { name: format!("Person {i}"), points, viewer: i == 0 }
        })
        .collect();
    StandingsChart {
        title: "Run 🏃 every day".into(),
        axis: "Total (km)".into(),
        start: day(0),
        deadline: day(days - 1),
        until: day(days - 1),
        from_zero: true,
        lines,
        goal: Some(days as f64),
        pace: Some([(day(0), 0.0), (day(days - 1), days as f64)]),
    }
}

#[test]
fn a_chart_is_a_png_of_the_promised_size_with_the_viewer_and_the_goal_drawn() {
    let png_bytes = standings(5, 30).render().unwrap();
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (width, height, pixels) = decode(&png_bytes);
    assert_eq!((width, height), (WIDTH, HEIGHT));
    assert!(inked(&pixels) > 20_000, "only {} pixels drawn", inked(&pixels));
    assert!(coloured(&pixels, VIEWER) > 500, "the viewer's line is missing");
    assert!(coloured(&pixels, GOAL) > 500, "the goal line is missing");
}

#[test]
fn different_data_draws_a_different_picture_and_fingerprint() {
    let chart = standings(3, 30);
    let mut changed = chart.clone();
    changed.lines[1].points.last_mut().unwrap().1 += 10.0;
    assert_ne!(chart.fingerprint(), changed.fingerprint());
    assert_ne!(decode(&chart.render().unwrap()).2, decode(&changed.render().unwrap()).2);
    // The same data draws the same picture.
    assert_eq!(chart.fingerprint(), standings(3, 30).fingerprint());
    assert_eq!(chart.render().unwrap(), standings(3, 30).render().unwrap());
}

#[test]
fn no_one_one_person_and_a_full_year_all_draw() {
    for (people, days) in [(0, 30), (1, 1), (1, 30), (200, 365)] {
        let chart = standings(people, days);
        let (w, h, pixels) = decode(&chart.render().unwrap());
        assert_eq!((w, h), (WIDTH, HEIGHT));
        assert!(inked(&pixels) > 5_000, "{people} people over {days} days drew almost nothing");
    }
}

#[test]
fn a_year_with_two_hundred_people_stays_small() {
    let bytes = standings(200, 365).render().unwrap();
    assert!(bytes.len() < 300 * 1024, "{} bytes", bytes.len());
}

#[test]
fn emoji_cjk_and_right_to_left_names_do_not_break_the_renderer() {
    let mut chart = standings(4, 20);
    chart.title = "跑步 🏃‍♀️ challenge with a very long name that goes on and on and on and on".into();
    chart.lines[0].name = "👩‍👩‍👧‍👦 family".into();
    chart.lines[1].name = "山田 太郎".into();
    chart.lines[2].name = "مرحبا\u{202e}".into();
    chart.lines[3].name = "\u{0}\n".into();
    let (_, _, pixels) = decode(&chart.render().unwrap());
    assert!(inked(&pixels) > 20_000);
}

#[test]
fn lines_step_between_entries_and_stop_at_until() {
    let points = [(day(2), 3.0), (day(5), 7.0)];
    assert_eq!(
        steps(&points, day(0), day(9), true),
        vec![(day(0), 0.0), (day(2), 0.0), (day(2), 3.0), (day(5), 3.0), (day(5), 7.0), (day(9), 7.0)]
    );
    // A best-so-far starts at its first entry.
    assert_eq!(steps(&points, day(0), day(5), false), vec![(day(2), 3.0), (day(5), 3.0), (day(5), 7.0)]);
    assert!(steps(&[], day(0), day(5), false).is_empty());
}

#[test]
fn a_personal_chart_draws_bars_and_the_standing() {
    let chart = PersonalChart {
        title: "Run".into(),
        bars_axis: "km per day".into(),
        standing_axis: "Total (km)".into(),
        start: day(0),
        deadline: day(29),
        until: day(20),
        from_zero: true,
        bars: (0..20).step_by(2).map(|d| (day(d), 5.0)).collect(),
        standing: (0..20).step_by(2).map(|d| (day(d), 5.0 * (d / 2 + 1) as f64)).collect(),
        goal: Some(100.0),
        pace: Some([(day(0), 0.0), (day(29), 100.0)]),
    };
    let (w, h, pixels) = decode(&chart.render().unwrap());
    assert_eq!((w, h), (WIDTH, HEIGHT));
    assert!(coloured(&pixels, BARS) > 1_000, "the bars are missing");
    assert!(coloured(&pixels, VIEWER) > 500, "the standing is missing");
    let mut empty = chart.clone();
    empty.bars.clear();
    empty.standing.clear();
    assert_ne!(empty.fingerprint(), chart.fingerprint());
    let (_, _, pixels) = decode(&empty.render().unwrap());
    assert!(coloured(&pixels, BARS) <= 200, "only the legend's 20×10 swatch is left");
}

#[test]
fn axis_figures_are_short() {
    assert_eq!(figure(3.0), "3");
    assert_eq!(figure(2.5), "2.5");
    assert_eq!(figure(12_500.0), "12k");
}
