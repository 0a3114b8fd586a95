//! A questionnaire's scores over time, laid out for a small server-rendered SVG: the
//! severity bands shaded behind (none for PCL-5, which has none), a line through the
//! scores, and a dashed line at a screen's or a cut-off's threshold. Pure geometry: the
//! page draws what this decides, and the same numbers go in a table beside it.

use super::instrument::Instrument;

pub const WIDTH: i32 = 520;
pub const HEIGHT: i32 = 200;
/// Room at the left for the score axis, and at the bottom for the dates.
const LEFT: i32 = 36;
const RIGHT: i32 = 12;
const TOP: i32 = 8;
const BOTTOM: i32 = 28;

/// One shaded band: its rectangle and its name, darker as it is more severe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandRect {
    pub y: i32,
    pub height: i32,
    pub label: String,
    /// 0 for the mildest band, up to 4.
    pub shade: usize,
    /// Where its name is written (at its middle, right-aligned inside the plot).
    pub label_y: i32,
}

/// One score as a dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dot {
    pub x: i32,
    pub y: i32,
    pub total: u32,
    /// The date under it ("Oct 3"), written only where there is room.
    pub date: String,
    pub show_date: bool,
}

/// A threshold drawn as a dashed line ("positive screen at 3", "probable PTSD at 33").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    pub y: i32,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub width: i32,
    pub height: i32,
    pub plot_left: i32,
    pub plot_right: i32,
    pub plot_top: i32,
    pub plot_bottom: i32,
    pub bands: Vec<BandRect>,
    pub dots: Vec<Dot>,
    /// The line through the dots, as SVG `points`.
    pub line: String,
    pub threshold: Option<Threshold>,
    /// Score axis ticks: (y, value).
    pub ticks: Vec<(i32, u32)>,
}

/// Lays out `scores` (oldest first: a date label and a total) on `instrument`'s scale.
/// `probable_from` is the provider's PCL-5 cut-off.
pub fn layout(instrument: &Instrument, scores: &[(String, u32)], probable_from: u32) -> Chart {
    let max = instrument.max_score.max(1);
    let plot_bottom = HEIGHT - BOTTOM;
    let plot_h = plot_bottom - TOP;
    // A score's height: 0 at the bottom, the maximum at the top.
    let y_of =
        |v: u32| plot_bottom - (i64::from(v.min(max)) * i64::from(plot_h) / i64::from(max)) as i32;
    let bands = instrument
        .bands
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let top = y_of((b.to + 1).min(max));
            // The top band reaches the top edge; the others meet their neighbour.
            let top = if b.to >= max { TOP } else { top };
            let bottom = y_of(b.from);
            BandRect {
                y: top,
                height: (bottom - top).max(1),
                label: b.label.clone(),
                shade: i.min(4),
                label_y: (top + bottom) / 2 + 4,
            }
        })
        .collect();
    let plot_w = WIDTH - LEFT - RIGHT;
    let n = scores.len();
    // Evenly spaced, centred when there is one; a date under every k-th dot so that
    // labels never overlap (about 60 units each).
    let step = if n > 1 {
        plot_w as f64 / (n - 1) as f64
    } else {
        0.0
    };
    let every = if step > 0.0 {
        (60.0 / step).ceil().max(1.0) as usize
    } else {
        1
    };
    let dots: Vec<Dot> = scores
        .iter()
        .enumerate()
        .map(|(i, (date, total))| Dot {
            x: if n > 1 {
                LEFT + (step * i as f64).round() as i32
            } else {
                LEFT + plot_w / 2
            },
            y: y_of(*total),
            total: *total,
            date: date.clone(),
            show_date: i % every == 0 || (i + 1 == n && ((n - 1) % every) as f64 * step >= 60.0),
        })
        .collect();
    let line = dots
        .iter()
        .map(|d| format!("{},{}", d.x, d.y))
        .collect::<Vec<_>>()
        .join(" ");
    let threshold = match (instrument.positive_from, instrument.probable_from) {
        (Some(p), _) => Some(Threshold {
            y: y_of(p),
            label: format!("positive screen at {p}"),
        }),
        (None, Some(_)) => Some(Threshold {
            y: y_of(probable_from),
            label: format!("probable at {probable_from}"),
        }),
        _ => None,
    };
    let tick_step = match max {
        0..=10 => 1,
        11..=30 => 5,
        _ => 10,
    };
    let ticks = (0..=max)
        .step_by(tick_step as usize)
        .map(|v| (y_of(v), v))
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        plot_left: LEFT,
        plot_right: WIDTH - RIGHT,
        plot_top: TOP,
        plot_bottom,
        bands,
        dots,
        line,
        threshold,
        ticks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(totals: &[u32]) -> Vec<(String, u32)> {
        totals
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("Day {i}"), *t))
            .collect()
    }

    #[test]
    fn phq9_bands_tile_the_plot_from_bottom_to_top() {
        let phq9 = Instrument::find("PHQ-9").unwrap();
        let c = layout(&phq9, &scores(&[0, 27]), 33);
        assert_eq!(c.bands.len(), 5);
        assert_eq!(c.bands[0].label, "Minimal");
        // The mildest band sits at the bottom, the most severe reaches the top edge.
        assert_eq!(c.bands[0].y + c.bands[0].height, c.plot_bottom);
        assert_eq!(c.bands[4].y, c.plot_top);
        for pair in c.bands.windows(2) {
            assert_eq!(pair[1].y + pair[1].height, pair[0].y, "bands meet");
        }
        assert_eq!(c.dots[0].y, c.plot_bottom);
        assert_eq!(c.dots[1].y, c.plot_top);
        assert_eq!(c.dots[0].x, c.plot_left);
        assert_eq!(c.dots[1].x, c.plot_right);
        assert_eq!(c.threshold, None);
    }

    #[test]
    fn pcl5_shows_no_bands_but_the_cut_off_and_a_screen_its_threshold() {
        let pcl5 = Instrument::find("PCL-5").unwrap();
        let c = layout(&pcl5, &scores(&[40]), 38);
        assert!(c.bands.is_empty(), "PCL-5 has no severity bands");
        assert_eq!(
            c.threshold.as_ref().map(|t| t.label.as_str()),
            Some("probable at 38")
        );
        assert_eq!(c.dots[0].x, c.plot_left + (c.plot_right - c.plot_left) / 2);
        let phq2 = Instrument::find("PHQ-2").unwrap();
        let c = layout(&phq2, &scores(&[1, 4]), 33);
        assert_eq!(
            c.threshold.map(|t| t.label),
            Some("positive screen at 3".to_string())
        );
    }

    #[test]
    fn dates_are_thinned_so_that_they_never_overlap() {
        let gad7 = Instrument::find("GAD-7").unwrap();
        let c = layout(&gad7, &scores(&[5; 40]), 33);
        let shown: Vec<i32> = c.dots.iter().filter(|d| d.show_date).map(|d| d.x).collect();
        assert!(shown.len() > 3);
        for pair in shown.windows(2) {
            assert!(pair[1] - pair[0] >= 50, "{shown:?}");
        }
        assert!(c.dots[0].show_date);
    }
}
