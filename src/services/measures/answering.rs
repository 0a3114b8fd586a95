//! Answering questionnaires: the client through their link (answers saved as they go, all
//! required to submit), or the provider in session on the client's behalf. A completed
//! questionnaire is scored; an answer above 0 on the risk item (PHQ-9 item 9) raises an
//! alert at once, whatever the total, and emails the provider.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::client_email::{queue_to_provider, ClientEmail};
use crate::db::ids::ProviderId;
use crate::db::{write_transaction, DbConnection};
use crate::domain::instrument::{Instrument, Score};
use crate::mail;
use crate::models::assessment::{self, Assessment, EnteredBy, Link, NewAssessment};
use crate::models::audit::AuditAction;
use crate::models::provider::{self, Provider};
use crate::models::risk_alert;
use crate::models::scope::{Owned, OwnedClient};
use crate::models::unscoped;
use crate::services::{record, Act};

/// Answers given for one questionnaire (item answers in order, `None` where unanswered).
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub answers: Vec<Option<u32>>,
    pub difficulty: Option<u32>,
}

/// Keeps only answers that are in range for `instrument`, padded or cut to its items.
pub fn clean(instrument: &Instrument, given: &Given) -> Given {
    let top = instrument.answers.len() as u32;
    let answers = (0..instrument.items.len())
        .map(|i| given.answers.get(i).copied().flatten().filter(|a| *a < top))
        .collect();
    let difficulty_top = instrument
        .difficulty
        .as_ref()
        .map_or(0, |d| d.answers.len() as u32);
    Given {
        answers,
        difficulty: given.difficulty.filter(|d| *d < difficulty_top),
    }
}

/// What a link's token opens.
pub enum Opened {
    /// Questionnaires still to answer (and any finished), with whom they are for.
    Open(Box<Visit>),
    /// Every questionnaire on it is answered; `risk` when one raised an alert.
    Done {
        practice: String,
        risk: bool,
    },
    Expired {
        practice: String,
    },
    Unknown,
}

pub struct Visit {
    pub link: Owned<Link>,
    pub client: OwnedClient,
    pub provider: Provider,
    pub assessments: Vec<Owned<Assessment>>,
}

/// Opens the link a token names (the page that shows it audits the view: [`viewed`]).
pub fn open(conn: &mut DbConnection, token: &str, now: NaiveDateTime) -> QueryResult<Opened> {
    let Some(link) = assessment::link_by_token(conn, token)? else {
        return Ok(Opened::Unknown);
    };
    let Some(client) = unscoped::client(conn, &crate::db::ids::ClientId(link.client_id.clone()))?
    else {
        return Ok(Opened::Unknown);
    };
    let Some(provider) = provider::find(conn, &ProviderId(link.provider_id.clone()))? else {
        return Ok(Opened::Unknown);
    };
    let practice = provider.practice_display_name();
    if client.archived_at.is_some() {
        return Ok(Opened::Expired { practice });
    }
    let assessments = assessment::of_link(conn, &link)?;
    if assessments.iter().all(|a| a.completed_at.is_some()) {
        let risk = assessments.iter().any(|a| {
            a.instrument()
                .and_then(|i| i.score(&full(a), None))
                .is_some_and(|s| s.risk)
        });
        return Ok(Opened::Done { practice, risk });
    }
    if link.expires_at <= now || !assessments.iter().any(|a| a.is_open()) {
        return Ok(Opened::Expired { practice });
    }
    Ok(Opened::Open(Box::new(Visit {
        link,
        client,
        provider,
        assessments,
    })))
}

/// The client looked at their questionnaires: audited.
pub fn viewed(conn: &mut DbConnection, visit: &Visit, act: Act<'_>) -> QueryResult<()> {
    record(
        conn,
        &visit.client,
        AuditAction::PortalViewed,
        Some("questionnaires"),
        act,
    )
}

fn full(a: &Assessment) -> Vec<u32> {
    a.answers().into_iter().map(|x| x.unwrap_or(0)).collect()
}

/// Saves what the client answered so far (questionnaires not on the link, finished or
/// expired are left alone).
pub fn save(conn: &mut DbConnection, visit: &Visit, given: &[(String, Given)]) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        for (id, g) in given {
            let Some(a) = visit
                .assessments
                .iter()
                .find(|a| a.id == *id && a.is_open())
            else {
                continue;
            };
            let Some(instrument) = a.instrument() else {
                continue;
            };
            let mut merged = a.answers();
            merged.resize(instrument.items.len(), None);
            let g = clean(&instrument, g);
            for (slot, new) in merged.iter_mut().zip(g.answers) {
                if new.is_some() {
                    *slot = new;
                }
            }
            let difficulty = g
                .difficulty
                .or(a.difficulty.and_then(|d| u32::try_from(d).ok()));
            assessment::save_answers(conn, a, &merged, difficulty)?;
        }
        Ok(())
    })
}

/// A questionnaire not fully answered: its name and the item numbers left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    pub instrument: String,
    pub items: Vec<usize>,
}

pub enum Submitted {
    /// All answered and scored; `risk` when an answer raised an alert.
    Done { risk: bool },
    /// Nothing completed; these items still need an answer (what was given is saved).
    Missing(Vec<Unanswered>),
}

