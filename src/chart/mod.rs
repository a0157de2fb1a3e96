//! Charts as PNG pictures, drawn in memory.
//!
//! People would rather look at a line going up than read numbers. Rendering here is pure: it
//! takes the figures (computed by the handler from the store) and returns PNG bytes, so a chart
//! is drawn off the path of any update, can be cached by what it shows ([`StandingsChart::fingerprint`]),
//! and is tested without a database.
//!
//! The font is DejaVu Sans from the `dejavu` crate, registered with plotters' `ab_glyph`
//! backend: no system fonts, the same picture on every machine. A character DejaVu lacks (most
//! emoji, CJK) is drawn as the font's empty box instead of failing.
//!
//! Standings are drawn as steps: a standing changes on the day something is logged and stays
//! level until the next entry, which a straight line between entries would misrepresent.

mod sparkline;

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use chrono::{Duration, NaiveDate};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub use sparkline::sparkline;

/// Width and height of every chart: readable on a phone, within Telegram's photo limits.
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 600;

/// The font family the charts use (registered from the `dejavu` crate).
const FONT: &str = "sans-serif";

/// The longest legend name, in characters (longer ones are shortened with "…").
const LEGEND_NAME_CHARS: usize = 24;
const TITLE_CHARS: usize = 60;

const VIEWER: RGBColor = RGBColor(31, 90, 180);
const GOAL: RGBColor = RGBColor(0, 140, 70);
const DEADLINE: RGBColor = RGBColor(120, 120, 120);
const BARS: RGBColor = RGBColor(150, 190, 235);
/// The others' lines: distinct, and none of them the viewer's blue.
const OTHERS: [RGBColor; 9] = [
    RGBColor(230, 120, 20),
    RGBColor(60, 160, 60),
    RGBColor(210, 50, 50),
    RGBColor(140, 100, 190),
    RGBColor(140, 86, 75),
    RGBColor(220, 110, 190),
    RGBColor(110, 110, 110),
    RGBColor(180, 180, 30),
    RGBColor(20, 180, 200),
];

/// One person's line: their standing after each day they logged, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub name: String,
    pub points: Vec<(NaiveDate, f64)>,
    /// The person looking at the chart: drawn thicker, with their pace line.
    pub viewer: bool,
}

/// Everyone's standing over time in one challenge.
#[derive(Clone, Debug, PartialEq)]
pub struct StandingsChart {
    pub title: String,
    /// What the vertical axis measures ("Total (km)").
    pub axis: String,
    pub start: NaiveDate,
    pub deadline: NaiveDate,
    /// Lines end here (today, or the deadline once it has passed).
    pub until: NaiveDate,
    /// Standings grow from zero (total, days): lines start at zero on the first day. Otherwise
    /// (at least, at most) a line starts at its first entry.
    pub from_zero: bool,
    /// In legend order (by standing).
    pub lines: Vec<Line>,
    /// The goal, as a horizontal line.
    pub goal: Option<f64>,
    /// The viewer's pace: from where they started to their goal at the deadline, dashed.
    pub pace: Option<[(NaiveDate, f64); 2]>,
}

/// One person's entries as bars by day, with their standing as a line.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonalChart {
    pub title: String,
    /// What a bar measures ("km per day").
    pub bars_axis: String,
    /// What the line measures ("Total (km)").
    pub standing_axis: String,
    pub start: NaiveDate,
    pub deadline: NaiveDate,
    pub until: NaiveDate,
    pub from_zero: bool,
    /// What was logged each day (a check-in counts 1).
    pub bars: Vec<(NaiveDate, f64)>,
    pub standing: Vec<(NaiveDate, f64)>,
    pub goal: Option<f64>,
    pub pace: Option<[(NaiveDate, f64); 2]>,
}

/// Drawing failed (plotters reports its backend's errors as text).
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("could not draw the chart: {0}")]
    Draw(String),
    #[error("could not encode the chart as PNG: {0}")]
    Encode(#[from] png::EncodingError),
}

fn draw_error<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// Registers the shipped fonts with plotters, once per process.
fn fonts() {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        // The fonts are compiled in and known to parse: a failure here is a build defect.
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("DejaVu Sans does not parse"));
        plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            .unwrap_or_else(|_| panic!("DejaVu Sans Bold does not parse"));
    });
}

