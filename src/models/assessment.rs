//! Each questionnaire sent to a client (or given in session), its answers as they are
//! saved, and the emailed links that carry them. Only a SHA-256 of a link's token is kept.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::scope::{Owned, OwnedClient, Scope};
use crate::db::ids::{new_row_id, ProviderId};
use crate::db::schema::{assessment_links, assessments};
use crate::db::DbConnection;
use crate::domain::instrument::Instrument;
use crate::domain::measure_schedule::{LINK_VALID_DAYS, REMIND_AFTER_DAYS};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assessments)]
pub struct Assessment {
    pub id: String,
    pub provider_id: String,
    pub client_id: String,
    pub instrument: String,
    pub schedule_id: Option<String>,
    pub link_id: Option<String>,
    pub appointment_id: Option<String>,
    /// Read through [`Assessment::answers`].
    pub answers: String,
    pub difficulty: Option<i32>,
    pub created_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub expired_at: Option<NaiveDateTime>,
    /// Read through [`Assessment::entered_by`].
    pub entered_by: Option<String>,
    pub total: Option<i32>,
}

/// Who gave a completed questionnaire's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnteredBy {
    /// Through their emailed link.
    Client,
    /// The provider, in session, on the client's behalf.
    Provider,
}

impl EnteredBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Provider => "provider",
        }
    }
}

impl Assessment {
    /// The answers so far, one per item (`None` while unanswered).
    pub fn answers(&self) -> Vec<Option<u32>> {
        decode_answers(&self.answers)
    }

    pub fn instrument(&self) -> Option<Instrument> {
        Instrument::find(&self.instrument)
    }

    pub fn entered_by(&self) -> Option<EnteredBy> {
        match self.entered_by.as_deref() {
            Some("client") => Some(EnteredBy::Client),
            Some("provider") => Some(EnteredBy::Provider),
            _ => None,
        }
    }

    /// Neither completed nor expired.
    pub fn is_open(&self) -> bool {
        self.completed_at.is_none() && self.expired_at.is_none()
    }
}

pub fn decode_answers(stored: &str) -> Vec<Option<u32>> {
    stored.split(',').map(|a| a.parse().ok()).collect()
}

pub fn encode_answers(answers: &[Option<u32>]) -> String {
    answers
        .iter()
        .map(|a| a.map(|n| n.to_string()).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(",")
}

/// A questionnaire to send.
pub struct NewAssessment<'a> {
    pub instrument: &'a Instrument,
    pub schedule_id: Option<&'a str>,
    pub link_id: Option<&'a str>,
    pub appointment_id: Option<&'a str>,
}

pub fn add(
    conn: &mut DbConnection,
    client: &OwnedClient,
    new: &NewAssessment<'_>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_row_id();
    diesel::insert_into(assessments::table)
        .values((
            assessments::id.eq(&id),
            assessments::provider_id.eq(client.provider_id().as_str()),
            assessments::client_id.eq(client.id.as_str()),
            assessments::instrument.eq(&new.instrument.code),
            assessments::schedule_id.eq(new.schedule_id),
            assessments::link_id.eq(new.link_id),
            assessments::appointment_id.eq(new.appointment_id),
            assessments::answers.eq(encode_answers(&vec![None; new.instrument.items.len()])),
            assessments::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Every questionnaire of the client, newest first.
pub fn for_client(conn: &mut DbConnection, client: &OwnedClient) -> QueryResult<Vec<Assessment>> {
    client
        .scope()
        .assessments()
        .filter(assessments::client_id.eq(client.id.as_str()))
        .order(assessments::created_at.desc())
        .select(Assessment::as_select())
        .load(conn)
}

/// The client's questionnaires completed in `[from, to)`, oldest first.
pub fn completed_between(
    conn: &mut DbConnection,
    client: &OwnedClient,
    from: Option<NaiveDateTime>,
    to: NaiveDateTime,
) -> QueryResult<Vec<Assessment>> {
    let mut q = client
        .scope()
        .assessments()
        .filter(assessments::client_id.eq(client.id.as_str()))
        .filter(assessments::completed_at.lt(to))
        .into_boxed();
    if let Some(from) = from {
        q = q.filter(assessments::completed_at.ge(from));
    }
    q.order(assessments::completed_at)
        .select(Assessment::as_select())
        .load(conn)
}

/// Whether the schedule's questionnaire for this session was sent already.
pub fn sent_for_session(
    conn: &mut DbConnection,
    scope: &Scope,
    schedule_id: &str,
    appointment_id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        scope
            .assessments()
            .filter(assessments::schedule_id.eq(schedule_id))
            .filter(assessments::appointment_id.eq(appointment_id)),
    ))
    .get_result(conn)
}

/// The questionnaires a link carries.
pub fn of_link(conn: &mut DbConnection, link: &Owned<Link>) -> QueryResult<Vec<Owned<Assessment>>> {
    let rows: Vec<Assessment> = link
        .scope()
        .assessments()
        .filter(assessments::link_id.eq(link.id.as_str()))
        .order(assessments::created_at)
        .select(Assessment::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|a| link.sibling(a)).collect())
}

