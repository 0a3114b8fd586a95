use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::ids::ProviderId;
use crate::db::schema::providers;
use crate::db::DbConnection;
use crate::domain::email::Email;
use crate::domain::name::PersonName;
use crate::domain::session_rules::CancellationPolicy;
use crate::domain::time_zone::Zone;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = providers)]
pub struct Provider {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub email_normalized: String,
    pub password_hash: String,
    pub practice_name: Option<String>,
    /// The token in the public booking link, once the provider has one.
    pub booking_token: Option<String>,
    pub created_at: NaiveDateTime,
    /// IANA name; read it through [`Provider::zone`].
    pub time_zone: String,
    /// Read it through [`Provider::cancellation_policy`].
    pub cancellation_policy: String,
    /// How long before a session its reminder goes to the client; 0 sends none.
    pub reminder_hours: i32,
    /// Charged for a late cancellation or a no-show under the policy (0: no fee).
    pub cancellation_fee_cents: i32,
    /// Where telehealth sessions happen.
    pub video_link: Option<String>,
    pub office_address: Option<String>,
    /// The booking link offers only times at least this many hours ahead.
    pub booking_notice_hours: i32,
    /// The service the booking link offers (read through `service::for_booking`).
    pub booking_service_id: Option<String>,
    /// What a Good Faith Estimate names (Settings → Practice): the NPI, checked…
    pub npi: Option<String>,
    /// … the TIN's 9 digits, and the practice's address.
    pub tin: Option<String>,
    pub billing_address: Option<String>,
    /// PCL-5's cut-off for "probable PTSD" (33 unless the provider set another).
    pub pcl5_probable_from: i32,
    /// What a client who signs up through the booking link is sent (Settings →
    /// Questionnaires): read through `domain::measure_schedule::parse_defaults`.
    pub signup_measures: String,
    /// Whether a booking request's arrival is emailed to the provider (Settings → Calendar).
    pub email_booking_requests: bool,
    /// 12 or 24: the clock the provider reads times on (read through `hour_clock`).
    pub clock_hours: i32,
}

impl Provider {
    /// The clock the provider's pages write times on (12-hour unless they chose 24).
    pub fn hour_clock(&self) -> crate::domain::time_zone::HourClock {
        crate::domain::time_zone::HourClock::from_hours(self.clock_hours)
    }

    pub fn id(&self) -> ProviderId {
        ProviderId(self.id.clone())
    }

    /// The provider's time zone: every time they read is shown in it.
    pub fn zone(&self) -> Zone {
        Zone::or_utc(&self.time_zone)
    }

    /// What makes a client's cancellation late (none until the provider sets one).
    pub fn cancellation_policy(&self) -> CancellationPolicy {
        CancellationPolicy::parse(&self.cancellation_policy).unwrap_or(CancellationPolicy::None)
    }

