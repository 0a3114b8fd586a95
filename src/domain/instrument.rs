//! The questionnaires a provider can send (PHQ-9, GAD-7, PHQ-2, GAD-2, PCL-5): each one
//! is data — a file in `instruments/` with its items, time frame and answer options as
//! published, and how it is scored — so that another can be added without code. This
//! module reads those files and scores a set of answers.

use serde::Deserialize;

/// One score range and its name ("Moderate", 10–14).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Band {
    pub from: u32,
    pub to: u32,
    pub label: String,
}

/// A subtotal over items `from..=to` (1-based), such as PCL-5's DSM-5 clusters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub from: usize,
    pub to: usize,
}

/// A published question asked after the items and never scored (PHQ-9's "how
/// difficult have these problems made it…").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Unscored {
    pub question: String,
    pub answers: Vec<String>,
}

/// An instrument as its file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub code: String,
    pub name: String,
    /// What it measures, in a few words ("depression").
    pub purpose: String,
    pub licence: String,
    /// The question every item answers ("Over the last 2 weeks, …").
    pub time_frame: String,
    /// Answer labels, scored 0, 1, 2, … in order.
    pub answers: Vec<String>,
    pub items: Vec<String>,
    pub max_score: u32,
    #[serde(default)]
    pub bands: Vec<Band>,
    /// A screen is positive at this total or more.
    #[serde(default)]
    pub positive_from: Option<u32>,
    /// "Probable" (PCL-5: probable PTSD) at this total or more, unless the provider set
    /// another cut-off.
    #[serde(default)]
    pub probable_from: Option<u32>,
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    /// The item (1-based) whose any answer above 0 raises a risk alert at once.
    #[serde(default)]
    pub risk_item: Option<usize>,
    #[serde(default)]
    pub difficulty: Option<Unscored>,
}

/// The instrument files shipped with Caseload, read at build time.
const FILES: [(&str, &str); 5] = [
    ("phq9.toml", include_str!("../../instruments/phq9.toml")),
    ("gad7.toml", include_str!("../../instruments/gad7.toml")),
    ("phq2.toml", include_str!("../../instruments/phq2.toml")),
    ("gad2.toml", include_str!("../../instruments/gad2.toml")),
    ("pcl5.toml", include_str!("../../instruments/pcl5.toml")),
];

/// Why an instrument file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct InstrumentError {
    pub file: String,
    pub problem: String,
}

impl Instrument {
    /// Reads and checks one instrument file.
    pub fn parse(file: &str, text: &str) -> Result<Self, InstrumentError> {
        let fail = |problem: String| InstrumentError {
            file: file.to_string(),
            problem,
        };
        let i: Instrument = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
        let top = (i.answers.len().saturating_sub(1) * i.items.len()) as u32;
        if i.items.is_empty() || i.answers.len() < 2 {
            return Err(fail("it needs items and at least two answers".into()));
        }
        if top != i.max_score {
            return Err(fail(format!(
                "max_score is {} but {} items of 0–{} add up to {top}",
                i.max_score,
                i.items.len(),
                i.answers.len() - 1
            )));
        }
        // Bands must cover 0..=max_score exactly, in order.
        if !i.bands.is_empty() {
            let mut next = 0;
            for b in &i.bands {
                if b.from != next || b.to < b.from {
                    return Err(fail(format!(
                        "the band {} does not start at {next}",
                        b.label
                    )));
                }
                next = b.to + 1;
            }
            if next != i.max_score + 1 {
                return Err(fail("the bands do not reach max_score".into()));
            }
        }
        let n = i.items.len();
        if i.clusters
            .iter()
            .any(|c| c.from == 0 || c.to > n || c.from > c.to)
            || i.risk_item.is_some_and(|r| r == 0 || r > n)
        {
            return Err(fail(
                "a cluster or the risk item names an item it does not have".into(),
            ));
        }
        Ok(i)
    }