/// Saves the answers given, then completes every open questionnaire on the link if each
/// item has an answer.
pub fn submit(
    conn: &mut DbConnection,
    visit: &Visit,
    given: &[(String, Given)],
    public_url: &str,
    act: Act<'_>,
) -> QueryResult<Submitted> {
    save(conn, visit, given)?;
    write_transaction(conn, |conn| {
        let current = assessment::of_link(conn, &visit.link)?;
        let mut missing = Vec::new();
        for a in current.iter().filter(|a| a.is_open()) {
            let items: Vec<usize> = a
                .answers()
                .iter()
                .enumerate()
                .filter(|(_, x)| x.is_none())
                .map(|(i, _)| i + 1)
                .collect();
            if !items.is_empty() {
                missing.push(Unanswered {
                    instrument: a.instrument.clone(),
                    items,
                });
            }
        }
        if !missing.is_empty() {
            return Ok(Submitted::Missing(missing));
        }
        let mut risk = false;
        for a in current.iter().filter(|a| a.is_open()) {
            risk |= complete(
                conn,
                &visit.provider,
                &visit.client,
                a,
                EnteredBy::Client,
                public_url,
                act,
            )?
            .is_some_and(|s| s.risk);
        }
        let risk = risk
            || current
                .iter()
                .filter(|a| a.completed_at.is_some())
                .any(|a| {
                    a.instrument()
                        .and_then(|i| i.score(&full(a), None))
                        .is_some_and(|s| s.risk)
                });
        Ok(Submitted::Done { risk })
    })
}

/// Scores and completes one fully answered questionnaire; audits it (the client's, or the
/// provider's in session) and raises the alert its risk item calls for.
fn complete(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    a: &Owned<Assessment>,
    by: EnteredBy,
    public_url: &str,
    act: Act<'_>,
) -> QueryResult<Option<Score>> {
    let Some(instrument) = a.instrument() else {
        return Ok(None);
    };
    let answers: Option<Vec<u32>> = a.answers().into_iter().collect();
    let Some(score) =
        answers.and_then(|x| instrument.score(&x, u32::try_from(provider.pcl5_probable_from).ok()))
    else {
        return Ok(None);
    };
    if !assessment::complete(conn, a, score.total, by, act.now)? {
        return Ok(None);
    }
    let action = match by {
        EnteredBy::Client => AuditAction::PortalAssessmentCompleted,
        EnteredBy::Provider => AuditAction::AssessmentAdministered,
    };
    record(conn, client, action, Some(&instrument.code), act)?;
    if score.risk {
        raise_alert(conn, provider, client, &a.id, public_url, act.now)?;
    }
    Ok(Some(score))
}

fn raise_alert(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    assessment_id: &str,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let id = risk_alert::raise(conn, client, assessment_id, now)?;
    record(
        conn,
        client,
        AuditAction::RiskAlertRaised,
        Some(&id),
        Act { ip: None, now },
    )?;
    let link = format!("{public_url}/clients/{}/measures", client.id);
    let message = |reader: &mail::Reader| mail::measures::risk_alert(&reader.first_name, &link);
    queue_to_provider(
        conn,
        provider,
        client,
        ClientEmail {
            kind: super::RISK_ALERT_EMAIL,
            audit_as: super::RISK_ALERT_EMAIL,
            message: &message,
            action_url: Some(&link),
            send_after: now,
            queued_at: now,
        },
    )
}

#[derive(Debug, thiserror::Error)]
pub enum AdministerError {
    #[error("Answer every question before saving: {}.", describe(.0))]
    Missing(Vec<usize>),
    #[error("There is no questionnaire called {0}.")]
    Unknown(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn describe(items: &[usize]) -> String {
    let list: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    format!(
        "{} {} {}",
        crate::domain::plural::plural(items.len(), "question", "questions"),
        list.join(", "),
        crate::domain::plural::plural(items.len(), "has no answer", "have no answer")
    )
}

/// The provider enters a questionnaire's answers in session, on the client's behalf:
/// stored, scored and audited as such, in one transaction. Returns the score.
pub fn administer(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    code: &str,
    given: &Given,
    public_url: &str,
    act: Act<'_>,
) -> Result<Score, AdministerError> {
    let instrument = Instrument::find(code).ok_or_else(|| AdministerError::Unknown(code.into()))?;
    let given = clean(&instrument, given);
    let missing: Vec<usize> = given
        .answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_none())
        .map(|(i, _)| i + 1)
        .collect();
    if !missing.is_empty() {
        return Err(AdministerError::Missing(missing));
    }
    write_transaction(conn, |conn| {
        let id = assessment::add(
            conn,
            client,
            &NewAssessment {
                instrument: &instrument,
                schedule_id: None,
                link_id: None,
                appointment_id: None,
            },
            act.now,
        )?;
        let a = assessment::find(conn, client, &id)?.ok_or(diesel::result::Error::NotFound)?;
        assessment::save_answers(conn, &a, &given.answers, given.difficulty)?;
        let a = assessment::find(conn, client, &id)?.ok_or(diesel::result::Error::NotFound)?;
        complete(
            conn,
            provider,
            client,
            &a,
            EnteredBy::Provider,
            public_url,
            act,
        )?
        .ok_or_else(|| diesel::result::Error::NotFound.into())
    })
}