impl StandingsChart {
    /// A hash of everything the chart shows: two charts with the same fingerprint draw the same
    /// picture, so a rendered one can be served again.
    pub fn fingerprint(&self) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        (&self.title, &self.axis, self.start, self.deadline, self.until, self.from_zero).hash(&mut h);
        for line in &self.lines {
            (&line.name, line.viewer).hash(&mut h);
            hash_points(&line.points, &mut h);
        }
        hash_marks(self.goal, self.pace, &mut h);
        h.finish()
    }

    /// Draws the chart as a PNG of [`WIDTH`] × [`HEIGHT`].
    pub fn render(&self) -> Result<Vec<u8>, ChartError> {
        draw(|root| self.draw(root))
    }

    fn draw(&self, root: &Root<'_>) -> Result<(), ChartError> {
        let last = self.lines.iter().filter_map(|l| l.points.last()).map(|p| p.0).max();
        let x = Days::new(self.start, self.deadline, [Some(self.until), last]);
        let highest = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .chain(self.goal)
            .chain(self.pace.iter().flat_map(|p| p.iter().map(|q| q.1)))
            .fold(0.0_f64, f64::max);
        let y_top = headroom(highest);
        let mut chart =
            frame(root, &self.title).build_cartesian_2d(0.0..x.span, 0.0..y_top).map_err(draw_error)?;
        mesh(&mut chart, &x, &self.axis)?;
        marks(&mut chart, &x, self.deadline, self.goal, y_top)?;
        if self.lines.is_empty() {
            let middle = (x.span / 2.0, y_top / 2.0);
            chart
                .draw_series(std::iter::once(Text::new(
                    "Nobody has joined yet",
                    middle,
                    (FONT, 24).into_font().color(&DEADLINE).pos(centred()),
                )))
                .map_err(draw_error)?;
        }
        if let Some(pace) = self.pace {
            chart
                .draw_series(DashedLineSeries::new(
                    pace.map(|(d, v)| (x.at(d), v)),
                    10,
                    8,
                    VIEWER.mix(0.7).stroke_width(2),
                ))
                .map_err(draw_error)?
                .label("your pace")
                .legend(|(px, py)| PathElement::new(vec![(px, py), (px + 20, py)], VIEWER.mix(0.7)));
        }
        // In rank order, so that the legend reads like the leaderboard; the viewer's line is
        // drawn once more at the end, on top of the others.
        let mut colours = OTHERS.iter().cycle();
        let mut viewer_steps = None;
        for line in &self.lines {
            let (colour, width) =
                if line.viewer { (VIEWER, 4) } else { (*colours.next().unwrap_or(&DEADLINE), 2) };
            let steps: Vec<(f64, f64)> = steps(&line.points, self.start, self.until, self.from_zero)
                .into_iter()
                .map(|(d, v)| (x.at(d), v))
                .collect();
            chart
                .draw_series(LineSeries::new(steps.iter().copied(), colour.stroke_width(width)))
                .map_err(draw_error)?
                .label(legend_name(&line.name, line.viewer))
                .legend(move |(px, py)| {
                    Rectangle::new(
                        [(px, py - width as i32 / 2), (px + 20, py + width as i32 / 2 + 1)],
                        colour.filled(),
                    )
                });
            if line.viewer {
                viewer_steps = Some(steps);
            }
        }
        if let Some(steps) = viewer_steps {
            chart.draw_series(LineSeries::new(steps, VIEWER.stroke_width(4))).map_err(draw_error)?;
        }
        if !self.lines.is_empty() || self.pace.is_some() {
            legend(&mut chart)?;
        }
        Ok(())
    }
}

impl PersonalChart {
    /// A hash of everything the chart shows (see [`StandingsChart::fingerprint`]).
    pub fn fingerprint(&self) -> u64 {
        let mut h = std::hash::DefaultHasher::new();
        (&self.title, &self.bars_axis, &self.standing_axis).hash(&mut h);
        (self.start, self.deadline, self.until, self.from_zero).hash(&mut h);
        hash_points(&self.bars, &mut h);
        hash_points(&self.standing, &mut h);
        hash_marks(self.goal, self.pace, &mut h);
        h.finish()
    }

    /// Draws the chart as a PNG of [`WIDTH`] × [`HEIGHT`].
    pub fn render(&self) -> Result<Vec<u8>, ChartError> {
        draw(|root| self.draw(root))
    }

