//! The rows an import makes into new clients: checked and written in chunks, one thread
//! preparing each chunk's details (names, email, phone read again from what was stored)
//! while the thread holding the transaction writes the chunk before it.

use std::collections::HashMap;
use std::sync::mpsc::sync_channel;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::commit::{list_rows, CommitError};
use super::ImportRow;
use crate::db::ids::ClientId;
use crate::db::schema::clients;
use crate::db::DbConnection;
use crate::domain::contact::{ContactDetails, Relationship};
use crate::domain::email::Email;
use crate::domain::onboarding::OnboardingFacts;
use crate::domain::plural::plural;
use crate::import::households::{names_together, Household};
use crate::import::plan;
use crate::models::audit::AuditAction;
use crate::models::client::{PreparedClients, INSERT_CHUNK};
use crate::models::scope::{OwnedBatch, Scope};

/// What is known of a selected row once it is read again.
struct PreparedRow {
    source_row: i64,
    /// `None`: the row lacks a valid name or email.
    details: Option<RowDetails>,
    /// The household it is imported in (its contact is added once the client exists).
    household: Option<Household>,
    archived: bool,
}

struct RowDetails {
    /// The email it is to have, as compared ("" for none).
    email_normalized: String,
}

/// A chunk of selected rows, read again, and the new clients of those with valid details
/// (in the same order), made on the preparing thread.
struct PreparedChunk {
    rows: Vec<PreparedRow>,
    clients: PreparedClients,
}

fn prepare(rows: &[&ImportRow], scope: &Scope, now: NaiveDateTime) -> PreparedChunk {
    let mut to_add = Vec::with_capacity(rows.len());
    let rows = rows
        .iter()
        .map(|r| {
            let household = r.chosen_household();
            let candidate = r.candidate();
            let details = match &household {
                // The shared address is the contact's, not theirs.
                Some(_) => plan::member_details(&candidate),
                None => plan::details_from(&candidate),
            };
            let details = details.map(|d| {
                let email_normalized = d.email_normalized().to_string();
                to_add.push((d, OnboardingFacts::default()));
                RowDetails { email_normalized }
            });
            PreparedRow {
                source_row: r.source_row,
                details,
                household,
                archived: r.archived,
            }
        })
        .collect();
    PreparedChunk {
        rows,
        clients: PreparedClients::new(scope, &to_add, now),
    }
}

/// What stops an import, gathered over every row so that the message names them all.
#[derive(Default)]
struct Problems {
    unnamed_households: Vec<String>,
    unusable: Vec<i64>,
    repeated: Vec<i64>,
    /// Each email seen so far, with the row that has it first.
    first_by_email: HashMap<String, i64>,
}

impl Problems {
    fn check(&mut self, row: &PreparedRow) {
        if let Some(h) = row
            .household
            .as_ref()
            .filter(|h| h.contact_name.trim().is_empty())
        {
            let who = names_together(&h.names);
            if !self.unnamed_households.contains(&who) {
                self.unnamed_households.push(who);
            }
        }
        match &row.details {
            None => self.unusable.push(row.source_row),
            Some(d) if !d.email_normalized.is_empty() => {
                if self
                    .first_by_email
                    .insert(d.email_normalized.clone(), row.source_row)
                    .is_some()
                {
                    self.repeated.push(row.source_row);
                }
            }
            Some(_) => {}
        }
    }

    fn any(&self) -> bool {
        !(self.unnamed_households.is_empty()
            && self.unusable.is_empty()
            && self.repeated.is_empty())
    }

    /// The first problem, in words, with what to do.
    fn message(&self) -> Option<String> {
        let (unusable, repeated) = (&self.unusable, &self.repeated);
        if !self.unnamed_households.is_empty() {
            return Some(format!(
                "The household of {} has no contact's name. Enter the name of their parent or guardian (or choose “Decide row by row”), then import again.",
                self.unnamed_households.join("; of ")
            ));
        }
        if !unusable.is_empty() {
            return Some(format!(
                "{} {} {} a valid name or email address. Unselect {} or correct the email, then import again.",
                plural(unusable.len(), "Row", "Rows"),
                list_rows(unusable),
                plural(unusable.len(), "lacks", "lack"),
                plural(unusable.len(), "it", "them"),
            ));
        }
        if !repeated.is_empty() {
            return Some(format!(
                "{} {} {} the same email address as another selected row. Keep one of each, then import again.",
                plural(repeated.len(), "Row", "Rows"),
                list_rows(repeated),
                plural(repeated.len(), "has", "have"),
            ));
        }
        None
    }
}

