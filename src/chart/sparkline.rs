//! A chart in one line of text, for the terminal: a standing over time in block characters.

use chrono::NaiveDate;

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The standing given by `points` (its value after each day something was logged, oldest
/// first) from `start` to `until`, in at most `width` characters: each character is the
/// standing at the end of its stretch of days, scaled to the highest. Before the first entry a
/// standing is zero if `from_zero` (total, days), and blank otherwise.
pub fn sparkline(
    points: &[(NaiveDate, f64)],
    start: NaiveDate,
    until: NaiveDate,
    from_zero: bool,
    width: usize,
) -> String {
    let days = (until - start).num_days().max(0) as usize + 1;
    let width = width.clamp(1, days);
    let mut levels: Vec<Option<f64>> = Vec::with_capacity(width);
    let mut next = 0;
    let mut level = from_zero.then_some(0.0);
    for slot in 0..width {
        // The last day of this stretch.
        let last = start + chrono::Duration::days(((slot + 1) * days / width) as i64 - 1);
        while let Some(&(day, value)) = points.get(next)
            && day <= last
        {
            level = Some(value);
            next += 1;
        }
        levels.push(level);
    }
    let highest = levels.iter().flatten().copied().fold(0.0_f64, f64::max);
    levels
        .into_iter()
        .map(|level| match level {
            None => ' ',
            Some(_) if highest <= 0.0 => BLOCKS[0],
            Some(v) => {
                let step = ((v / highest) * (BLOCKS.len() - 1) as f64).round() as usize;
                BLOCKS[step.min(BLOCKS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn a_growing_total_climbs_and_stays_level_between_entries() {
        let points = [(day(2), 1.0), (day(4), 2.0), (day(8), 4.0)];
        assert_eq!(sparkline(&points, day(1), day(8), true, 30), "▁▃▃▅▅▅▅█");
    }

    #[test]
    fn long_challenges_fit_the_width_and_blank_before_a_first_best() {
        let points = [(day(11), 5.0), (day(21), 10.0)];
        let line = sparkline(&points, day(1), day(30), false, 10);
        assert_eq!(line.chars().count(), 10);
        assert_eq!(line, "   ▅▅▅████");
    }

    #[test]
    fn nothing_logged_is_a_flat_line_or_blank() {
        assert_eq!(sparkline(&[], day(1), day(3), true, 10), "▁▁▁");
        assert_eq!(sparkline(&[], day(1), day(3), false, 10), "   ");
        // A deadline before the start is one day.
        assert_eq!(sparkline(&[], day(3), day(1), true, 10), "▁");
    }
}
