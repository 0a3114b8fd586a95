//! The paths that legitimately act without a signed-in provider, all in one place: the
//! import worker (the batch it was handed), the client portal (the client a sign-in or an
//! invitation names), and sign-in by email. Each hands out the same [`Owned`] handles as
//! [`Scope`], made from a row that names its own provider, so everything downstream is
//! scoped as usual. Sweeps across every provider (expiries, the outbox) name themselves
//! in their own model files and hand out nothing.

use diesel::prelude::*;

use crate::db::ids::{ClientId, ProviderId};
use crate::db::schema::{clients, import_batches};
use crate::db::DbConnection;

use super::client::Client;
use super::import_batch::ImportBatch;
use super::scope::{Owned, OwnedBatch, OwnedClient, Scope};

/// The batch a worker (or the command line) was handed, as its provider's.
pub fn batch_for_worker(conn: &mut DbConnection, id: &str) -> QueryResult<Option<OwnedBatch>> {
    let row = import_batches::table
        .filter(import_batches::id.eq(id))
        .select(ImportBatch::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(owned_batch))
}

fn owned_batch(b: ImportBatch) -> Owned<ImportBatch> {
    Scope::from_id(ProviderId(b.provider_id.clone())).owns(b)
}

/// A client by id, as their own provider's: the client a portal sign-in, an invitation
/// or a booking names.
pub fn client(conn: &mut DbConnection, id: &ClientId) -> QueryResult<Option<OwnedClient>> {
    let row = clients::table
        .filter(clients::id.eq(id.as_str()))
        .select(Client::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(owned_client))
}

fn owned_client(c: Client) -> OwnedClient {
    Scope::from_id(ProviderId(c.provider_id.clone())).owns(c)
}

/// The reminder job's sweep: the scheduled sessions starting in `(from, to]` whose
/// reminder is not queued yet, of every provider who sends reminders, each as its
/// provider's.
pub fn sessions_awaiting_reminder(
    conn: &mut DbConnection,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
) -> QueryResult<Vec<Owned<super::appointment::Appointment>>> {
    use crate::db::schema::{appointments, providers};
    use crate::domain::appointment::{Kind, Status};
    let reminding = providers::table
        .filter(providers::reminder_hours.gt(0))
        .select(providers::id);
    let rows = appointments::table
        .filter(appointments::provider_id.eq_any(reminding))
        .filter(appointments::reminder_queued_at.is_null())
        .filter(appointments::starts_at.gt(from))
        .filter(appointments::starts_at.le(to))
        .filter(appointments::status.eq(Status::Scheduled.as_str()))
        .filter(appointments::kind.eq(Kind::Session.as_str()))
        .filter(appointments::client_id.is_not_null())
        .order(appointments::starts_at)
        .select(super::appointment::Appointment::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|a| Scope::from_id(ProviderId(a.provider_id.clone())).owns(a))
        .collect())
}

/// The feed a calendar program asks for by its secret address, as its provider's: the
/// token is the whole of the sign-in.
pub fn calendar_feed(
    conn: &mut DbConnection,
    token: &str,
) -> QueryResult<Option<Owned<super::calendar_feed::CalendarFeed>>> {
    use super::calendar_feed::{looks_like_token, CalendarFeed};
    use crate::db::schema::calendar_feeds;
    if !looks_like_token(token) {
        return Ok(None);
    }
    let row = calendar_feeds::table
        .filter(calendar_feeds::token.eq(token))
        .select(CalendarFeed::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|f| Scope::from_id(ProviderId(f.provider_id.clone())).owns(f)))
}