    fn draw(&self, root: &Root<'_>) -> Result<(), ChartError> {
        let last =
            [self.bars.last().map(|p| p.0), self.standing.last().map(|p| p.0)].into_iter().flatten().max();
        let x = Days::new(self.start, self.deadline, [Some(self.until), last]);
        let bars_top = headroom(self.bars.iter().map(|b| b.1).fold(0.0, f64::max));
        let standing_top = headroom(
            self.standing
                .iter()
                .map(|p| p.1)
                .chain(self.goal)
                .chain(self.pace.iter().flat_map(|p| p.iter().map(|q| q.1)))
                .fold(0.0, f64::max),
        );
        let mut chart = frame(root, &self.title)
            .right_y_label_area_size(70)
            .build_cartesian_2d(0.0..x.span, 0.0..bars_top)
            .map_err(draw_error)?
            .set_secondary_coord(0.0..x.span, 0.0..standing_top);
        mesh(&mut chart, &x, &self.bars_axis)?;
        chart
            .configure_secondary_axes()
            .y_labels(8)
            .y_label_formatter(&|v| figure(*v))
            .y_desc(self.standing_axis.as_str())
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(draw_error)?;
        // A bar is most of a day wide, and at least a pixel.
        let half = 0.4_f64.max(x.span / f64::from(WIDTH) / 2.0);
        chart
            .draw_series(self.bars.iter().map(|(d, v)| {
                let at = x.at(*d);
                Rectangle::new([(at - half, 0.0), (at + half, *v)], BARS.filled())
            }))
            .map_err(draw_error)?
            .label(self.bars_axis.as_str())
            .legend(|(px, py)| Rectangle::new([(px, py - 5), (px + 20, py + 5)], BARS.filled()));
        if let Some(goal) = self.goal {
            chart
                .draw_secondary_series(LineSeries::new([(0.0, goal), (x.span, goal)], GOAL.stroke_width(2)))
                .map_err(draw_error)?
                .label(format!("goal: {}", figure(goal)))
                .legend(|(px, py)| PathElement::new(vec![(px, py), (px + 20, py)], GOAL.stroke_width(2)));
        }
        let deadline = x.at(self.deadline);
        chart
            .draw_secondary_series(DashedLineSeries::new(
                [(deadline, 0.0), (deadline, standing_top)],
                6,
                6,
                DEADLINE.stroke_width(1),
            ))
            .map_err(draw_error)?;
        if let Some(pace) = self.pace {
            chart
                .draw_secondary_series(DashedLineSeries::new(
                    pace.map(|(d, v)| (x.at(d), v)),
                    10,
                    8,
                    VIEWER.mix(0.7).stroke_width(2),
                ))
                .map_err(draw_error)?
                .label("pace")
                .legend(|(px, py)| PathElement::new(vec![(px, py), (px + 20, py)], VIEWER.mix(0.7)));
        }
        let steps = steps(&self.standing, self.start, self.until, self.from_zero);
        chart
            .draw_secondary_series(LineSeries::new(
                steps.iter().map(|(d, v)| (x.at(*d), *v)),
                VIEWER.stroke_width(3),
            ))
            .map_err(draw_error)?
            .label(self.standing_axis.as_str())
            .legend(|(px, py)| Rectangle::new([(px, py - 1), (px + 20, py + 2)], VIEWER.filled()));
        legend(&mut chart)?;
        Ok(())
    }
}

/// The horizontal axis: days since the start, labelled with dates.
struct Days {
    start: NaiveDate,
    span: f64,
}

impl Days {
    /// From the start to the deadline, or further to whichever of `later` is later.
    fn new(start: NaiveDate, deadline: NaiveDate, later: [Option<NaiveDate>; 2]) -> Days {
        let end = later.into_iter().flatten().fold(deadline, NaiveDate::max);
        let span = (end - start).num_days().max(1) as f64;
        // Half a day of room on the right, so that the last day's bar and label fit.
        Days { start, span: span + 0.5 }
    }

    fn at(&self, day: NaiveDate) -> f64 {
        (day - self.start).num_days() as f64
    }

    fn label(&self, x: f64) -> String {
        let day = self.start + Duration::days(x.round() as i64);
        day.format("%b %-d").to_string()
    }
}

/// The canvas a chart is drawn on.
type Root<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// The chart's plane: days across, figures up.
type Plane = Cartesian2d<RangedCoordf64, RangedCoordf64>;