    /// Every shipped instrument (a file that does not read is a build defect: the tests
    /// read them all).
    pub fn all() -> Vec<Instrument> {
        FILES
            .iter()
            .filter_map(|(file, text)| Self::parse(file, text).ok())
            .collect()
    }

    /// A shipped instrument by its code ("PHQ-9").
    pub fn find(code: &str) -> Option<Instrument> {
        Self::all()
            .into_iter()
            .find(|i| i.code.eq_ignore_ascii_case(code))
    }

    /// Scores a full set of answers (one per item, each 0..answers); `None` when one is
    /// missing or out of range — every item must be answered.
    pub fn score(&self, answers: &[u32], probable_from: Option<u32>) -> Option<Score> {
        let top = self.answers.len() as u32 - 1;
        if answers.len() != self.items.len() || answers.iter().any(|a| *a > top) {
            return None;
        }
        let total: u32 = answers.iter().sum();
        let band = self
            .bands
            .iter()
            .find(|b| b.from <= total && total <= b.to)
            .map(|b| b.label.clone());
        let clusters = self
            .clusters
            .iter()
            .map(|c| (c.name.clone(), answers[c.from - 1..c.to].iter().sum()))
            .collect();
        // The provider's cut-off applies only to an instrument that has one.
        let cut = self.probable_from.map(|own| probable_from.unwrap_or(own));
        Some(Score {
            total,
            band,
            positive: self.positive_from.map(|p| total >= p),
            probable: cut.map(|p| total >= p),
            clusters,
            risk: self.risk_item.is_some_and(|r| answers[r - 1] > 0),
        })
    }
}