/// Saves answers so far of an open questionnaire; `false` once it is completed or expired.
pub fn save_answers(
    conn: &mut DbConnection,
    assessment: &Owned<Assessment>,
    answers: &[Option<u32>],
    difficulty: Option<u32>,
) -> QueryResult<bool> {
    let n = diesel::update(open(assessment))
        .set((
            assessments::answers.eq(encode_answers(answers)),
            assessments::difficulty.eq(difficulty.and_then(|d| i32::try_from(d).ok())),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Completes an open questionnaire with its total; `false` if it was completed or expired
/// meanwhile.
pub fn complete(
    conn: &mut DbConnection,
    assessment: &Owned<Assessment>,
    total: u32,
    by: EnteredBy,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(open(assessment))
        .set((
            assessments::completed_at.eq(now),
            assessments::entered_by.eq(by.as_str()),
            assessments::total.eq(i32::try_from(total).unwrap_or(i32::MAX)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// An assessment still open to answers (neither completed nor expired), to update.
type OpenAssessment = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<
            super::scope::Scoped<assessments::table, assessments::provider_id>,
            diesel::dsl::Eq<assessments::id, String>,
        >,
        diesel::dsl::IsNull<assessments::completed_at>,
    >,
    diesel::dsl::IsNull<assessments::expired_at>,
>;

fn open(a: &Owned<Assessment>) -> OpenAssessment {
    a.scope()
        .assessments()
        .filter(assessments::id.eq(a.id.clone()))
        .filter(assessments::completed_at.is_null())
        .filter(assessments::expired_at.is_null())
}

pub fn find(
    conn: &mut DbConnection,
    client: &OwnedClient,
    id: &str,
) -> QueryResult<Option<Owned<Assessment>>> {
    let row = client
        .scope()
        .assessments()
        .filter(assessments::client_id.eq(client.id.as_str()))
        .filter(assessments::id.eq(id))
        .select(Assessment::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|a| client.sibling(a)))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assessment_links)]
pub struct Link {
    pub id: String,
    pub provider_id: String,
    pub client_id: String,
    pub token_hash: String,
    pub reminder_token_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub reminded_at: Option<NaiveDateTime>,
}

/// A new link for the client, valid for [`LINK_VALID_DAYS`]; returns it and its token,
/// which exists nowhere else once emailed.
pub fn create_link(
    conn: &mut DbConnection,
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<(Owned<Link>, String)> {
    let token = super::invitation::new_token();
    let row = Link {
        id: new_row_id(),
        provider_id: client.provider_id().as_str().to_string(),
        client_id: client.id.clone(),
        token_hash: super::invitation::hash_token(&token),
        reminder_token_hash: None,
        created_at: now,
        expires_at: now + Duration::days(LINK_VALID_DAYS),
        reminded_at: None,
    };
    diesel::insert_into(assessment_links::table)
        .values((
            assessment_links::id.eq(&row.id),
            assessment_links::provider_id.eq(&row.provider_id),
            assessment_links::client_id.eq(&row.client_id),
            assessment_links::token_hash.eq(&row.token_hash),
            assessment_links::created_at.eq(row.created_at),
            assessment_links::expires_at.eq(row.expires_at),
        ))
        .execute(conn)?;
    Ok((client.sibling(row), token))
}

/// The link a client opened, by its token, as its provider's: the token is the whole of
/// the sign-in (for these questionnaires only).
pub fn link_by_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Owned<Link>>> {
    if token.len() > 100 {
        return Ok(None);
    }
    let hash = super::invitation::hash_token(token);
    let row = assessment_links::table
        .filter(
            assessment_links::token_hash
                .eq(&hash)
                .or(assessment_links::reminder_token_hash.eq(&hash)),
        )
        .select(Link::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|l| Scope::from_id(ProviderId(l.provider_id.clone())).owns(l)))
}

/// The reminder sweep: links of every provider sent at least [`REMIND_AFTER_DAYS`] ago,
/// not reminded of, not expired, with a questionnaire still open.
pub fn links_to_remind(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<Owned<Link>>> {
    let open_links = assessments::table
        .filter(assessments::completed_at.is_null())
        .filter(assessments::expired_at.is_null())
        .filter(assessments::link_id.is_not_null())
        .select(assessments::link_id.assume_not_null());
    let rows: Vec<Link> = assessment_links::table
        .filter(assessment_links::reminded_at.is_null())
        .filter(assessment_links::created_at.le(now - Duration::days(REMIND_AFTER_DAYS)))
        .filter(assessment_links::expires_at.gt(now))
        .filter(assessment_links::id.eq_any(open_links))
        .select(Link::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|l| Scope::from_id(ProviderId(l.provider_id.clone())).owns(l))
        .collect())
}

/// Marks the link reminded of and gives it the reminder's own token (returned); `None` if
/// another pass did it first.
pub fn mark_reminded(
    conn: &mut DbConnection,
    link: &Owned<Link>,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let token = super::invitation::new_token();
    let n = diesel::update(
        link.scope()
            .assessment_links()
            .filter(assessment_links::id.eq(link.id.as_str()))
            .filter(assessment_links::reminded_at.is_null()),
    )
    .set((
        assessment_links::reminded_at.eq(now),
        assessment_links::reminder_token_hash.eq(super::invitation::hash_token(&token)),
    ))
    .execute(conn)?;
    Ok((n == 1).then_some(token))
}

/// The expiry sweep, across providers: every open questionnaire whose link expired is
/// marked expired (it can no longer be answered). Returns how many.
pub fn expire_due(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let expired_links = assessment_links::table
        .filter(assessment_links::expires_at.le(now))
        .select(assessment_links::id.nullable());
    diesel::update(
        assessments::table
            .filter(assessments::completed_at.is_null())
            .filter(assessments::expired_at.is_null())
            .filter(assessments::link_id.eq_any(expired_links)),
    )
    .set(assessments::expired_at.eq(now))
    .execute(conn)
}
