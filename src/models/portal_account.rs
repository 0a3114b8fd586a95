//! Portal accounts: one per person and practice, by email. A client signs in with their
//! own; a parent or guardian with theirs, and acts for each client whose contact they are
//! (with "may act for them"). Siblings therefore share their parent's one account, and a
//! parent who is also a client sees themselves and their child.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::client::Client;
use super::contact::Contact;
use super::scope::{Owned, OwnedClient, Scope};
use crate::db::ids::{new_row_id, ClientId, ProviderId};
use crate::db::schema::{client_contacts, clients, portal_accounts};
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = portal_accounts)]
pub struct PortalAccount {
    pub id: String,
    pub provider_id: String,
    pub email: String,
    pub email_normalized: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub type OwnedAccount = Owned<PortalAccount>;

/// Whom an account acts for: the client, and how (themselves, or as their contact).
#[derive(Debug, Clone)]
pub struct ActingFor {
    pub client: OwnedClient,
    /// `None` when the account is the client's own.
    pub as_contact: Option<Contact>,
}

impl ActingFor {
    /// "Maria Okafor, parent or guardian" when acting for someone else.
    pub fn on_behalf(&self) -> Option<String> {
        self.as_contact
            .as_ref()
            .map(|c| format!("{}, {}", c.name, c.relationship().label().to_lowercase()))
    }
}

/// The account of this email at the client's practice, if there is one.
pub fn find_by_email(
    conn: &mut DbConnection,
    scope: &Scope,
    email_normalized: &str,
) -> QueryResult<Option<OwnedAccount>> {
    let row = scope
        .portal_accounts()
        .filter(portal_accounts::email_normalized.eq(email_normalized))
        .select(PortalAccount::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|a| scope.owns(a)))
}

/// An account by id, as its practice's (the portal's sign-in names it).
pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<OwnedAccount>> {
    let row = portal_accounts::table
        .find(id)
        .select(PortalAccount::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|a| Scope::from_id(ProviderId(a.provider_id.clone())).owns(a)))
}

/// Accounts with this email and a password, at every practice (one person may be a client
/// of several), for the portal's sign-in and its "forgot your password".
pub fn with_email(
    conn: &mut DbConnection,
    email_normalized: &str,
) -> QueryResult<Vec<OwnedAccount>> {
    let rows: Vec<PortalAccount> = portal_accounts::table
        .filter(portal_accounts::email_normalized.eq(email_normalized))
        .select(PortalAccount::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|a| Scope::from_id(ProviderId(a.provider_id.clone())).owns(a))
        .collect())
}

/// The account of this email at the practice, made (without a password) if there is none.
pub fn ensure(
    conn: &mut DbConnection,
    scope: &Scope,
    email: &str,
    email_normalized: &str,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<OwnedAccount> {
    if let Some(a) = find_by_email(conn, scope, email_normalized)? {
        return Ok(a);
    }
    let row = PortalAccount {
        id: new_row_id(),
        provider_id: scope.provider_id().as_str().to_string(),
        email: email.to_string(),
        email_normalized: email_normalized.to_string(),
        name: name.to_string(),
        password_hash: None,
        verified_at: None,
        created_at: now,
    };
    diesel::insert_into(portal_accounts::table)
        .values((
            portal_accounts::id.eq(&row.id),
            portal_accounts::provider_id.eq(&row.provider_id),
            portal_accounts::email.eq(&row.email),
            portal_accounts::email_normalized.eq(&row.email_normalized),
            portal_accounts::name.eq(&row.name),
            portal_accounts::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(scope.owns(row))
}

/// Sets the password; the email is verified by the link that led here.
pub fn set_password(
    conn: &mut DbConnection,
    account: &OwnedAccount,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        account
            .scope()
            .portal_accounts()
            .filter(portal_accounts::id.eq(account.id.as_str())),
    )
    .set((
        portal_accounts::password_hash.eq(Some(password_hash)),
        portal_accounts::verified_at.eq(account.verified_at.or(Some(now))),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Every client (not archived) this account acts for: their own record, and each client
/// whose contact they are with "may act for them"; by name.
pub fn acting_for(conn: &mut DbConnection, account: &OwnedAccount) -> QueryResult<Vec<ActingFor>> {
    let scope = account.scope();
    let own: Vec<Client> = scope
        .clients()
        .filter(clients::email_normalized.eq(account.email_normalized.as_str()))
        .filter(clients::archived_at.is_null())
        .select(Client::as_select())
        .load(conn)?;
    let as_contact: Vec<(Contact, Client)> = scope
        .client_contacts()
        .filter(client_contacts::email_normalized.eq(account.email_normalized.as_str()))
        .filter(client_contacts::acts_for.eq(true))
        .inner_join(
            clients::table.on(clients::id
                .eq(client_contacts::client_id)
                .and(clients::provider_id.eq(client_contacts::provider_id))),
        )
        .filter(clients::archived_at.is_null())
        .select((Contact::as_select(), Client::as_select()))
        .load(conn)?;
    let mut all: Vec<ActingFor> = own
        .into_iter()
        .map(|c| ActingFor {
            client: scope.owns(c),
            as_contact: None,
        })
        .collect();
    for (contact, c) in as_contact {
        if !all.iter().any(|a| a.client.id == c.id) {
            all.push(ActingFor {
                client: scope.owns(c),
                as_contact: Some(contact),
            });
        }
    }
    all.sort_by(|a, b| {
        (&a.client.first_name, &a.client.last_name)
            .cmp(&(&b.client.first_name, &b.client.last_name))
    });
    Ok(all)
}

/// Whether (and how) the account acts for this client now: `None` once it no longer does
/// (the contact was removed, or may no longer act for them).
pub fn acts_for(
    conn: &mut DbConnection,
    account: &OwnedAccount,
    client: &ClientId,
) -> QueryResult<Option<ActingFor>> {
    Ok(acting_for(conn, account)?
        .into_iter()
        .find(|a| a.client.id == client.as_str()))
}