/// Inserts `rows` as new clients with their audit entries, after checking that each is
/// valid and that no two share an email; a client on the list who has one of the emails
/// (added since the review) stops the import, naming the rows. Returns the new clients'
/// ids in the same order. Inside the caller's transaction: on an error nothing stays.
pub(in crate::models) fn insert_new_clients(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    rows: &[&ImportRow],
    now: NaiveDateTime,
) -> Result<Vec<ClientId>, CommitError> {
    let mut problems = Problems::default();
    let mut ids = Vec::with_capacity(rows.len());
    let mut inactive = Vec::new();
    let mut members = Vec::new();
    let written = std::thread::scope(|s| {
        // Two chunks wait at most: the preparing thread stays a little ahead.
        let (tx, rx) = sync_channel::<PreparedChunk>(2);
        let scope = batch.scope();
        s.spawn(move || {
            for chunk in rows.chunks(INSERT_CHUNK) {
                if tx.send(prepare(chunk, scope, now)).is_err() {
                    return;
                }
            }
        });
        let write = |conn: &mut DbConnection| {
            for chunk in rx {
                chunk.rows.iter().for_each(|r| problems.check(r));
                // Past the first problem nothing is written; the rest is only checked.
                if problems.any() {
                    continue;
                }
                let added = crate::models::client::insert_prepared(conn, &chunk.clients)?;
                record_imported(conn, batch, &added, now)?;
                let written = chunk.rows.into_iter().filter(|r| r.details.is_some());
                for (id, row) in added.iter().zip(written) {
                    if row.archived {
                        inactive.push(id.clone());
                    }
                    if let Some(h) = row.household {
                        members.push((id.clone(), h));
                    }
                }
                ids.extend(added);
            }
            QueryResult::Ok(())
        };
        // When an email turns out to be taken, the rows are looked up to be named, in the
        // same transaction. PostgreSQL refuses every statement after an error until a
        // savepoint is rolled back; SQLite undoes only the failed statement, and a
        // savepoint there would copy each page the import touches into a side journal.
        match conn {
            DbConnection::Postgres(_) => conn.transaction(write),
            DbConnection::Sqlite(_) => write(conn),
        }
    });
    if let Some(message) = problems.message() {
        return Err(CommitError::Conflict(message));
    }
    if let Err(e) = written {
        return Err(match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => taken_emails(conn, batch, &problems.first_by_email)?,
            other => other.into(),
        });
    }
    crate::db::refresh_statistics(conn)?;
    archive_inactive(conn, batch, &inactive, now)?;
    add_household_contacts(conn, batch, &members, now)?;
    Ok(ids)
}

/// Why an email of the import is taken: clients added since the review (another import,
/// another tab) keep their email, and the rows are named.
fn taken_emails(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    first_by_email: &HashMap<String, i64>,
) -> Result<CommitError, CommitError> {
    let emails: Vec<&String> = first_by_email.keys().collect();
    let mut taken = Vec::new();
    for chunk in emails.chunks(5000) {
        let found: Vec<String> = batch
            .scope()
            .clients()
            .filter(clients::email_normalized.eq_any(chunk))
            .select(clients::email_normalized)
            .load(conn)?;
        taken.extend(found.iter().filter_map(|e| first_by_email.get(e).copied()));
    }
    if taken.is_empty() {
        // Another import's clients, committed as this one wrote.
        return Ok(CommitError::Conflict("Another import added some of these clients at the same moment. Nothing was imported from this file. Upload it again for a fresh review.".into()));
    }
    taken.sort_unstable();
    Ok(CommitError::Conflict(format!(
        "{} {} now {} the email of a client on your list (added since this file was checked). Nothing was imported. Upload the file again for a fresh review.",
        plural(taken.len(), "Row", "Rows"),
        list_rows(&taken),
        plural(taken.len(), "has", "have"),
    )))
}

/// Clients the file marked inactive or discharged are kept, archived, with an audit entry
/// saying the import archived them.
fn archive_inactive(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    inactive: &[ClientId],
    now: NaiveDateTime,
) -> QueryResult<()> {
    if inactive.is_empty() {
        return Ok(());
    }
    crate::models::client::archive_imported(conn, batch.scope(), inactive, now)?;
    record_for_import(conn, batch, AuditAction::ClientArchived, inactive, now)
}

/// Each new client of a chosen household gets its contact: the shared address, receiving
/// their emails and acting for them (one contact per client, the same person each time).
fn add_household_contacts(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    members: &[(ClientId, Household)],
    now: NaiveDateTime,
) -> Result<(), CommitError> {
    if members.is_empty() {
        return Ok(());
    }
    let wanted: Vec<ClientId> = members.iter().map(|(id, _)| id.clone()).collect();
    let clients = crate::models::client::find_many(conn, batch.scope(), &wanted)?;
    for (id, h) in members {
        let Some(client) = clients.iter().find(|c| c.id == id.as_str()) else {
            return Err(CommitError::Database(diesel::result::Error::NotFound));
        };
        let Ok(email) = Email::parse(&h.email) else {
            return Err(CommitError::Conflict(format!(
                "The address {} shared by {} is not valid. Decide those rows one by one, then import again.",
                h.email,
                names_together(&h.names)
            )));
        };
        let contact = ContactDetails {
            name: h.contact_name.trim().to_string(),
            relationship: Relationship::parse(&h.relationship)
                .unwrap_or(Relationship::ParentGuardian),
            email: Some(email),
            phone: h.contact_phone.clone(),
            receives_emails: true,
            acts_for: true,
        };
        crate::models::contact::add(conn, client, &contact, now)?;
        let role = format!(
            "{}, acts for the client, receives their emails (imported with the household)",
            contact.relationship.label().to_lowercase()
        );
        crate::models::audit::record_at(
            conn,
            crate::models::audit::AuditEntry {
                provider_id: batch.provider_id(),
                client_id: Some(id),
                action: AuditAction::ContactAdded,
                subject: Some(&role),
                ip: None,
            },
            now,
        )?;
    }
    Ok(())
}

/// One audit entry per imported client, written in batches like the clients themselves.
fn record_imported(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    ids: &[ClientId],
    at: NaiveDateTime,
) -> QueryResult<()> {
    record_for_import(conn, batch, AuditAction::ClientImported, ids, at)
}

/// One audit entry of `action` per client, naming the import that did it.
fn record_for_import(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    action: AuditAction,
    ids: &[ClientId],
    at: NaiveDateTime,
) -> QueryResult<()> {
    let subject = format!("import:{}", batch.id);
    let events: Vec<(&ClientId, &str)> = ids.iter().map(|c| (c, subject.as_str())).collect();
    crate::models::audit::record_many(conn, batch.provider_id(), action, &events, at)
}
