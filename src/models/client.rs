//! Clients of one provider: lists start from the provider's [`Scope`], and everything
//! done to one client takes its [`OwnedClient`] handle.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::scope::{OwnedClient, Scope};
use crate::db::ids::{ClientId, ProviderId};
use crate::db::schema::{client_list_counts, clients};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::billing::BillingType;
use crate::domain::client::{ClientDetails, ClientInput};
use crate::domain::client_edit::DetailValues;
use crate::domain::onboarding::{OnboardingFacts, OnboardingStatus};
use crate::domain::search_key::{prefix_upper_bound, search_key};
use crate::domain::time_zone::Zone;

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clients)]
pub struct Client {
    pub id: String,
    pub provider_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Empty when the client has no email of their own.
    pub email_normalized: String,
    pub phone: Option<String>,
    pub phone_e164: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub billing_type: String,
    pub insurance_company: Option<String>,
    pub insurance_member_id: Option<String>,
    pub telehealth_state: Option<String>,
    pub notify_requested: bool,
    pub invited_at: Option<NaiveDateTime>,
    pub account_verified_at: Option<NaiveDateTime>,
    pub insurance_added_at: Option<NaiveDateTime>,
    pub insurance_verified_at: Option<NaiveDateTime>,
    pub payment_method_added_at: Option<NaiveDateTime>,
    pub forms_acknowledged_at: Option<NaiveDateTime>,
    pub archived_at: Option<NaiveDateTime>,
    /// The insured person's legal name as printed on the insurance card.
    pub insurance_holder_name: Option<String>,
    /// Why the provider could not verify the insurance, and when they said so.
    pub insurance_issue: Option<String>,
    pub insurance_issue_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Raised by every change of the details an edit form shows (by the provider or the
    /// client): a form made from an older version is refused, not saved over the change.
    pub version: i64,
    /// Since when an unresolved risk alert stands (see `risk_alert`).
    pub risk_alert_since: Option<NaiveDateTime>,
    /// Marked a minor by the provider (a date of birth under 18 makes one too: `is_minor`).
    pub minor: bool,
    /// The policyholder's date of birth, when the policyholder is not the client.
    pub insurance_holder_dob: Option<NaiveDate>,
    /// What the client goes by ("Bob" for Robert).
    pub preferred_name: Option<String>,
}

/// The columns the Clients tab shows, and the facts its status badge is derived from.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clients)]
pub struct ClientListRow {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub billing_type: String,
    pub invited_at: Option<NaiveDateTime>,
    pub account_verified_at: Option<NaiveDateTime>,
    pub insurance_added_at: Option<NaiveDateTime>,
    pub insurance_verified_at: Option<NaiveDateTime>,
    pub payment_method_added_at: Option<NaiveDateTime>,
    pub forms_acknowledged_at: Option<NaiveDateTime>,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub risk_alert_since: Option<NaiveDateTime>,
    pub preferred_name: Option<String>,
}

macro_rules! onboarding_facts {
    ($row:expr) => {
        OnboardingFacts {
            billing_type: BillingType::parse(&$row.billing_type),
            invited_at: $row.invited_at,
            account_verified_at: $row.account_verified_at,
            insurance_added_at: $row.insurance_added_at,
            insurance_verified_at: $row.insurance_verified_at,
            payment_method_added_at: $row.payment_method_added_at,
            forms_acknowledged_at: $row.forms_acknowledged_at,
        }
    };
}

impl Client {
    pub fn client_id(&self) -> ClientId {
        ClientId(self.id.clone())
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// Their own email address; `None` when a contact acts for them and they have none.
    pub fn own_email(&self) -> Option<&str> {
        (!self.email.trim().is_empty()).then_some(self.email.as_str())
    }

    /// A minor: marked so, or under 18 on `today` by their date of birth.
    pub fn is_minor(&self, today: NaiveDate) -> bool {
        self.minor
            || self
                .date_of_birth
                .is_some_and(|dob| crate::domain::client::age_on(dob, today) < 18)
    }

    pub fn billing(&self) -> Option<BillingType> {
        BillingType::parse(&self.billing_type)
    }

    pub fn onboarding_facts(&self) -> OnboardingFacts {
        onboarding_facts!(self)
    }

    pub fn status(&self) -> OnboardingStatus {
        OnboardingStatus::derive(&self.onboarding_facts())
    }

    /// The zone the client reads times in: their telehealth location's, else the practice's.
    pub fn zone(&self, practice: Zone) -> Zone {
        self.telehealth_state
            .as_deref()
            .and_then(Zone::of_us_state)
            .unwrap_or(practice)
    }

    /// The details as the edit form shows them, with the version they were read at.
    pub fn edit_input(&self) -> ClientInput {
        let mut input = ClientInput {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            preferred_name: self.preferred_name.clone().unwrap_or_default(),
            email: self.email.clone(),
            phone: self.phone.clone().unwrap_or_default(),
            billing_type: self.billing_type.clone(),
            insurance_company: self.insurance_company.clone().unwrap_or_default(),
            insurance_member_id: self.insurance_member_id.clone().unwrap_or_default(),
            date_of_birth: self
                .date_of_birth
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            telehealth_state: self.telehealth_state.clone().unwrap_or_default(),
            minor: self.minor.then(|| "on".to_string()),
            version: Some(self.version),
            ..Default::default()
        };
        input.shown = DetailValues::of(&input).to_form();
        input
    }

    pub fn detail_values(&self) -> DetailValues {
        DetailValues::of(&self.edit_input())
    }
}

impl ClientListRow {
    pub fn status(&self) -> OnboardingStatus {
        OnboardingStatus::derive(&onboarding_facts!(self))
    }