    /// How long before a session its reminder goes out, if reminders are on.
    pub fn reminder_lead(&self) -> Option<chrono::Duration> {
        (self.reminder_hours > 0).then(|| chrono::Duration::hours(i64::from(self.reminder_hours)))
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// The name clients see: the practice's name, or the provider's own.
    pub fn practice_display_name(&self) -> String {
        self.practice_name
            .clone()
            .unwrap_or_else(|| self.full_name())
    }
}

/// A validated new provider, ready to insert.
pub struct NewProvider {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
    pub password_hash: String,
    pub time_zone: Zone,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateProviderError {
    #[error("a provider with this email already exists")]
    EmailTaken,
    #[error("sign-up is closed: the server already has its provider")]
    SignupClosed,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    providers::table.count().get_result(conn)
}

pub fn create(conn: &mut DbConnection, new: NewProvider) -> Result<Provider, CreateProviderError> {
    let row = Provider {
        id: ProviderId::generate().0,
        first_name: new.first_name.into_string(),
        last_name: new.last_name.into_string(),
        email: new.email.as_typed().to_string(),
        email_normalized: new.email.normalized().to_string(),
        password_hash: new.password_hash,
        practice_name: None,
        booking_token: None,
        created_at: super::now(),
        time_zone: new.time_zone.name().to_string(),
        cancellation_policy: CancellationPolicy::None.as_str().to_string(),
        reminder_hours: 24,
        cancellation_fee_cents: 0,
        video_link: None,
        office_address: None,
        booking_notice_hours: 2,
        booking_service_id: None,
        npi: None,
        tin: None,
        billing_address: None,
        pcl5_probable_from: 33,
        signup_measures: String::new(),
        email_booking_requests: true,
        clock_hours: 12,
    };
    conn.transaction(|conn| {
        if find_by_email(conn, new.email.normalized())?.is_some() {
            return Err(CreateProviderError::EmailTaken);
        }
        diesel::insert_into(providers::table)
            .values((
                providers::id.eq(&row.id),
                providers::first_name.eq(&row.first_name),
                providers::last_name.eq(&row.last_name),
                providers::email.eq(&row.email),
                providers::email_normalized.eq(&row.email_normalized),
                providers::password_hash.eq(&row.password_hash),
                providers::practice_name.eq(&row.practice_name),
                providers::created_at.eq(row.created_at),
                providers::time_zone.eq(&row.time_zone),
            ))
            .execute(conn)
            .map_err(|e| match e {
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                ) => CreateProviderError::EmailTaken,
                other => other.into(),
            })?;
        Ok(row)
    })
}

/// Creates a provider through sign-up: always when `open_signup` is set, otherwise only
/// while the server has none. Decided inside one write transaction in which other
/// sign-ups wait their turn, so that ten first sign-ups at once make one provider.
pub fn create_through_signup(
    conn: &mut DbConnection,
    new: NewProvider,
    open_signup: bool,
) -> Result<Provider, CreateProviderError> {
    crate::db::write_transaction(conn, |conn| {
        crate::db::take_turns(conn, crate::db::Turns::Providers)?;
        if !open_signup && count(conn)? > 0 {
            return Err(CreateProviderError::SignupClosed);
        }
        create(conn, new)
    })
}

pub fn find_by_email(
    conn: &mut DbConnection,
    email_normalized: &str,
) -> QueryResult<Option<Provider>> {
    providers::table
        .filter(providers::email_normalized.eq(email_normalized))
        .select(Provider::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: &ProviderId) -> QueryResult<Option<Provider>> {
    providers::table
        .find(id.as_str())
        .select(Provider::as_select())
        .first(conn)
        .optional()
}

/// Saves what Good Faith Estimates name (each already checked; `None` clears it).
pub fn set_practice_identifiers(
    conn: &mut DbConnection,
    scope: &super::scope::Scope,
    npi: Option<&str>,
    tin: Option<&str>,
    address: Option<&str>,
) -> QueryResult<()> {
    diesel::update(providers::table.find(scope.provider_id().as_str()))
        .set((
            providers::npi.eq(npi),
            providers::tin.eq(tin),
            providers::billing_address.eq(address),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Saves Settings → Questionnaires: what a booking-link sign-up is sent (as
/// `domain::measure_schedule::format_defaults` writes it) and PCL-5's cut-off.
pub fn set_questionnaire_settings(
    conn: &mut DbConnection,
    scope: &super::scope::Scope,
    signup_measures: &str,
    pcl5_probable_from: i32,
) -> QueryResult<()> {
    diesel::update(providers::table.find(scope.provider_id().as_str()))
        .set((
            providers::signup_measures.eq(signup_measures),
            providers::pcl5_probable_from.eq(pcl5_probable_from),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn update_profile(
    conn: &mut DbConnection,
    id: &ProviderId,
    first_name: &PersonName,
    last_name: &PersonName,
    practice_name: Option<&str>,
    zone: Zone,
    clock: crate::domain::time_zone::HourClock,
) -> QueryResult<()> {
    diesel::update(providers::table.find(id.as_str()))
        .set((
            providers::first_name.eq(first_name.as_str()),
            providers::last_name.eq(last_name.as_str()),
            providers::practice_name.eq(practice_name),
            providers::time_zone.eq(zone.name()),
            providers::clock_hours.eq(clock.hours()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn update_password_hash(
    conn: &mut DbConnection,
    id: &ProviderId,
    hash: &str,
) -> QueryResult<()> {
    diesel::update(providers::table.find(id.as_str()))
        .set(providers::password_hash.eq(hash))
        .execute(conn)
        .map(|_| ())
}
