//! A client's contacts: parents and guardians, partners, emergency contacts. A contact may
//! receive the client's emails, and may act for them in the portal (with an account of
//! their own, by their email). Several clients may share one contact: the same person,
//! by the same email, on each client's record (siblings and their parent).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::scope::{Owned, OwnedClient, Scope};
use crate::db::ids::new_row_id;
use crate::db::schema::client_contacts;
use crate::db::DbConnection;
pub use crate::domain::contact::{ContactDetails, Relationship};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = client_contacts)]
pub struct Contact {
    pub id: String,
    pub provider_id: String,
    pub client_id: String,
    pub name: String,
    /// Read through [`Contact::relationship`].
    pub relationship: String,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub phone: Option<String>,
    pub receives_emails: bool,
    pub acts_for: bool,
    pub created_at: NaiveDateTime,
    pub version: i64,
}

impl Contact {
    pub fn relationship(&self) -> Relationship {
        Relationship::parse(&self.relationship).unwrap_or(Relationship::Other)
    }

    /// The first word of the name, for greetings.
    pub fn first_name(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or(&self.name)
    }
}

/// The client's contacts, in the order they were added.
pub fn for_client(conn: &mut DbConnection, client: &OwnedClient) -> QueryResult<Vec<Contact>> {
    client
        .scope()
        .client_contacts()
        .filter(client_contacts::client_id.eq(client.id.as_str()))
        .order((client_contacts::created_at, client_contacts::id))
        .select(Contact::as_select())
        .load(conn)
}

/// The contacts of many clients at once (a list of ids), for pages that show several.
pub fn for_clients(
    conn: &mut DbConnection,
    scope: &Scope,
    client_ids: &[String],
) -> QueryResult<Vec<Contact>> {
    scope
        .client_contacts()
        .filter(client_contacts::client_id.eq_any(client_ids))
        .order((client_contacts::created_at, client_contacts::id))
        .select(Contact::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut DbConnection,
    client: &OwnedClient,
    id: &str,
) -> QueryResult<Option<Owned<Contact>>> {
    let row = client
        .scope()
        .client_contacts()
        .filter(client_contacts::client_id.eq(client.id.as_str()))
        .filter(client_contacts::id.eq(id))
        .select(Contact::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|c| client.sibling(c)))
}

/// The provider's other contacts with this email (the same person on other clients'
/// records), newest first: their name and phone fill a new contact's form.
pub fn with_email(
    conn: &mut DbConnection,
    scope: &Scope,
    email_normalized: &str,
) -> QueryResult<Vec<Contact>> {
    scope
        .client_contacts()
        .filter(client_contacts::email_normalized.eq(email_normalized))
        .order(client_contacts::created_at.desc())
        .select(Contact::as_select())
        .load(conn)
}

pub fn add(
    conn: &mut DbConnection,
    client: &OwnedClient,
    d: &ContactDetails,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_row_id();
    diesel::insert_into(client_contacts::table)
        .values((
            client_contacts::id.eq(&id),
            client_contacts::provider_id.eq(client.provider_id().as_str()),
            client_contacts::client_id.eq(client.id.as_str()),
            client_contacts::name.eq(&d.name),
            client_contacts::relationship.eq(d.relationship.as_str()),
            client_contacts::email.eq(d.email.as_ref().map(|e| e.as_typed())),
            client_contacts::email_normalized.eq(d.email.as_ref().map(|e| e.normalized())),
            client_contacts::phone.eq(&d.phone),
            client_contacts::receives_emails.eq(d.receives_emails),
            client_contacts::acts_for.eq(d.acts_for),
            client_contacts::created_at.eq(now),
            client_contacts::version.eq(1),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Saves a contact changed from the version its form showed; `false` when it changed since.
pub fn update(
    conn: &mut DbConnection,
    contact: &Owned<Contact>,
    version: i64,
    d: &ContactDetails,
) -> QueryResult<bool> {
    let n = diesel::update(
        contact
            .scope()
            .client_contacts()
            .filter(client_contacts::id.eq(contact.id.as_str()))
            .filter(client_contacts::version.eq(version)),
    )
    .set((
        client_contacts::name.eq(&d.name),
        client_contacts::relationship.eq(d.relationship.as_str()),
        client_contacts::email.eq(d.email.as_ref().map(|e| e.as_typed())),
        client_contacts::email_normalized.eq(d.email.as_ref().map(|e| e.normalized())),
        client_contacts::phone.eq(&d.phone),
        client_contacts::receives_emails.eq(d.receives_emails),
        client_contacts::acts_for.eq(d.acts_for),
        client_contacts::version.eq(version + 1),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn remove(conn: &mut DbConnection, contact: &Owned<Contact>) -> QueryResult<bool> {
    let n = diesel::delete(
        contact
            .scope()
            .client_contacts()
            .filter(client_contacts::id.eq(contact.id.as_str())),
    )
    .execute(conn)?;
    Ok(n == 1)
}
