//! What the Measures tab shows and the CSV download holds: each questionnaire's schedule,
//! the ones sent and waiting, every completed one scored again from its answers (so a
//! band or a cluster is never stored twice), and the risk alerts.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::DbConnection;
use crate::domain::instrument::{Instrument, Score};
use crate::domain::spreadsheet::text_cell;
use crate::models::assessment::{self, Assessment, EnteredBy};
use crate::models::audit::AuditAction;
use crate::models::measure_schedule::{self, Schedule};
use crate::models::provider::Provider;
use crate::models::risk_alert::{self, RiskAlert};
use crate::models::scope::OwnedClient;
use crate::services::{record, Act};

/// A completed questionnaire with its score.
#[derive(Debug, Clone)]
pub struct Completed {
    pub assessment: Assessment,
    pub score: Score,
}

impl Completed {
    pub fn completed_at(&self) -> NaiveDateTime {
        self.assessment
            .completed_at
            .unwrap_or(self.assessment.created_at)
    }

    /// "Moderate", "Positive screen", "Probable PTSD", "Below the cut-off"…
    pub fn result(&self) -> String {
        score_words(&self.score)
    }
}

/// What a score means, in words.
pub fn score_words(score: &Score) -> String {
    if let Some(band) = &score.band {
        return band.clone();
    }
    match (score.positive, score.probable) {
        (Some(true), _) => "Positive screen".into(),
        (Some(false), _) => "Negative screen".into(),
        (_, Some(true)) => "Probable PTSD (at or above the cut-off)".into(),
        (_, Some(false)) => "Below the cut-off".into(),
        _ => String::new(),
    }
}

/// One instrument's completed questionnaires, oldest first.
#[derive(Debug, Clone)]
pub struct Series {
    pub instrument: Instrument,
    pub completed: Vec<Completed>,
}

impl Series {
    /// The change of the latest total since the first: `None` with a single score.
    pub fn change_since_first(&self) -> Option<i64> {
        match (self.completed.first(), self.completed.last()) {
            (Some(first), Some(last)) if self.completed.len() > 1 => {
                Some(i64::from(last.score.total) - i64::from(first.score.total))
            }
            _ => None,
        }
    }
}

/// Everything about a client's questionnaires.
pub struct Measures {
    pub schedules: Vec<Schedule>,
    /// Sent and neither answered nor expired yet, newest first.
    pub waiting: Vec<Assessment>,
    /// Sent and never answered before the link expired, newest first.
    pub expired: Vec<Assessment>,
    pub series: Vec<Series>,
    /// Open alerts first.
    pub alerts: Vec<RiskAlert>,
}

/// Scores every completed questionnaire again from its answers and groups them by
/// instrument, in the order instruments ship.
pub fn series(assessments: &[Assessment], pcl5_probable_from: i32) -> Vec<Series> {
    let cut = u32::try_from(pcl5_probable_from).ok();
    let mut done: Vec<&Assessment> = assessments
        .iter()
        .filter(|a| a.completed_at.is_some())
        .collect();
    done.sort_by_key(|a| a.completed_at);
    Instrument::all()
        .into_iter()
        .filter_map(|instrument| {
            let completed: Vec<Completed> = done
                .iter()
                .filter(|a| a.instrument == instrument.code)
                .filter_map(|a| {
                    let answers: Option<Vec<u32>> = a.answers().into_iter().collect();
                    let score = instrument.score(&answers?, cut)?;
                    Some(Completed {
                        assessment: (*a).clone(),
                        score,
                    })
                })
                .collect();
            (!completed.is_empty()).then_some(Series {
                instrument,
                completed,
            })
        })
        .collect()
}

/// Reads all of it (the caller audits the view of the tab).
pub fn load(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
) -> QueryResult<Measures> {
    let schedules = measure_schedule::for_client(conn, client)?;
    let all = assessment::for_client(conn, client)?;
    let alerts = risk_alert::for_client(conn, client)?;
    Ok(Measures {
        schedules,
        waiting: all.iter().filter(|a| a.is_open()).cloned().collect(),
        expired: all
            .iter()
            .filter(|a| a.expired_at.is_some() && a.completed_at.is_none())
            .cloned()
            .collect(),
        series: series(&all, provider.pcl5_probable_from),
        alerts,
    })
}

/// The questionnaires the client completed since their previous session and before one
/// starting at `starts_at` (the calendar's session view), scored; looking at them is
/// audited as a view of the record.
pub fn before_session(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    starts_at: NaiveDateTime,
    act: Act<'_>,
) -> QueryResult<Vec<Completed>> {
    let since = crate::models::appointment::previous_session_start(conn, client, starts_at)?;
    let rows = assessment::completed_between(conn, client, since, starts_at)?;
    let mut done: Vec<Completed> = series(&rows, provider.pcl5_probable_from)
        .into_iter()
        .flat_map(|s| s.completed)
        .collect();
    done.sort_by_key(Completed::completed_at);
    if !done.is_empty() {
        record(
            conn,
            client,
            AuditAction::ClientViewed,
            Some("session questionnaires"),
            act,
        )?;
    }
    Ok(done)
}