/// A scored questionnaire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub total: u32,
    /// The severity band, for instruments that have them (PCL-5 has none).
    pub band: Option<String>,
    /// A screen's result (PHQ-2, GAD-2).
    pub positive: Option<bool>,
    /// PCL-5: probable PTSD at the cut-off.
    pub probable: Option<bool>,
    pub clusters: Vec<(String, u32)>,
    /// The risk item was answered above 0 (PHQ-9 item 9), whatever the total.
    pub risk: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instrument(code: &str) -> Instrument {
        Instrument::find(code).unwrap_or_else(|| panic!("{code} ships"))
    }

    /// Answers adding up to `total`, filling items from the first.
    fn answers_for(i: &Instrument, total: u32) -> Vec<u32> {
        let top = i.answers.len() as u32 - 1;
        let mut left = total;
        (0..i.items.len())
            .map(|_| {
                let a = left.min(top);
                left -= a;
                a
            })
            .collect()
    }

    #[test]
    fn every_shipped_file_reads_and_the_published_texts_are_kept() {
        for (file, text) in FILES {
            Instrument::parse(file, text).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(Instrument::all().len(), 5);
        let phq9 = instrument("PHQ-9");
        assert_eq!(phq9.items.len(), 9);
        assert_eq!(
            phq9.items[8],
            "Thoughts that you would be better off dead or of hurting yourself in some way"
        );
        assert_eq!(
            phq9.answers,
            [
                "Not at all",
                "Several days",
                "More than half the days",
                "Nearly every day"
            ]
        );
        assert_eq!(
            phq9.difficulty.map(|d| d.answers.len()),
            Some(4),
            "the unscored last question is kept"
        );
        assert_eq!(instrument("GAD-7").items.len(), 7);
        assert_eq!(instrument("PCL-5").items.len(), 20);
        assert_eq!(instrument("pcl-5").answers[4], "Extremely");
        assert_eq!(instrument("PHQ-2").items, phq9.items[..2]);
        assert_eq!(instrument("GAD-2").items, instrument("GAD-7").items[..2]);
    }

    #[test]
    fn a_broken_file_is_refused_naming_the_file_and_the_problem() {
        let bad =
            include_str!("../../instruments/gad2.toml").replace("max_score = 6", "max_score = 7");
        let e = Instrument::parse("gad2.toml", &bad)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("gad2.toml: max_score is 7"), "{e}");
        let gap = include_str!("../../instruments/gad7.toml").replace(
            "{ from = 5, to = 9, label = \"Mild\" }",
            "{ from = 6, to = 9, label = \"Mild\" }",
        );
        assert!(Instrument::parse("gad7.toml", &gap)
            .unwrap_err()
            .to_string()
            .contains("Mild"));
    }

    #[test]
    fn scores_at_every_band_edge() {
        let cases: [(&str, &[(u32, &str)]); 2] = [
            (
                "PHQ-9",
                &[
                    (0, "Minimal"),
                    (4, "Minimal"),
                    (5, "Mild"),
                    (9, "Mild"),
                    (10, "Moderate"),
                    (14, "Moderate"),
                    (15, "Moderately severe"),
                    (19, "Moderately severe"),
                    (20, "Severe"),
                    (27, "Severe"),
                ],
            ),
            (
                "GAD-7",
                &[
                    (0, "Minimal"),
                    (4, "Minimal"),
                    (5, "Mild"),
                    (9, "Mild"),
                    (10, "Moderate"),
                    (14, "Moderate"),
                    (15, "Severe"),
                    (21, "Severe"),
                ],
            ),
        ];
        for (code, edges) in cases {
            let i = instrument(code);
            for (total, band) in edges {
                let s = i.score(&answers_for(&i, *total), None).unwrap();
                assert_eq!(s.total, *total);
                assert_eq!(s.band.as_deref(), Some(*band), "{code} {total}");
            }
        }
        for code in ["PHQ-2", "GAD-2"] {
            let i = instrument(code);
            for (total, positive) in [(0, false), (2, false), (3, true), (6, true)] {
                let s = i.score(&answers_for(&i, total), None).unwrap();
                assert_eq!(s.positive, Some(positive), "{code} {total}");
                assert_eq!(s.band, None);
            }
        }
    }

    #[test]
    fn pcl5_has_its_four_clusters_a_cut_off_and_no_bands() {
        let i = instrument("PCL-5");
        let mut answers = vec![0; 20];
        answers[0] = 4; // B
        answers[5] = 3; // C
        answers[7] = 2; // D
        answers[13] = 1; // D
        answers[19] = 4; // E
        let s = i.score(&answers, None).unwrap();
        assert_eq!(s.total, 14);
        assert_eq!(s.band, None, "PCL-5 has no severity bands");
        assert_eq!(
            s.clusters.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
            [4, 3, 3, 4]
        );
        assert!(s.clusters[0].0.starts_with('B') && s.clusters[3].0.starts_with('E'));
        for (total, probable) in [(32, false), (33, true), (80, true)] {
            let s = i.score(&answers_for(&i, total), None).unwrap();
            assert_eq!(s.probable, Some(probable), "{total}");
        }
        // A provider's own cut-off.
        assert_eq!(
            i.score(&answers_for(&i, 33), Some(38)).unwrap().probable,
            Some(false)
        );
    }

    #[test]
    fn phq9_item_9_above_zero_is_a_risk_at_every_total() {
        let i = instrument("PHQ-9");
        let first_eight = Instrument {
            items: i.items[..8].to_vec(),
            ..i.clone()
        };
        let mut totals = std::collections::BTreeSet::new();
        for item9 in 1..=3 {
            for rest in 0..=24 {
                let mut answers = answers_for(&first_eight, rest);
                answers.push(item9);
                let s = i.score(&answers, None).unwrap();
                assert!(s.risk, "item 9 at {item9}, total {}", s.total);
                totals.insert(s.total);
            }
        }
        assert_eq!(
            totals.into_iter().collect::<Vec<_>>(),
            (1..=27).collect::<Vec<_>>()
        );
        let none = i.score(&answers_for(&i, 24), None).unwrap();
        assert_eq!(none.total, 24);
        assert!(!none.risk, "item 9 at 0: no alert, even when severe");
        assert!(
            i.score(&[0; 8], None).is_none(),
            "every item must be answered"
        );
        assert!(i.score(&[4, 0, 0, 0, 0, 0, 0, 0, 0], None).is_none());
    }
}