    pub fn needs_billing_info(&self) -> bool {
        onboarding_facts!(self).needs_billing_info()
    }

    pub fn billing(&self) -> Option<BillingType> {
        BillingType::parse(&self.billing_type)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SaveClientError {
    /// Another client of this provider already has the email.
    #[error("email already on another client")]
    EmailTaken { existing: ClientId },
    #[error("no such client")]
    NotFound,
    /// The details changed since the form was made (another browser, or the client in
    /// the portal): nothing was saved.
    #[error("the details changed since the form was made")]
    Stale { current: Box<Client> },
    /// No email of their own, and no contact acts for them with one: nobody could be
    /// reached or set up their account.
    #[error("no email, and no contact acts for the client")]
    EmailNeeded,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn is_unique_violation(e: &SaveClientError) -> bool {
    matches!(
        e,
        SaveClientError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _
        ))
    )
}

/// Runs a client write in its own savepoint. Another request can take the same email
/// between our check and our write (PostgreSQL runs them side by side); the unique index
/// then refuses the write, the savepoint is rolled back, and the caller hears "email taken"
/// as if the check had caught it.
fn save_client<T>(
    conn: &mut DbConnection,
    scope: &Scope,
    email_normalized: &str,
    f: impl FnOnce(&mut DbConnection) -> Result<T, SaveClientError>,
) -> Result<T, SaveClientError> {
    match crate::db::write_transaction(conn, f) {
        Err(e) if is_unique_violation(&e) && !email_normalized.is_empty() => {
            match find_id_by_email(conn, scope, email_normalized)? {
                Some(existing) => Err(SaveClientError::EmailTaken { existing }),
                None => Err(e),
            }
        }
        other => other,
    }
}

/// What to do when the client is created, beyond storing their details.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub notify: bool,
    /// A contact (a child's parent or guardian) added with the client.
    pub contact: Option<crate::domain::contact::ContactDetails>,
    /// Questionnaires to start sending at once (instrument code, how often): the service
    /// that creates the client starts them.
    pub measures: Vec<(String, crate::domain::measure_schedule::Frequency)>,
}

/// The row of a client whose handle proves whose it is.
fn this(
    client: &OwnedClient,
) -> diesel::dsl::Filter<clients::table, diesel::dsl::Eq<clients::id, String>> {
    clients::table.filter(clients::id.eq(client.id.clone()))
}

/// The client as they are now (after a change made through the handle).
pub fn reload(conn: &mut DbConnection, client: &OwnedClient) -> QueryResult<OwnedClient> {
    let row = this(client).select(Client::as_select()).first(conn)?;
    Ok(client.sibling(row))
}

/// These clients of this provider (ids of another provider's are not found).
pub fn find_many(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: &[ClientId],
) -> QueryResult<Vec<OwnedClient>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let rows = scope
            .clients()
            .filter(clients::id.eq_any(chunk.iter().map(ClientId::as_str)))
            .select(Client::as_select())
            .load(conn)?;
        out.extend(rows.into_iter().map(|c| scope.owns(c)));
    }
    Ok(out)
}

/// Another client (of this provider) with the email these details give, if they give one.
fn find_client_with_email(
    conn: &mut DbConnection,
    scope: &Scope,
    details: &ClientDetails,
) -> QueryResult<Option<ClientId>> {
    match details.email_normalized() {
        "" => Ok(None),
        email => find_id_by_email(conn, scope, email),
    }
}

pub fn find_id_by_email(
    conn: &mut DbConnection,
    scope: &Scope,
    email_normalized: &str,
) -> QueryResult<Option<ClientId>> {
    scope
        .clients()
        .filter(clients::email_normalized.eq(email_normalized))
        .select(clients::id)
        .first::<String>(conn)
        .optional()
        .map(|o| o.map(ClientId))
}

pub fn create(
    conn: &mut DbConnection,
    scope: &Scope,
    details: &ClientDetails,
    options: &CreateOptions,
    now: NaiveDateTime,
) -> Result<OwnedClient, SaveClientError> {
    let row = NewClientRow::new(
        scope.provider_id(),
        details,
        options.notify,
        &OnboardingFacts::default(),
        now,
    );
    let id = ClientId(row.id.clone());
    save_client(conn, scope, details.email_normalized(), |conn| {
        if let Some(existing) = find_client_with_email(conn, scope, details)? {
            return Err(SaveClientError::EmailTaken { existing });
        }
        diesel::insert_into(clients::table)
            .values(&row)
            .execute(conn)?;
        scope.client(conn, &id)?.ok_or(SaveClientError::NotFound)
    })
}

/// The columns that come from a client's details; shared by create and update. Owned, so
/// that a batch of new rows has a statement Diesel can prepare once (`insert_rows`).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true, treat_none_as_default_value = false)]
struct DetailColumns {
    first_name: String,
    last_name: String,
    preferred_name: Option<String>,
    email: String,
    email_normalized: String,
    phone: Option<String>,
    phone_e164: Option<String>,
    phone_digits: Option<String>,
    date_of_birth: Option<NaiveDate>,
    billing_type: &'static str,
    insurance_company: Option<String>,
    insurance_member_id: Option<String>,
    telehealth_state: Option<String>,
    minor: bool,
    search_name: String,
    sort_name: String,
}

