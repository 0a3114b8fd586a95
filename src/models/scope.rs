//! The provider's scope, applied once, by type. A [`Scope`] is made from a signed-in
//! provider's row; its tables come filtered to that provider, and loading a row through it
//! yields an [`Owned`] handle, the proof that the row is that provider's. Functions that
//! act on a client's data take the handle, so a query without the scope cannot be written
//! by accident: this is the only module that filters by `provider_id`. Work that acts
//! without a signed-in provider (the workers, the command line, the portal and public
//! links) goes through [`super::unscoped`], which names why it may.

use std::ops::Deref;

use diesel::dsl::{Eq, Filter};
use diesel::prelude::*;

use crate::db::ids::{ClientId, ProviderId};
use crate::db::schema::{
    appointment_series, appointments, assessment_links, assessments, audit_events,
    booking_requests, calendar_feeds, client_contacts, client_list_counts, client_plans, clients,
    documents, form_acknowledgments, good_faith_estimates, good_faith_requests, import_batches,
    measure_schedules, outbox_emails, payer_rates, payment_methods, portal_accounts,
    practice_forms, risk_alerts, services, sign_in_sessions, working_hours,
};
use crate::db::DbConnection;

use super::client::Client;
use super::import_batch::ImportBatch;
use super::provider::Provider;

/// One provider's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(ProviderId);

/// A table filtered to one provider: usable to select, update and delete.
pub type Scoped<T, C> = Filter<T, Eq<C, String>>;

macro_rules! scoped_tables {
    ($($(#[$doc:meta])* $name:ident => $table:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self) -> Scoped<$table::table, $table::provider_id> {
                $table::table.filter($table::provider_id.eq(self.0 .0.clone()))
            }
        )*
    };
}

impl Scope {
    /// The scope of a provider whose row was loaded (signed in, or named on the command
    /// line).
    pub fn of(provider: &Provider) -> Self {
        Scope(provider.id())
    }

    /// Only the models (for rows they already proved to be the provider's) and
    /// [`super::unscoped`] make a scope from a bare id.
    pub(super) fn from_id(id: ProviderId) -> Self {
        Scope(id)
    }

    pub fn provider_id(&self) -> &ProviderId {
        &self.0
    }

    scoped_tables! {
        clients => clients;
        client_list_counts => client_list_counts;
        documents => documents;
        audit_events => audit_events;
        outbox_emails => outbox_emails;
        import_batches => import_batches;
        practice_forms => practice_forms;
        form_acknowledgments => form_acknowledgments;
        payment_methods => payment_methods;
        sign_in_sessions => sign_in_sessions;
        booking_requests => booking_requests;
        appointments => appointments;
        appointment_series => appointment_series;
        services => services;
        working_hours => working_hours;
        calendar_feeds => calendar_feeds;
        payer_rates => payer_rates;
        client_plans => client_plans;
        good_faith_estimates => good_faith_estimates;
        good_faith_requests => good_faith_requests;
        measure_schedules => measure_schedules;
        assessment_links => assessment_links;
        assessments => assessments;
        risk_alerts => risk_alerts;
        client_contacts => client_contacts;
        portal_accounts => portal_accounts;
    }

    /// This provider's client, or `None` (for another provider's id too).
    pub fn client(
        &self,
        conn: &mut DbConnection,
        id: &ClientId,
    ) -> QueryResult<Option<Owned<Client>>> {
        let row = self
            .clients()
            .filter(clients::id.eq(id.as_str()))
            .select(Client::as_select())
            .first(conn)
            .optional()?;
        Ok(row.map(|c| self.owns(c)))
    }

    /// This provider's import batch, or `None`.
    pub fn batch(
        &self,
        conn: &mut DbConnection,
        id: &str,
    ) -> QueryResult<Option<Owned<ImportBatch>>> {
        let row = self
            .import_batches()
            .filter(import_batches::id.eq(id))
            .select(ImportBatch::as_select())
            .first(conn)
            .optional()?;
        Ok(row.map(|b| self.owns(b)))
    }

    /// Wraps a row this scope's query returned.
    pub(super) fn owns<T>(&self, row: T) -> Owned<T> {
        Owned {
            scope: self.clone(),
            row,
        }
    }
}

/// A row that belongs to the provider of its scope. Made only by the models, from a query
/// through that scope (or, in [`super::unscoped`], from a row that names its provider).
#[derive(Debug, Clone)]
pub struct Owned<T> {
    scope: Scope,
    row: T,
}

pub type OwnedClient = Owned<Client>;
pub type OwnedBatch = Owned<ImportBatch>;

impl<T> Owned<T> {
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn provider_id(&self) -> &ProviderId {
        self.scope.provider_id()
    }

    pub fn into_row(self) -> T {
        self.row
    }

    /// A row of the same provider derived from this one (a client's document).
    pub(super) fn sibling<U>(&self, row: U) -> Owned<U> {
        self.scope.owns(row)
    }
}

impl<T> Deref for Owned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.row
    }
}
