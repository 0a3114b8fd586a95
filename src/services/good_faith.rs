//! Issuing a Good Faith Estimate to a self-pay client: the expected sessions (those
//! scheduled in the period, and the stated frequency of the usual service), each at the
//! practice's rate (or the client's reduced rate), with the provider's identifiers; the
//! PDF goes into the client's documents, the client is emailed a link to it in their
//! portal, and the issue is audited — all in one transaction.

use chrono::{Duration, Months, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::{record, Act};
use crate::client_email::{queue_for, ClientEmail};
use crate::db::schema::appointments;
use crate::db::{write_transaction, DbConnection};
use crate::domain::appointment::Status;
use crate::domain::document::DocumentKind;
use crate::domain::good_faith::{tin_display, Frequency, Line, Sheet};
use crate::models::audit::AuditAction;
use crate::models::document::{self, NewDocument};
use crate::models::good_faith::{self, NewEstimate};
use crate::models::provider::Provider;
use crate::models::scope::OwnedClient;
use crate::models::{appointment, pricing, service};

/// What the provider asks the estimate to cover.
pub struct IssueRequest<'a> {
    pub frequency: Frequency,
    /// 1 to 12.
    pub months: u32,
    /// The service the frequency is of.
    pub service_id: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// Nothing was issued; each item says what to enter and where.
    #[error("{}", .0.join(" "))]
    Missing(Vec<String>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

pub const ESTIMATE_ISSUED: &str = "good_faith_estimate";

/// "December 2, 2026".
fn long(d: &chrono::NaiveDate) -> String {
    d.format("%B %-d, %Y").to_string()
}

pub fn issue(
    conn: &mut DbConnection,
    provider: &Provider,
    client: &OwnedClient,
    request: IssueRequest<'_>,
    public_url: &str,
    act: Act<'_>,
) -> Result<String, IssueError> {
    let zone = provider.zone();
    let today = zone.date_of(&act.now);
    let months = request.months.clamp(1, 12);
    let until = today
        .checked_add_months(Months::new(months))
        .unwrap_or(today)
        - Duration::days(1);
    let scope = client.scope();
    let mut missing = Vec::new();
    let need = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let npi = need(&provider.npi);
    let tin = need(&provider.tin);
    let address = need(&provider.billing_address);
    if npi.is_none() || tin.is_none() || address.is_none() {
        missing.push("Enter your NPI, TIN and address in Settings → Practice.".to_string());
    }
    if client.date_of_birth.is_none() {
        missing.push("Enter the client's date of birth (Edit the client).".to_string());
    }
    write_transaction(conn, |conn| {
        let offered = service::offered(conn, scope, act.now)?;
        let plan = pricing::plan_of(conn, client)?;
        let reduced = plan.as_ref().and_then(|p| p.reduced_rate_cents);
        let diagnosis = appointment::last_diagnosis(conn, client)?
            .unwrap_or_default()
            .replace(',', ", ");
        let end = zone
            .to_utc((until + Duration::days(1)).and_time(chrono::NaiveTime::MIN))
            .0;
        let scheduled: Vec<Option<String>> = scope
            .appointments()
            .filter(appointments::client_id.eq(client.id.as_str()))
            .filter(appointments::status.eq(Status::Scheduled.as_str()))
            .filter(appointments::starts_at.gt(act.now))
            .filter(appointments::starts_at.lt(end))
            .select(appointments::service_id)
            .load(conn)?;
        let mut lines: Vec<Line> = Vec::new();
        let mut quantity_of = |id: &str, n: u32| {
            if let Some(s) = offered.iter().find(|s| s.id == id) {
                match lines
                    .iter_mut()
                    .find(|l| l.cpt_code == s.cpt_code && l.service == s.name)
                {
                    Some(l) => l.quantity = l.quantity.max(n),
                    None => lines.push(Line {
                        service: s.name.clone(),
                        cpt_code: s.cpt_code.clone(),
                        diagnosis: diagnosis.clone(),
                        quantity: n,
                        unit_cents: reduced.or(s.rate_cents).unwrap_or(0),
                    }),
                }
            }
        };
        let mut counts: Vec<(String, u32)> = Vec::new();
        for id in scheduled.iter().flatten() {
            match counts.iter_mut().find(|(s, _)| s == id) {
                Some((_, n)) => *n += 1,
                None => counts.push((id.clone(), 1)),
            }
        }
        for (id, n) in &counts {
            quantity_of(id, *n);
        }
        let by_frequency = request.frequency.sessions_in(months);
        if by_frequency > 0 {
            quantity_of(request.service_id, by_frequency);
        }
        let mut missing = missing;
        if lines.is_empty() {
            missing.push(
                "No sessions are expected: schedule one, or choose how often you expect to meet."
                    .into(),
            );
        }
        for l in lines.iter().filter(|l| l.unit_cents == 0) {
            missing.push(format!(
                "Set your rate for {} in Settings → Rates.",
                l.cpt_code
            ));
        }
        if !missing.is_empty() {
            return Err(IssueError::Missing(missing));
        }
        let scheduled_count: u32 = counts.iter().map(|(_, n)| n).sum();
        let frequency_service = offered
            .iter()
            .find(|s| s.id == request.service_id)
            .map(|s| format!("{} sessions ({})", request.frequency.label(), s.cpt_code))
            .unwrap_or_default();
        let expected = match (scheduled_count, by_frequency) {
            (n, 0) => format!(
                "The {n} {} scheduled in this period.",
                crate::domain::plural::plural(n, "session", "sessions")
            ),
            (0, _) => format!("Expected: {frequency_service} through {}.", long(&until)),
            (n, _) => format!(
                "The {n} {} scheduled, and {frequency_service} through {}.",
                crate::domain::plural::plural(n, "session", "sessions"),
                long(&until)
            ),
        };
        let expected = match spans_new_plan_year(plan.as_ref(), (today, until)) {
            Some(starts) => format!(
                "{expected} This period spans the start of the client's new plan year on {}: a deductible or out-of-pocket maximum under their plan starts over then.",
                long(&starts)
            ),
            None => expected,
        };
        let sheet = Sheet {
            client_name: client.full_name(),
            client_dob: client
                .date_of_birth
                .map(|d| d.format("%m/%d/%Y").to_string())
                .unwrap_or_default(),
            provider_name: provider.full_name(),
            practice: provider.practice_display_name(),
            npi: npi.unwrap_or_default(),
            tin: tin.map(|t| tin_display(&t)).unwrap_or_default(),
            address: address.unwrap_or_default(),
            issued_on: long(&today),
            covers: format!("{} to {}", long(&today), long(&until)),
            expected,
            lines,
        };
        let pdf = crate::pdf::document("Good Faith Estimate", &sheet.blocks());
        let sha256 = hex::encode(Sha256::digest(&pdf));
        let file_name = format!("Good Faith Estimate {}.pdf", today.format("%Y-%m-%d"));
        let doc = match document::add(
            conn,
            client,
            &NewDocument {
                kind: DocumentKind::GoodFaithEstimate,
                file_name: &file_name,
                content_type: "application/pdf",
                sha256: &sha256,
                content: &pdf,
                document_date: Some(today),
                kind_detail: None,
            },
            act.now,
        ) {
            Ok(d) => d,
            Err(document::AddDocumentError::AlreadyAttached(d)) => *d,
            Err(document::AddDocumentError::Database(e)) => return Err(e.into()),
        };
        let id = good_faith::add(
            conn,
            client,
            &NewEstimate {
                document_id: &doc.id,
                covers_from: today,
                covers_until: until,
                frequency: request.frequency.as_str(),
                sheet: &sheet,
            },
            act.now,
        )?;
        record(
            conn,
            client,
            AuditAction::GoodFaithEstimateIssued,
            Some(&id),
            act,
        )?;
        let link = format!("{public_url}/portal/estimates/{id}");
        let (practice, total) = (
            provider.practice_display_name(),
            crate::domain::money::dollars(sheet.total_cents()),
        );
        let message = |reader: &crate::mail::Reader| {
            crate::mail::good_faith::issued(&practice, reader, &total, &sheet.covers, &link)
        };
        queue_for(
            conn,
            provider,
            client,
            ClientEmail {
                kind: ESTIMATE_ISSUED,
                audit_as: ESTIMATE_ISSUED,
                message: &message,
                action_url: Some(&link),
                send_after: act.now,
                queued_at: act.now,
            },
            act.ip,
        )?;
        Ok(id)
    })
}

/// The start of a new plan year within `from..=until`, when the client's plan has a
/// deductible or an out-of-pocket maximum to start over.
fn spans_new_plan_year(
    plan: Option<&pricing::Plan>,
    (from, until): (chrono::NaiveDate, chrono::NaiveDate),
) -> Option<chrono::NaiveDate> {
    let p = plan.filter(|p| p.deductible_cents.is_some() || p.oop_max_cents.is_some())?;
    let (month, day) = (
        u32::try_from(p.plan_year_month).unwrap_or(1),
        u32::try_from(p.plan_year_day).unwrap_or(1),
    );
    let last = crate::domain::estimate::plan_year_start(until, month, day);
    (last > from).then_some(last)
}

/// The client acknowledges receiving an estimate (once; audited as theirs).
pub fn acknowledge(
    conn: &mut DbConnection,
    client: &OwnedClient,
    estimate: &crate::models::scope::Owned<good_faith::GoodFaithEstimate>,
    act: Act<'_>,
) -> diesel::QueryResult<bool> {
    write_transaction(conn, |conn| {
        if !good_faith::acknowledge(conn, estimate, act.ip, act.now)? {
            return Ok(false);
        }
        record(
            conn,
            client,
            AuditAction::PortalEstimateAcknowledged,
            Some(&estimate.id),
            act,
        )?;
        Ok(true)
    })
}

/// The client asks for an estimate from their portal (audited as theirs): one is due
/// within 3 business days.
pub fn request(
    conn: &mut DbConnection,
    client: &OwnedClient,
    act: Act<'_>,
) -> diesel::QueryResult<()> {
    write_transaction(conn, |conn| {
        good_faith::request(conn, client, act.now)?;
        record(
            conn,
            client,
            AuditAction::PortalEstimateRequested,
            None,
            act,
        )
    })
}

/// Where a self-pay client stands: their estimates, the first session ahead that no
/// estimate covers (with when it was booked), and a request not answered by an estimate
/// issued since.
pub struct Standing {
    pub estimates: Vec<good_faith::GoodFaithEstimate>,
    pub uncovered: Option<(NaiveDateTime, NaiveDateTime)>,
    pub asked: Option<NaiveDateTime>,
}

pub fn standing(
    conn: &mut DbConnection,
    client: &OwnedClient,
    zone: crate::domain::time_zone::Zone,
    now: NaiveDateTime,
) -> diesel::QueryResult<Standing> {
    let estimates = good_faith::for_client(conn, client)?;
    let ahead: Vec<(NaiveDateTime, NaiveDateTime)> = client
        .scope()
        .appointments()
        .filter(appointments::client_id.eq(client.id.as_str()))
        .filter(appointments::status.eq(Status::Scheduled.as_str()))
        .filter(appointments::starts_at.gt(now))
        .order(appointments::starts_at)
        .select((appointments::starts_at, appointments::created_at))
        .load(conn)?;
    let uncovered = ahead
        .into_iter()
        .find(|(start, _)| !estimates.iter().any(|g| g.covers(zone.date_of(start))));
    let asked = good_faith::last_request(conn, client)?
        .filter(|at| !estimates.iter().any(|g| g.issued_at > *at));
    Ok(Standing {
        estimates,
        uncovered,
        asked,
    })
}
