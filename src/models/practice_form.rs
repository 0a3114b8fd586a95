//! The practice's billing policy and privacy notice: versioned texts that clients read in
//! full and acknowledge. Each edit is a new version; acknowledgments name the version.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::scope::{OwnedClient, Scope};
use crate::db::ids::new_row_id;
use crate::db::schema::{form_acknowledgments, practice_forms};
use crate::db::DbConnection;

/// Stored (and in Settings' URLs) as `billing_policy`, `privacy_notice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum FormKind {
    BillingPolicy,
    PrivacyNotice,
}

impl FormKind {
    pub const ALL: [FormKind; 2] = [FormKind::BillingPolicy, FormKind::PrivacyNotice];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::BillingPolicy => "Billing policy",
            Self::PrivacyNotice => "Notice of privacy practices",
        }
    }

    /// The text Caseload ships, used until the provider writes their own.
    pub fn default_body(self) -> &'static str {
        match self {
            Self::BillingPolicy => include_str!("../../templates/forms/default_billing_policy.txt"),
            Self::PrivacyNotice => include_str!("../../templates/forms/default_privacy_notice.txt"),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = practice_forms)]
pub struct PracticeForm {
    pub id: String,
    pub kind: String,
    pub version: i32,
    pub body: String,
    pub created_at: NaiveDateTime,
}

impl PracticeForm {
    pub fn kind(&self) -> Option<FormKind> {
        FormKind::parse(&self.kind)
    }
}

/// The newest version of each form, creating version 1 from the shipped text if the
/// provider has none yet.
pub fn current(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<PracticeForm>> {
    // One transaction: two first readers cannot both create version 1.
    crate::db::write_transaction(conn, |conn| newest(conn, scope))
}

fn newest(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Vec<PracticeForm>> {
    let mut out = Vec::new();
    for kind in FormKind::ALL {
        let newest = scope
            .practice_forms()
            .filter(practice_forms::kind.eq(kind.as_str()))
            .order(practice_forms::version.desc())
            .select(PracticeForm::as_select())
            .first(conn)
            .optional()?;
        match newest {
            Some(f) => out.push(f),
            None => out.push(insert_version(conn, scope, kind, 1, kind.default_body())?),
        }
    }
    Ok(out)
}

fn insert_version(
    conn: &mut DbConnection,
    scope: &Scope,
    kind: FormKind,
    version: i32,
    body: &str,
) -> QueryResult<PracticeForm> {
    let form = PracticeForm {
        id: new_row_id(),
        kind: kind.as_str().to_string(),
        version,
        body: body.to_string(),
        created_at: super::now(),
    };
    diesel::insert_into(practice_forms::table)
        .values((
            practice_forms::id.eq(&form.id),
            practice_forms::provider_id.eq(scope.provider_id().as_str()),
            practice_forms::kind.eq(&form.kind),
            practice_forms::version.eq(form.version),
            practice_forms::body.eq(&form.body),
            practice_forms::created_at.eq(form.created_at),
        ))
        .execute(conn)?;
    Ok(form)
}

/// What saving an edit of a form did.
pub enum FormSave {
    /// The new version (or the current one, when the text did not change).
    Saved(PracticeForm),
    /// The edit was made from an older version: nothing was saved; the newest is this.
    Stale(PracticeForm),
}

/// Saves an edit made from version `base` as the next version; an unchanged text makes no
/// new version. Two edits made from one version cannot both be saved.
pub fn save(
    conn: &mut DbConnection,
    scope: &Scope,
    kind: FormKind,
    body: &str,
    base: i32,
) -> QueryResult<FormSave> {
    crate::db::write_transaction(conn, |conn| {
        let forms = current(conn, scope)?;
        let Some(now) = forms.into_iter().find(|f| f.kind() == Some(kind)) else {
            return Err(diesel::result::Error::NotFound);
        };
        if now.version != base {
            return Ok(FormSave::Stale(now));
        }
        if now.body == body {
            return Ok(FormSave::Saved(now));
        }
        // The unique (provider, kind, version) index refuses a concurrent twin.
        insert_version(conn, scope, kind, now.version + 1, body).map(FormSave::Saved)
    })
}

pub fn find(
    conn: &mut DbConnection,
    scope: &Scope,
    form_id: &str,
) -> QueryResult<Option<PracticeForm>> {
    scope
        .practice_forms()
        .filter(practice_forms::id.eq(form_id))
        .select(PracticeForm::as_select())
        .first(conn)
        .optional()
}

pub fn acknowledge(
    conn: &mut DbConnection,
    client: &OwnedClient,
    form: &PracticeForm,
    typed_name: &str,
    on_behalf: Option<&str>,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(form_acknowledgments::table)
        .values((
            form_acknowledgments::id.eq(new_row_id()),
            form_acknowledgments::provider_id.eq(client.provider_id().as_str()),
            form_acknowledgments::client_id.eq(client.id.as_str()),
            form_acknowledgments::form_id.eq(&form.id),
            form_acknowledgments::typed_name.eq(typed_name),
            form_acknowledgments::ip.eq(ip),
            form_acknowledgments::acknowledged_at.eq(now),
            form_acknowledgments::acknowledged_by.eq(on_behalf),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable)]
pub struct Acknowledgment {
    pub kind: String,
    pub version: i32,
    pub typed_name: String,
    pub ip: Option<String>,
    pub acknowledged_at: NaiveDateTime,
}

/// What the client acknowledged, newest first.
pub fn acknowledgments(
    conn: &mut DbConnection,
    client: &OwnedClient,
) -> QueryResult<Vec<Acknowledgment>> {
    form_acknowledgments::table
        .inner_join(practice_forms::table)
        .filter(form_acknowledgments::client_id.eq(client.id.as_str()))
        .order(form_acknowledgments::acknowledged_at.desc())
        .select((
            practice_forms::kind,
            practice_forms::version,
            form_acknowledgments::typed_name,
            form_acknowledgments::ip,
            form_acknowledgments::acknowledged_at,
        ))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stored_and_addressed_by_their_snake_case_names() {
        for (kind, stored) in [
            (FormKind::BillingPolicy, "billing_policy"),
            (FormKind::PrivacyNotice, "privacy_notice"),
        ] {
            assert_eq!(kind.as_str(), stored);
            assert_eq!(FormKind::parse(stored), Some(kind));
        }
        assert_eq!(FormKind::parse("BillingPolicy"), None);
    }
}
