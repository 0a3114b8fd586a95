//! A client's form of billing, as the payment processor left it: brand, last four digits
//! and expiry. Nothing here can charge a card or recover its number.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::scope::OwnedClient;
use crate::db::ids::new_row_id;
use crate::db::schema::{clients, payment_methods};
use crate::db::DbConnection;
use crate::domain::payment::StoredCard;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = payment_methods)]
pub struct PaymentMethod {
    pub id: String,
    pub kind: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    pub added_by: String,
    pub created_at: NaiveDateTime,
}

impl PaymentMethod {
    pub fn describe(&self) -> String {
        let kind = if self.kind == "hsa_fsa" {
            " (HSA/FSA)"
        } else {
            ""
        };
        format!(
            "{}{kind} ending in {}, expires {:02}/{}",
            self.brand, self.last4, self.exp_month, self.exp_year
        )
    }
}

/// Adds a card and records the fact on the client. `added_by` is "client" or "provider".
pub fn add(
    conn: &mut DbConnection,
    client: &OwnedClient,
    card: &StoredCard,
    added_by: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(payment_methods::table)
        .values((
            payment_methods::id.eq(new_row_id()),
            payment_methods::provider_id.eq(client.provider_id().as_str()),
            payment_methods::client_id.eq(client.id.as_str()),
            payment_methods::kind.eq(card.kind.as_str()),
            payment_methods::brand.eq(&card.brand),
            payment_methods::last4.eq(&card.last4),
            payment_methods::exp_month.eq(card.exp_month as i32),
            payment_methods::exp_year.eq(card.exp_year),
            payment_methods::added_by.eq(added_by),
            payment_methods::created_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(clients::table.filter(clients::id.eq(client.id.as_str())))
        .set((
            clients::payment_method_added_at.eq(Some(now)),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The newest card on file.
pub fn current(
    conn: &mut DbConnection,
    client: &OwnedClient,
) -> QueryResult<Option<PaymentMethod>> {
    payment_methods::table
        .filter(payment_methods::client_id.eq(client.id.as_str()))
        .order((
            payment_methods::created_at.desc(),
            payment_methods::id.desc(),
        ))
        .select(PaymentMethod::as_select())
        .first(conn)
        .optional()
}
