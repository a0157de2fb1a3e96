//! A challenge's standings over time as an SVG drawn on the server: the same figures as the
//! chat's PNG chart ([`crate::chart`]), scaled to the page's width by the browser, coloured by
//! the page's theme (the strokes use CSS variables), names escaped by the template engine.

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::chart::StandingsChart;

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 22.0;

/// Line colours for the others, in legend order (the viewer's is the theme's accent).
const PALETTE: [&str; 10] = [
    "#e67e22", "#16a085", "#8e44ad", "#c0392b", "#2980b9", "#7f8c8d", "#d35400", "#27ae60", "#b7950b",
    "#2c3e50",
];

/// Round figures for an axis from 0 (or `low`) to `high`: "12", "2.5k".
fn short(value: f64) -> String {
    let abs = value.abs();
    if abs >= 10_000.0 {
        format!("{:.0}k", value / 1000.0)
    } else if abs >= 1000.0 {
        format!("{:.1}k", value / 1000.0)
    } else if (value - value.round()).abs() < 0.05 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The chart, or a note when there is nothing to draw yet.
pub fn standings(chart: &StandingsChart) -> Markup {
    let has_points = chart.lines.iter().any(|l| !l.points.is_empty());
    if !has_points {
        return html! { p.muted { "The chart appears once someone logs progress." } };
    }
    let start = chart.start;
    let end = chart.deadline.max(start + chrono::Days::new(1));
    let span = (end - start).num_days().max(1) as f64;
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    for line in &chart.lines {
        for (_, v) in &line.points {
            low = low.min(*v);
            high = high.max(*v);
        }
    }
    if let Some(goal) = chart.goal {
        low = low.min(goal);
        high = high.max(goal);
    }
    if chart.from_zero {
        low = low.min(0.0);
    }
    if high - low < 1e-9 {
        high = low + 1.0;
    }
    let pad = (high - low) * 0.05;
    let (low, high) = (if chart.from_zero && low >= 0.0 { 0.0 } else { low - pad }, high + pad);
    let x = |d: NaiveDate| LEFT + ((d - start).num_days() as f64 / span) * (WIDTH - LEFT - RIGHT);
    let y = |v: f64| TOP + (1.0 - (v - low) / (high - low)) * (HEIGHT - TOP - BOTTOM);
    let until = chart.until.min(end);

    // Each line steps: flat until the next day with an entry, then up (or down) to it.
    let path = |points: &[(NaiveDate, f64)]| -> String {
        let mut d = String::new();
        let mut last: Option<f64> = if chart.from_zero { Some(0.0) } else { None };
        if let Some(v) = last {
            d.push_str(&format!("M{:.1},{:.1}", x(start), y(v)));
        }
        for (date, value) in points {
            let px = x(*date);
            match last {
                Some(_) => d.push_str(&format!(" H{px:.1} V{:.1}", y(*value))),
                None => d.push_str(&format!("M{px:.1},{:.1}", y(*value))),
            }
            last = Some(*value);
        }
        if last.is_some() {
            d.push_str(&format!(" H{:.1}", x(until)));
        }
        d
    };
    let mut colours = PALETTE.iter().cycle();
    let drawn: Vec<(&crate::chart::Line, &str)> = chart
        .lines
        .iter()
        .map(|line| {
            (line, if line.viewer { "var(--accent)" } else { colours.next().copied().unwrap_or("#888") })
        })
        .collect();
    let ticks = [low, (low + high) / 2.0, high];
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label="Standings over time" {
            @for t in ticks {
                line.grid x1=(LEFT) x2={ (WIDTH - RIGHT) } y1={ (format!("{:.1}", y(t))) } y2={ (format!("{:.1}", y(t))) } {}
                text.axis x={ (LEFT - 4.0) } y={ (format!("{:.1}", y(t) + 3.0)) } text-anchor="end" { (short(t)) }
            }
            text.axis x=(LEFT) y={ (HEIGHT - 6.0) } { (start.format("%-d %b")) }
            text.axis x={ (WIDTH - RIGHT) } y={ (HEIGHT - 6.0) } text-anchor="end" { (end.format("%-d %b")) }
            @if let Some(goal) = chart.goal {
                line.goal x1=(LEFT) x2={ (WIDTH - RIGHT) } y1={ (format!("{:.1}", y(goal))) } y2={ (format!("{:.1}", y(goal))) } {}
            }
            @if let Some([(d0, v0), (d1, v1)]) = chart.pace {
                line.pace x1={ (format!("{:.1}", x(d0))) } y1={ (format!("{:.1}", y(v0))) } x2={ (format!("{:.1}", x(d1))) } y2={ (format!("{:.1}", y(v1))) } {}
            }
            @for (line, colour) in drawn.iter().rev() {
                path class=(if line.viewer { "line me" } else { "line" }) d=(path(&line.points)) stroke=(colour) {}
            }
        }
        ul.legend {
            @for (line, colour) in &drawn {
                li class=[line.viewer.then_some("me")] {
                    span.swatch style={ "background:" (colour) } {}
                    (line.name)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Line;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn chart(lines: Vec<Line>) -> StandingsChart {
        StandingsChart {
            title: "Run".into(),
            axis: "Total (km)".into(),
            start: day(1),
            deadline: day(31),
            until: day(10),
            from_zero: true,
            lines,
            goal: Some(100.0),
            pace: Some([(day(1), 0.0), (day(31), 100.0)]),
        }
    }

    #[test]
    fn names_are_escaped_and_lines_step() {
        let svg = standings(&chart(vec![
            Line {
                name: "<script>alert(1)</script>".into(),
                points: vec![(day(2), 5.0), (day(4), 12.0)],
                viewer: false,
            },
            Line { name: "Me & you".into(), points: vec![(day(3), 7.0)], viewer: true },
        ]))
        .into_string();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{svg}");
        assert!(svg.contains("Me &amp; you"), "{svg}");
        assert_eq!(svg.matches("<path").count(), 2, "{svg}");
        assert!(svg.contains("class=\"line me\""), "{svg}");
        assert!(svg.contains("class=\"goal\""), "{svg}");
        // From zero at the start, then a step to each day's standing.
        assert!(svg.contains(" H"), "{svg}");
    }

    #[test]
    fn an_empty_chart_says_so() {
        let svg =
            standings(&chart(vec![Line { name: "A".into(), points: vec![], viewer: true }])).into_string();
        assert!(svg.contains("once someone logs progress"), "{svg}");
        assert!(!svg.contains("<svg"));
    }
}