/// The client's completed questionnaires as CSV, one row each (every item's answer as
/// its score), audited as a download. Text cells are escaped so that a spreadsheet never
/// runs one as a formula.
pub fn csv(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    act: Act<'_>,
) -> QueryResult<String> {
    let all = assessment::for_client(conn, client)?;
    record(
        conn,
        client,
        AuditAction::AssessmentResultsDownloaded,
        None,
        act,
    )?;
    let zone = client.zone(provider.zone());
    Ok(csv_text(
        &format!("{} {}", client.first_name, client.last_name),
        &series(&all, provider.pcl5_probable_from),
        |t| zone.local(t).format("%Y-%m-%d %H:%M %Z").to_string(),
    ))
}

fn csv_text(
    client_name: &str,
    series: &[Series],
    when: impl Fn(&NaiveDateTime) -> String,
) -> String {
    let items = series
        .iter()
        .map(|s| s.instrument.items.len())
        .max()
        .unwrap_or(0);
    let mut header: Vec<String> = [
        "Client",
        "Questionnaire",
        "Completed",
        "Total",
        "Result",
        "Subtotals",
        "Entered by",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend((1..=items).map(|i| format!("Item {i}")));
    header.push("Difficulty".into());
    let mut rows = vec![header];
    let mut all: Vec<(&Series, &Completed)> = series
        .iter()
        .flat_map(|s| s.completed.iter().map(move |c| (s, c)))
        .collect();
    all.sort_by_key(|(_, c)| c.completed_at());
    for (s, c) in all {
        let mut row = vec![
            text_cell(client_name),
            text_cell(&s.instrument.code),
            when(&c.completed_at()),
            c.score.total.to_string(),
            text_cell(&c.result()),
            text_cell(
                &c.score
                    .clusters
                    .iter()
                    .map(|(name, n)| format!("{name}: {n}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            match c.assessment.entered_by() {
                Some(EnteredBy::Provider) => "Provider, in session".into(),
                _ => "Client".into(),
            },
        ];
        let answers = c.assessment.answers();
        row.extend((0..items).map(|i| {
            answers
                .get(i)
                .copied()
                .flatten()
                .map(|a| a.to_string())
                .unwrap_or_default()
        }));
        row.push(
            c.assessment
                .difficulty
                .and_then(|d| usize::try_from(d).ok())
                .and_then(|d| s.instrument.difficulty.as_ref()?.answers.get(d).cloned())
                .map(|t| text_cell(&t))
                .unwrap_or_default(),
        );
        rows.push(row);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(code: &str, answers: &str, day: u32) -> Assessment {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 10, day)
            .unwrap()
            .and_hms_opt(15, 0, 0)
            .unwrap();
        Assessment {
            id: format!("a{day}"),
            provider_id: "p".into(),
            client_id: "c".into(),
            instrument: code.into(),
            schedule_id: None,
            link_id: None,
            appointment_id: None,
            answers: answers.into(),
            difficulty: Some(1),
            created_at: at,
            completed_at: Some(at),
            expired_at: None,
            entered_by: Some("client".into()),
            total: None,
        }
    }

    #[test]
    fn scores_group_by_questionnaire_oldest_first_with_the_change_since_the_first() {
        let rows = vec![
            done("PHQ-9", "3,3,2,2,1,1,1,1,0", 20),
            done("GAD-7", "1,1,1,1,1,1,1", 5),
            done("PHQ-9", "1,1,1,1,1,1,1,1,0", 12),
            done("PHQ-9", "2,2,2,2,2,2,2,2,1", 1),
        ];
        let s = series(&rows, 33);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].instrument.code, "PHQ-9");
        let totals: Vec<u32> = s[0].completed.iter().map(|c| c.score.total).collect();
        assert_eq!(totals, [17, 8, 14]);
        assert_eq!(s[0].change_since_first(), Some(-3));
        assert_eq!(s[1].change_since_first(), None);
        assert_eq!(s[0].completed[0].result(), "Moderately severe");
    }

    #[test]
    fn the_csv_escapes_text_that_a_spreadsheet_would_run() {
        let rows = vec![done("PHQ-9", "0,0,0,0,0,0,0,0,1", 3)];
        let text = csv_text("=HYPERLINK(\"http://x\") -Lee", &series(&rows, 33), |t| {
            t.to_string()
        });
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let header = r.headers().unwrap().clone();
        assert_eq!(&header[0], "Client");
        assert_eq!(&header[15], "Item 9");
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "'=HYPERLINK(\"http://x\") -Lee");
        assert_eq!(&row[3], "1");
        assert_eq!(&row[4], "Minimal");
        assert_eq!(&row[15], "1");
        assert_eq!(&row[16], "Somewhat difficult");
    }
}