/// A chart's frame: its title and the room for the axes' labels.
fn frame<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, BitMapBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(shorten(title, TITLE_CHARS), (FONT, 28).into_font().style(FontStyle::Bold))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70);
    builder
}

/// The grid and the axes: dates across, figures up, described by `axis`.
fn mesh(
    chart: &mut ChartContext<'_, BitMapBackend<'_>, Plane>,
    x: &Days,
    axis: &str,
) -> Result<(), ChartError> {
    let label = |v: &f64| x.label(*v);
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&label)
        .y_label_formatter(&|v| figure(*v))
        .y_desc(axis)
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(draw_error)
}

/// The legend, top left over a faint background.
fn legend<'a>(chart: &mut ChartContext<'a, BitMapBackend<'a>, Plane>) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font((FONT, 15))
        .draw()
        .map_err(draw_error)
}

/// The goal line and the deadline mark, on a standings chart.
fn marks<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    x: &Days,
    deadline: NaiveDate,
    goal: Option<f64>,
    y_top: f64,
) -> Result<(), ChartError> {
    let at = x.at(deadline);
    chart
        .draw_series(DashedLineSeries::new([(at, 0.0), (at, y_top)], 6, 6, DEADLINE.stroke_width(1)))
        .map_err(draw_error)?;
    chart
        .draw_series(std::iter::once(Text::new(
            "deadline",
            (at, y_top),
            (FONT, 14).into_font().color(&DEADLINE).pos(Pos::new(HPos::Right, VPos::Top)),
        )))
        .map_err(draw_error)?;
    if let Some(goal) = goal {
        chart
            .draw_series(LineSeries::new([(0.0, goal), (x.span, goal)], GOAL.stroke_width(2)))
            .map_err(draw_error)?
            .label(format!("goal: {}", figure(goal)))
            .legend(|(px, py)| PathElement::new(vec![(px, py), (px + 20, py)], GOAL.stroke_width(2)));
    }
    Ok(())
}

fn centred() -> Pos {
    Pos::new(HPos::Center, VPos::Center)
}

/// Draws on a white canvas and encodes it.
fn draw(paint: impl FnOnce(&Root<'_>) -> Result<(), ChartError>) -> Result<Vec<u8>, ChartError> {
    fonts();
    let mut rgb = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        paint(&root)?;
        root.present().map_err(draw_error)?;
    }
    encode(&rgb)
}

fn encode(rgb: &[u8]) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::with_capacity(96 * 1024);
    {
        let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

/// A standing's steps: level from one entry to the next, up to `until` (never past it).
fn steps(
    points: &[(NaiveDate, f64)],
    start: NaiveDate,
    until: NaiveDate,
    from_zero: bool,
) -> Vec<(NaiveDate, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2 + 2);
    let mut level = None;
    if from_zero {
        out.push((start, 0.0));
        level = Some(0.0);
    }
    for &(day, value) in points {
        if let Some(previous) = level {
            out.push((day, previous));
        }
        out.push((day, value));
        level = Some(value);
    }
    if let (Some(level), Some(&(last, _))) = (level, out.last())
        && until > last
    {
        out.push((until, level));
    }
    out
}

/// The top of the vertical axis: a little above the highest value, at least 1.
fn headroom(highest: f64) -> f64 {
    if highest.is_finite() && highest > 0.0 { highest * 1.08 } else { 1.0 }
}

/// A figure on an axis: whole numbers without decimals, large ones in thousands.
fn figure(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn legend_name(name: &str, viewer: bool) -> String {
    let name = shorten(name, LEGEND_NAME_CHARS);
    if viewer { format!("{name} (you)") } else { name }
}

/// At most `max` characters of one line of `text`, with "…" when cut.
fn shorten(text: &str, max: usize) -> String {
    crate::text::shorten(&text.replace(['\n', '\r'], " "), max)
}

/// The goal and the pace line, for a fingerprint.
fn hash_marks(goal: Option<f64>, pace: Option<[(NaiveDate, f64); 2]>, h: &mut impl Hasher) {
    goal.map(f64::to_bits).hash(h);
    hash_points(&pace.map(Vec::from).unwrap_or_default(), h);
}

fn hash_points(points: &[(NaiveDate, f64)], h: &mut impl Hasher) {
    points.len().hash(h);
    for (d, v) in points {
        (d, v.to_bits()).hash(h);
    }
}

#[cfg(test)]
mod tests;