impl DetailColumns {
    fn of(d: &ClientDetails) -> Self {
        let phone = d.phone.as_ref();
        Self {
            first_name: d.first_name.as_str().to_string(),
            last_name: d.last_name.as_str().to_string(),
            preferred_name: d.preferred_name.clone(),
            email: d.email.as_ref().map_or("", |e| e.as_typed()).to_string(),
            email_normalized: d.email_normalized().to_string(),
            phone: phone.map(|p| p.typed.clone()),
            phone_e164: phone.and_then(|p| p.e164.clone()),
            phone_digits: phone.map(|p| p.digits.clone()),
            date_of_birth: d.date_of_birth,
            billing_type: d.billing_type.map_or("", BillingType::as_str),
            insurance_company: d.insurance_company.clone(),
            insurance_member_id: d.insurance_member_id.clone(),
            telehealth_state: d.telehealth_state.clone(),
            minor: d.minor,
            search_name: search_key(&format!(
                "{} {}",
                d.first_name.as_str(),
                d.last_name.as_str()
            )),
            sort_name: search_key(&format!(
                "{} {}",
                d.last_name.as_str(),
                d.first_name.as_str()
            )),
        }
    }
}

/// A whole new client row.
#[derive(Insertable)]
#[diesel(table_name = clients, treat_none_as_default_value = false)]
struct NewClientRow {
    id: String,
    provider_id: String,
    #[diesel(embed)]
    details: DetailColumns,
    notify_requested: bool,
    invited_at: Option<NaiveDateTime>,
    account_verified_at: Option<NaiveDateTime>,
    insurance_added_at: Option<NaiveDateTime>,
    insurance_verified_at: Option<NaiveDateTime>,
    payment_method_added_at: Option<NaiveDateTime>,
    forms_acknowledged_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl NewClientRow {
    fn new(
        provider: &ProviderId,
        d: &ClientDetails,
        notify: bool,
        facts: &OnboardingFacts,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            id: ClientId::generate().0,
            provider_id: provider.as_str().to_string(),
            details: DetailColumns::of(d),
            notify_requested: notify,
            invited_at: facts.invited_at,
            account_verified_at: facts.account_verified_at,
            insurance_added_at: facts
                .insurance_added_at
                .or_else(|| insurance_added_at(d, None, now)),
            insurance_verified_at: facts.insurance_verified_at,
            payment_method_added_at: facts.payment_method_added_at,
            forms_acknowledged_at: facts.forms_acknowledged_at,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Insurance counts as added once a company and member ID are on file; changing either
/// makes it new (and so unverified) again.
fn insurance_added_at(
    d: &ClientDetails,
    before: Option<&Client>,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    if d.insurance_company.is_none() || d.insurance_member_id.is_none() {
        return None;
    }
    match before {
        Some(c)
            if c.insurance_company == d.insurance_company
                && c.insurance_member_id == d.insurance_member_id =>
        {
            c.insurance_added_at.or(Some(now))
        }
        _ => Some(now),
    }
}

/// Claims the next version of a client's details for a change made from `expected`:
/// refused, with the client as they are now, when the details changed since. The check
/// and the claim are one statement, so of two saves from one version only one wins.
fn claim_next_version(
    conn: &mut DbConnection,
    client: &OwnedClient,
    expected: i64,
) -> Result<Client, SaveClientError> {
    let claimed = diesel::update(this(client).filter(clients::version.eq(expected)))
        .set(clients::version.eq(clients::version + 1))
        .execute(conn)?;
    let before = reload(conn, client)?.into_row();
    if claimed == 0 {
        return Err(SaveClientError::Stale {
            current: Box::new(before),
        });
    }
    Ok(before)
}

/// Saves new details over a client's, made from the details at `expected_version`;
/// returns the client as they were before (their version already the new one).
pub fn update(
    conn: &mut DbConnection,
    client: &OwnedClient,
    details: &ClientDetails,
    expected_version: i64,
    now: NaiveDateTime,
) -> Result<Client, SaveClientError> {
    let scope = client.scope();
    save_client(conn, scope, details.email_normalized(), |conn| {
        let before = claim_next_version(conn, client, expected_version)?;
        if let Some(existing) = find_client_with_email(conn, scope, details)? {
            if existing.as_str() != before.id {
                return Err(SaveClientError::EmailTaken { existing });
            }
        }
        let added = insurance_added_at(details, Some(&before), now);
        let verified = if added == before.insurance_added_at {
            before.insurance_verified_at
        } else {
            None
        };
        diesel::update(this(client))
            .set((
                DetailColumns::of(details),
                clients::insurance_added_at.eq(added),
                clients::insurance_verified_at.eq(verified),
                // A problem reported about insurance that has since changed no longer applies.
                clients::insurance_issue.eq(if added == before.insurance_added_at {
                    before.insurance_issue.clone()
                } else {
                    None
                }),
                clients::insurance_issue_at.eq(if added == before.insurance_added_at {
                    before.insurance_issue_at
                } else {
                    None
                }),
                clients::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(before)
    })
}

pub fn set_archived(
    conn: &mut DbConnection,
    client: &OwnedClient,
    archived: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(this(client))
        .set((
            clients::archived_at.eq(if archived { Some(now) } else { None }),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Archives clients just imported whose file marked them inactive or discharged.
pub fn archive_imported(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: &[ClientId],
    now: NaiveDateTime,
) -> QueryResult<()> {
    for chunk in ids.chunks(5000) {
        let chunk: Vec<&str> = chunk.iter().map(|c| c.as_str()).collect();
        diesel::update(scope.clients().filter(clients::id.eq_any(chunk)))
            .set(clients::archived_at.eq(Some(now)))
            .execute(conn)?;
    }
    Ok(())
}

/// Which clients the Clients tab lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientFilter {
    /// Everyone not archived.
    #[default]
    Active,
    /// Active clients at one onboarding step.
    Status(OnboardingStatus),
    Archived,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientSort {
    #[default]
    Name,
    NewestFirst,
}

#[derive(Debug, Clone, Default)]
pub struct ClientQuery {
    pub search: Option<String>,
    pub filter: ClientFilter,
    pub sort: ClientSort,
    /// 1-based.
    pub page: i64,
}

pub struct ClientPage {
    pub rows: Vec<ClientListRow>,
    pub total: i64,
    /// The page shown: the one asked for, or the last one when that is past the end.
    pub page: i64,
    pub pages: i64,
}

type Predicate = Box<dyn BoxableExpression<clients::table, MultiBackend, SqlType = Bool>>;

/// The `list_state` of archived clients; the others hold an onboarding status's slug.
const ARCHIVED: &str = "archived";

/// A prefix range on one indexed column: `col >= key AND col < key || U+10FFFF`.
macro_rules! prefix_range {
    ($col:expr, $key:expr) => {
        Box::new(
            $col.ge($key.clone())
                .and($col.lt(prefix_upper_bound(&$key))),
        ) as Predicate
    };
}

/// Search by the start of the name (either order) or email, each a prefix range on an
/// indexed column so it stays fast on a long list, or by digits anywhere in the phone.
fn search_branches(text: &str, dialect: Dialect) -> Vec<Predicate> {
    let key = search_key(text);
    if key.is_empty() {
        return Vec::new();
    }
    let mut branches = vec![
        prefix_range!(clients::search_name, key),
        prefix_range!(clients::sort_name, key),
    ];
    // "Lovelace, Ada" reads as "lovelace ada".
    let comma_free = search_key(&text.replace(',', " "));
    if comma_free != key {
        branches.push(prefix_range!(clients::sort_name, comma_free));
    }
    let email = text.trim().to_lowercase();
    branches.push(prefix_range!(clients::email_normalized, email));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let looks_like_phone = digits.len() >= 3
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if looks_like_phone {
        // "+1 (212) 555-01" searches the national number "21255501".
        let digits = match text.trim().strip_prefix("+1") {
            Some(_) => digits[1..].to_string(),
            None => crate::domain::phone::search_digits(&digits),
        };
        if digits.len() >= 4 {
            // Any four or more digits in a row find the number ("555-0143" finds
            // (212) 555-0143), through a trigram index (the list_indexes migration): on
            // SQLite the FTS5 table `client_phone_search`, on PostgreSQL pg_trgm's index on
            // the column itself, which the planner can OR with the name indexes.
            let pattern = format!("%{digits}%");
            branches.push(match dialect {
                Dialect::Sqlite => Box::new(
                    diesel::dsl::sql::<Bool>(
                        "clients.id IN (SELECT client_id FROM client_phone_search \
                         WHERE phone_digits LIKE ",
                    )
                    .bind::<diesel::sql_types::Text, _>(pattern)
                    .sql(")"),
                ),
                Dialect::Postgres => {
                    Box::new(clients::phone_digits.assume_not_null().like(pattern))
                }
            });
        } else {
            branches.push(prefix_range!(
                clients::phone_digits.assume_not_null(),
                digits
            ));
        }
    }
    branches
}

fn search_predicate(text: &str, dialect: Dialect) -> Option<Predicate> {
    search_branches(text, dialect)
        .into_iter()
        .reduce(|a, b| Box::new(a.or(b)))
}

/// Which database a query is written for, where the two answer best to different SQL.
#[derive(Debug, Clone, Copy)]
enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn of(conn: &DbConnection) -> Self {
        match conn {
            DbConnection::Sqlite(_) => Dialect::Sqlite,
            DbConnection::Postgres(_) => Dialect::Postgres,
        }
    }
}

fn filtered<'a>(
    scope: &Scope,
    q: &ClientQuery,
    dialect: Dialect,
) -> clients::BoxedQuery<'a, MultiBackend> {
    let mut query = scope.clients().into_boxed();
    // `list_state` is derived by the database from the onboarding facts (see the
    // migration) and indexed with the name order, so a filter is one index range.
    query = match q.filter {
        ClientFilter::Archived => query.filter(clients::list_state.eq(ARCHIVED)),
        ClientFilter::Active => query.filter(clients::list_state.ne(ARCHIVED)),
        ClientFilter::Status(s) => query.filter(clients::list_state.eq(s.slug())),
    };
    if let Some(p) = q
        .search
        .as_deref()
        .and_then(|text| search_predicate(text, dialect))
    {
        query = query.filter(p);
    }
    query
}

fn pages_for(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

fn ordered<'a>(
    scope: &Scope,
    q: &ClientQuery,
    dialect: Dialect,
) -> clients::BoxedQuery<'a, MultiBackend> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Text, Timestamp};
    let query = filtered(scope, q, dialect);
    match (q.sort, q.search.is_some()) {
        (ClientSort::Name, false) => query.order((clients::sort_name.asc(), clients::id.asc())),
        (ClientSort::NewestFirst, false) => {
            query.order((clients::created_at.desc(), clients::id.desc()))
        }
        // With a search, the same order written so that no index matches it: sorting the
        // few matches beats walking the whole list in index order and filtering, which
        // PostgreSQL otherwise picks (200 ms instead of 7 ms on 100,000 clients).
        (ClientSort::Name, true) => query.order((
            sql::<Text>("COALESCE(sort_name, sort_name)").asc(),
            clients::id.asc(),
        )),
        (ClientSort::NewestFirst, true) => query.order((
            sql::<Timestamp>("COALESCE(created_at, created_at)").desc(),
            clients::id.desc(),
        )),
    }
}

pub fn list(conn: &mut DbConnection, scope: &Scope, q: &ClientQuery) -> QueryResult<ClientPage> {
    if q.search.is_none() {
        let total = count_without_search(conn, scope, q.filter)?;
        let pages = pages_for(total);
        let page = q.page.clamp(1, pages);
        let rows = ordered(scope, q, Dialect::of(conn))
            .select(ClientListRow::as_select())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
            .load(conn)?;
        return Ok(ClientPage {
            rows,
            total,
            page,
            pages,
        });
    }
    let total = count_search(conn, scope, q)?;
    let pages = pages_for(total);
    let page = q.page.clamp(1, pages);
    let rows = ordered(scope, q, Dialect::of(conn))
        .select(ClientListRow::as_select())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .load(conn)?;
    Ok(ClientPage {
        rows,
        total,
        page,
        pages,
    })
}

/// How many clients a search matches. For the usual case (active clients) each branch is
/// read from its index alone and the ids are united here, then the few archived matches
/// are taken away: reading thousands of whole rows just to count them is the slow part.
fn count_search(conn: &mut DbConnection, scope: &Scope, q: &ClientQuery) -> QueryResult<i64> {
    let text = q.search.as_deref().unwrap_or_default();
    if q.filter != ClientFilter::Active {
        return filtered(scope, q, Dialect::of(conn))
            .select(count_star())
            .first(conn);
    }
    let mut ids = std::collections::HashSet::new();
    for branch in search_branches(text, Dialect::of(conn)) {
        let found: Vec<String> = scope
            .clients()
            .filter(branch)
            .select(clients::id)
            .into_boxed::<MultiBackend>()
            .load(conn)?;
        ids.extend(found);
    }
    let archived = ClientQuery {
        filter: ClientFilter::Archived,
        ..q.clone()
    };
    let archived_ids: Vec<String> = filtered(scope, &archived, Dialect::of(conn))
        .select(clients::id)
        .load(conn)?;
    for id in archived_ids {
        ids.remove(&id);
    }
    Ok(ids.len() as i64)
}

/// Counts from `client_list_counts`, which triggers keep in step with `clients`.
fn count_without_search(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: ClientFilter,
) -> QueryResult<i64> {
    let counts = scope.client_list_counts();
    let n: Option<i64> = match filter {
        ClientFilter::Active => counts
            .filter(client_list_counts::list_state.ne(ARCHIVED))
            .select(client_list_counts::clients)
            .load::<i64>(conn)
            .map(|v| Some(v.iter().sum()))?,
        ClientFilter::Archived => counts
            .filter(client_list_counts::list_state.eq(ARCHIVED))
            .select(client_list_counts::clients)
            .first(conn)
            .optional()?,
        ClientFilter::Status(s) => counts
            .filter(client_list_counts::list_state.eq(s.slug()))
            .select(client_list_counts::clients)
            .first(conn)
            .optional()?,
    };
    Ok(n.unwrap_or(0))
}

/// Inserts many validated clients in one transaction (demo data, imports): all or none,
/// and returns their ids. An email already on the list fails the whole batch through the
/// unique index.
pub fn insert_many(
    conn: &mut DbConnection,
    scope: &Scope,
    clients_to_add: &[(ClientDetails, OnboardingFacts)],
    now: NaiveDateTime,
) -> QueryResult<Vec<ClientId>> {
    let prepared = PreparedClients::new(scope, clients_to_add, now);
    let ids = conn.transaction(|conn| insert_prepared(conn, &prepared))?;
    crate::db::refresh_statistics(conn)?;
    Ok(ids)
}

/// Clients inserted at once in one statement: under SQLite's limit of bound parameters.
pub const INSERT_CHUNK: usize = 1000;

/// New clients made into rows, on whatever thread, for [`insert_prepared`].
pub struct PreparedClients(Vec<NewClientRow>);

impl PreparedClients {
    pub fn new(
        scope: &Scope,
        clients_to_add: &[(ClientDetails, OnboardingFacts)],
        now: NaiveDateTime,
    ) -> Self {
        PreparedClients(
            clients_to_add
                .iter()
                .map(|(d, facts)| NewClientRow::new(scope.provider_id(), d, false, facts, now))
                .collect(),
        )
    }
}

/// Inserts new clients as [`insert_many`] does, inside the caller's transaction and
/// without refreshing the planner's statistics (the caller does that once at the end);
/// returns their ids in order. A full chunk's statement is prepared once per connection
/// (`db::insert_in_chunks`; the 100,000 rows of the import benchmark went from 2.79 s to
/// 2.47 s on SQLite with it).
pub fn insert_prepared(
    conn: &mut DbConnection,
    clients_to_add: &PreparedClients,
) -> QueryResult<Vec<ClientId>> {
    let rows = &clients_to_add.0;
    let ids: Vec<ClientId> = rows.iter().map(|r| ClientId(r.id.clone())).collect();
    let inserted = crate::db::insert_in_chunks!(conn, clients::table, rows, INSERT_CHUNK);
    debug_assert_eq!(inserted, ids.len());
    Ok(ids)
}

// ---------- onboarding facts ----------

pub fn mark_invited(
    conn: &mut DbConnection,
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(this(client))
        .set((
            clients::invited_at.eq(Some(now)),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Whoever sets up the client's account (they, or a parent or guardian) followed an
/// invitation and has a password: the account is verified.
pub fn mark_account_verified(
    conn: &mut DbConnection,
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let before = reload(conn, client)?;
    diesel::update(this(client))
        .set((
            clients::account_verified_at.eq(before.account_verified_at.or(Some(now))),
            clients::invited_at.eq(before.invited_at.or(Some(now))),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Insurance as entered by the client or the provider. It starts unverified.
pub struct InsuranceDetails {
    pub company: String,
    pub member_id: String,
    pub holder_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// The policyholder's date of birth, when the policyholder is not the client.
    pub holder_date_of_birth: Option<NaiveDate>,
}

/// Saves insurance made from the details at `expected_version` (see [`update`]).
pub fn set_insurance(
    conn: &mut DbConnection,
    client: &OwnedClient,
    ins: &InsuranceDetails,
    expected_version: i64,
    now: NaiveDateTime,
) -> Result<(), SaveClientError> {
    let before = claim_next_version(conn, client, expected_version)?;
    // Saving the same card again keeps its verification; anything new must be verified.
    let unchanged = before.insurance_added_at.is_some()
        && before.insurance_issue.is_none()
        && before.insurance_company.as_deref() == Some(ins.company.as_str())
        && before.insurance_member_id.as_deref() == Some(ins.member_id.as_str());
    let (added, verified) = if unchanged {
        (before.insurance_added_at, before.insurance_verified_at)
    } else {
        (Some(now), None)
    };
    diesel::update(this(client))
        .set((
            clients::billing_type.eq(BillingType::Insurance.as_str()),
            clients::insurance_company.eq(Some(&ins.company)),
            clients::insurance_member_id.eq(Some(&ins.member_id)),
            clients::insurance_holder_name.eq(ins.holder_name.as_deref()),
            clients::insurance_holder_dob.eq(ins.holder_date_of_birth),
            clients::date_of_birth.eq(ins.date_of_birth.or(before.date_of_birth)),
            clients::insurance_added_at.eq(added),
            clients::insurance_verified_at.eq(verified),
            clients::insurance_issue.eq(None::<String>),
            clients::insurance_issue_at.eq(None::<NaiveDateTime>),
            clients::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Private pay chosen in a form made from the details at `expected_version`.
pub fn set_private_pay(
    conn: &mut DbConnection,
    client: &OwnedClient,
    expected_version: i64,
    now: NaiveDateTime,
) -> Result<(), SaveClientError> {
    claim_next_version(conn, client, expected_version)?;
    diesel::update(this(client))
        .set((
            clients::billing_type.eq(BillingType::PrivatePay.as_str()),
            clients::insurance_company.eq(None::<String>),
            clients::insurance_member_id.eq(None::<String>),
            clients::insurance_holder_name.eq(None::<String>),
            clients::insurance_added_at.eq(None::<NaiveDateTime>),
            clients::insurance_verified_at.eq(None::<NaiveDateTime>),
            clients::insurance_issue.eq(None::<String>),
            clients::insurance_issue_at.eq(None::<NaiveDateTime>),
            clients::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The provider checked the insurance: verified, or not with a reason the client is told.
pub fn review_insurance(
    conn: &mut DbConnection,
    client: &OwnedClient,
    problem: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(this(client).filter(clients::insurance_added_at.is_not_null()))
        .set((
            clients::insurance_verified_at.eq(if problem.is_none() { Some(now) } else { None }),
            clients::insurance_issue.eq(problem),
            clients::insurance_issue_at.eq(problem.map(|_| now)),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn mark_forms_acknowledged(
    conn: &mut DbConnection,
    client: &OwnedClient,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(this(client))
        .set((
            clients::forms_acknowledged_at.eq(Some(now)),
            clients::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

type MatchingColumns = (
    String,
    String,
    String,
    String,
    Option<NaiveDate>,
    Option<String>,
);

fn matching_columns() -> (
    clients::id,
    clients::first_name,
    clients::last_name,
    clients::email_normalized,
    clients::date_of_birth,
    clients::phone_digits,
) {
    (
        clients::id,
        clients::first_name,
        clients::last_name,
        clients::email_normalized,
        clients::date_of_birth,
        clients::phone_digits,
    )
}

fn to_existing(rows: Vec<MatchingColumns>) -> Vec<crate::import::matching::ExistingClient> {
    rows.into_iter()
        .map(
            |(id, first_name, last_name, email_normalized, date_of_birth, phone_digits)| {
                crate::import::matching::ExistingClient {
                    id,
                    first_name,
                    last_name,
                    email_normalized,
                    date_of_birth,
                    phone_digits,
                }
            },
        )
        .collect()
}

/// Every client of the provider (archived too: their emails are taken), as import
/// matching needs them.
pub fn for_matching(
    conn: &mut DbConnection,
    scope: &Scope,
) -> QueryResult<Vec<crate::import::matching::ExistingClient>> {
    let rows = scope.clients().select(matching_columns()).load(conn)?;
    Ok(to_existing(rows))
}

/// "First Last <email>" for the provider's clients in name order (archived ones left out),
/// for matching an imported card by hand; the email in it says which client.
pub fn match_labels(
    conn: &mut DbConnection,
    scope: &Scope,
    limit: i64,
) -> QueryResult<Vec<String>> {
    let rows: Vec<(String, String, String)> = scope
        .clients()
        .filter(clients::archived_at.is_null())
        .order((clients::sort_name, clients::id))
        .limit(limit)
        .select((clients::first_name, clients::last_name, clients::email))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(f, l, e)| picker_label(&f, &l, &e))
        .collect())
}

/// How a client without an email of their own (a child whose parent is the contact) is
/// named in a picker, after their name.
const NO_EMAIL: &str = " (no email)";

/// A client as a picker lists them: "First Last <email>", or "First Last (no email)".
pub fn picker_label(first: &str, last: &str, email: &str) -> String {
    if email.trim().is_empty() {
        format!("{first} {last}{NO_EMAIL}")
    } else {
        format!("{first} {last} <{email}>")
    }
}

/// The email inside a "First Last <email>" label.
pub fn email_in_label(label: &str) -> Option<&str> {
    let start = label.rfind('<')?;
    let end = label.rfind('>')?;
    (end > start + 1).then(|| label[start + 1..end].trim())
}

/// Whether a text is a label the picker offers (with an email, or marked as without one).
pub fn is_picker_label(label: &str) -> bool {
    email_in_label(label).is_some() || label.trim().ends_with(NO_EMAIL)
}

/// The active client a picker's label names: by the email in it, or, for a client
/// without email, by their name when exactly one such client has it.
pub fn find_by_label(
    conn: &mut DbConnection,
    scope: &Scope,
    label: &str,
) -> QueryResult<Option<ClientId>> {
    if let Some(email) = email_in_label(label) {
        return find_id_by_email(conn, scope, &crate::domain::email::normalize(email));
    }
    let Some(name) = label.trim().strip_suffix(NO_EMAIL) else {
        return Ok(None);
    };
    let ids: Vec<String> = scope
        .clients()
        .filter(clients::archived_at.is_null())
        .filter(clients::email.eq(""))
        .filter(clients::search_name.eq(search_key(name)))
        .select(clients::id)
        .limit(2)
        .load(conn)?;
    Ok(match ids.as_slice() {
        [one] => Some(ClientId(one.clone())),
        _ => None,
    })
}

/// The provider's clients one person could be: the same email, or the same name (the
/// first name in any of its forms: Bob finds Robert).
pub fn for_matching_one(
    conn: &mut DbConnection,
    scope: &Scope,
    email_normalized: &str,
    first_name: &str,
    last_name: &str,
) -> QueryResult<Vec<crate::import::matching::ExistingClient>> {
    let last = search_key(last_name);
    let names: Vec<String> = crate::import::nicknames::all_forms(&search_key(first_name))
        .into_iter()
        .map(|first| search_key(&format!("{first} {last}")))
        .collect();
    let rows = scope
        .clients()
        .filter(
            clients::email_normalized
                .eq(email_normalized)
                .or(clients::search_name.eq_any(names)),
        )
        .select(matching_columns())
        .load(conn)?;
    Ok(to_existing(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing::{at, conn, details, provider};

    fn plain(first: &str, last: &str, email: &str) -> ClientDetails {
        details(first, last, email, |_| {})
    }

    #[test]
    fn a_client_is_found_only_through_their_own_providers_scope() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let (_, b) = provider(&mut c, "b@example.com");
        let ada = create(
            &mut c,
            &a,
            &plain("Ada", "Lovelace", "ada@example.com"),
            &CreateOptions::default(),
            at("2026-12-02 10:00"),
        )
        .unwrap();
        assert_eq!(ada.provider_id(), a.provider_id());
        assert!(a.client(&mut c, &ada.client_id()).unwrap().is_some());
        assert!(b.client(&mut c, &ada.client_id()).unwrap().is_none());
        assert!(find_many(&mut c, &b, &[ada.client_id()])
            .unwrap()
            .is_empty());
        assert_eq!(
            list(
                &mut c,
                &b,
                &ClientQuery {
                    page: 1,
                    ..Default::default()
                }
            )
            .unwrap()
            .total,
            0
        );
        assert!(for_matching(&mut c, &b).unwrap().is_empty());
        // The same email is free under another provider.
        create(
            &mut c,
            &b,
            &plain("Ada", "L", "ADA@example.com"),
            &CreateOptions::default(),
            at("2026-12-02 10:00"),
        )
        .unwrap();
    }

    #[test]
    fn one_email_per_provider_whatever_its_case() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let first = create(
            &mut c,
            &a,
            &plain("Ada", "Lovelace", "ada@example.com"),
            &CreateOptions::default(),
            at("2026-12-02 10:00"),
        )
        .unwrap();
        match create(
            &mut c,
            &a,
            &plain("Ada", "King", "Ada@Example.com"),
            &CreateOptions::default(),
            at("2026-12-02 10:00"),
        ) {
            Err(SaveClientError::EmailTaken { existing }) => {
                assert_eq!(existing, first.client_id())
            }
            other => panic!("expected EmailTaken, got {other:?}"),
        }
    }

    #[test]
    fn an_edit_from_an_older_version_is_refused_and_changes_nothing() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let ada = create(
            &mut c,
            &a,
            &plain("Ada", "Lovelace", "ada@example.com"),
            &CreateOptions::default(),
            at("2026-12-02 10:00"),
        )
        .unwrap();
        let v = ada.version;
        update(
            &mut c,
            &ada,
            &plain("Ada", "King", "ada@example.com"),
            v,
            at("2026-12-02 10:05"),
        )
        .unwrap();
        match update(
            &mut c,
            &ada,
            &plain("Augusta", "Lovelace", "ada@example.com"),
            v,
            at("2026-12-02 10:06"),
        ) {
            Err(SaveClientError::Stale { current }) => assert_eq!(current.last_name, "King"),
            other => panic!("expected Stale, got {other:?}"),
        }
        let now = reload(&mut c, &ada).unwrap();
        assert_eq!(
            (now.first_name.as_str(), now.last_name.as_str()),
            ("Ada", "King")
        );
        assert_eq!(now.version, v + 1);
        assert_eq!(now.updated_at, at("2026-12-02 10:05"));
    }

    #[test]
    fn changing_the_insurance_makes_it_unverified_again_and_keeping_it_does_not() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let insured = |company: &str| {
            details("Ada", "Lovelace", "ada@example.com", |i| {
                i.billing_type = "insurance".into();
                i.insurance_company = company.into();
                i.insurance_member_id = "M123".into();
            })
        };
        let ada = create(
            &mut c,
            &a,
            &insured("Aetna"),
            &CreateOptions::default(),
            at("2026-12-02 10:00"),
        )
        .unwrap();
        assert_eq!(ada.insurance_added_at, Some(at("2026-12-02 10:00")));
        assert!(review_insurance(&mut c, &ada, None, at("2026-12-02 11:00")).unwrap());
        let v = reload(&mut c, &ada).unwrap().version;
        update(&mut c, &ada, &insured("Aetna"), v, at("2026-12-02 12:00")).unwrap();
        let kept = reload(&mut c, &ada).unwrap();
        assert_eq!(kept.insurance_verified_at, Some(at("2026-12-02 11:00")));
        update(
            &mut c,
            &ada,
            &insured("Cigna"),
            kept.version,
            at("2026-12-02 13:00"),
        )
        .unwrap();
        let changed = reload(&mut c, &ada).unwrap();
        assert_eq!(changed.insurance_added_at, Some(at("2026-12-02 13:00")));
        assert_eq!(changed.insurance_verified_at, None);
    }

    #[test]
    fn the_list_filters_searches_and_counts_agree() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let now = at("2026-12-02 10:00");
        for (f, l, e) in [
            ("Ada", "Lovelace", "ada@x.org"),
            ("Grace", "Hopper", "grace@x.org"),
            ("Alan", "Turing", "alan@x.org"),
        ] {
            create(&mut c, &a, &plain(f, l, e), &CreateOptions::default(), now).unwrap();
        }
        let grace = find_id_by_email(&mut c, &a, "grace@x.org")
            .unwrap()
            .unwrap();
        let grace = a.client(&mut c, &grace).unwrap().unwrap();
        set_archived(&mut c, &grace, true, now).unwrap();
        let q = |search: Option<&str>, filter| ClientQuery {
            search: search.map(str::to_string),
            filter,
            sort: ClientSort::Name,
            page: 1,
        };
        let names = |p: ClientPage| p.rows.into_iter().map(|r| r.last_name).collect::<Vec<_>>();
        let active = list(&mut c, &a, &q(None, ClientFilter::Active)).unwrap();
        assert_eq!(
            (active.total, names(active)),
            (2, vec!["Lovelace".to_string(), "Turing".to_string()])
        );
        let archived = list(&mut c, &a, &q(None, ClientFilter::Archived)).unwrap();
        assert_eq!(
            (archived.total, names(archived)),
            (1, vec!["Hopper".to_string()])
        );
        // Search by the start of either name, by email, and "Last, First"; archived left out.
        for (text, expected) in [
            ("ada", "Lovelace"),
            ("turi", "Turing"),
            ("alan@", "Turing"),
            ("Lovelace, Ada", "Lovelace"),
        ] {
            let found = list(&mut c, &a, &q(Some(text), ClientFilter::Active)).unwrap();
            assert_eq!(
                (found.total, names(found)),
                (1, vec![expected.to_string()]),
                "{text}"
            );
        }
        assert_eq!(
            list(&mut c, &a, &q(Some("hopper"), ClientFilter::Active))
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            list(&mut c, &a, &q(Some("hopper"), ClientFilter::Archived))
                .unwrap()
                .total,
            1
        );
    }

    #[test]
    fn match_labels_name_the_active_clients_with_the_email_that_says_which() {
        let mut c = conn();
        let (_, a) = provider(&mut c, "a@example.com");
        let ada = create(
            &mut c,
            &a,
            &plain("Ada", "Lovelace", "ada@x.org"),
            &CreateOptions::default(),
            at("2026-12-02 10:00"),
        )
        .unwrap();
        create(
            &mut c,
            &a,
            &plain("Alan", "Turing", "alan@x.org"),
            &CreateOptions::default(),
            at("2026-12-02 10:00"),
        )
        .unwrap();
        set_archived(&mut c, &ada, true, at("2026-12-02 10:00")).unwrap();
        let labels = match_labels(&mut c, &a, 10).unwrap();
        assert_eq!(labels, ["Alan Turing <alan@x.org>"]);
        assert_eq!(email_in_label(&labels[0]), Some("alan@x.org"));
        assert_eq!(email_in_label("no email here"), None);
    }
}
