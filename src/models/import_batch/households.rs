//! The households of a batch under review (people of the file who share an address), and
//! the provider's choice for each: import them as a household or decide row by row, with
//! the contact's name and relationship.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::BatchStatus::Ready;
use super::{household_json, reload, this, ImportRow};
use crate::db::schema::{import_batches, import_rows};
use crate::db::{write_transaction, DbConnection};
use crate::domain::contact::Relationship;
use crate::import::households::{Household, PARENT_GUARDIAN};
use crate::import::matching::Status;
use crate::models::scope::OwnedBatch;

/// What the provider decided for one household on the review page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdDecision {
    /// The household's id (the position of its first member).
    pub id: i64,
    pub chosen: bool,
    pub contact_name: String,
    pub relationship: String,
}

/// How many households a review shows; more than this in one file is not a family list.
pub const HOUSEHOLDS_SHOWN: i64 = 500;

/// The households of a batch, in file order (each once).
pub fn households(conn: &mut DbConnection, batch: &OwnedBatch) -> QueryResult<Vec<Household>> {
    let stored: Vec<String> = import_rows::table
        .filter(import_rows::batch_id.eq(batch.id.as_str()))
        .filter(import_rows::household.is_not_null())
        .order(import_rows::position)
        .select(import_rows::household.assume_not_null())
        .limit(HOUSEHOLDS_SHOWN * 4)
        .load(conn)?;
    let mut out: Vec<Household> = Vec::new();
    for h in stored
        .iter()
        .filter_map(|s| serde_json::from_str::<Household>(s).ok())
    {
        if !out.iter().any(|o| o.id == h.id) {
            out.push(h);
        }
    }
    out.sort_by_key(|h| h.id);
    out.truncate(HOUSEHOLDS_SHOWN as usize);
    Ok(out)
}

/// Saves the provider's choices for the households of a batch under review. Choosing a
/// household selects each of its members (to be imported with the shared address as
/// their contact's) and not the contact's own row; leaving it puts them back as the
/// review left them. A contact
/// name is kept as typed (at most 200 characters); the import refuses a chosen household
/// without one. Returns the positions of the members of households chosen just now: the
/// page showed their rows under the old offer, so their row choices are not taken.
pub fn decide_households(
    conn: &mut DbConnection,
    batch: &OwnedBatch,
    decisions: &[HouseholdDecision],
    now: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    if decisions.is_empty() {
        return Ok(Vec::new());
    }
    let id = batch.id.as_str();
    write_transaction(conn, |conn| {
        let open = diesel::update(this(batch).filter(import_batches::status.eq(Ready.as_str())))
            .set(import_batches::updated_at.eq(now))
            .execute(conn)?;
        if open == 0 {
            return Ok(Vec::new());
        }
        let mut chosen_now = Vec::new();
        let is_export = reload(conn, batch)?.is_export();
        let rows: Vec<ImportRow> = import_rows::table
            .filter(import_rows::batch_id.eq(id))
            .filter(import_rows::household.is_not_null())
            .select(ImportRow::as_select())
            .load(conn)?;
        for d in decisions {
            let mine: Vec<&ImportRow> = rows
                .iter()
                .filter(|r| r.household().is_some_and(|h| h.id == d.id))
                .collect();
            let Some(mut h) = mine.first().and_then(|r| r.household()) else {
                continue;
            };
            let was_chosen = h.chosen;
            h.chosen = d.chosen;
            h.contact_name = d.contact_name.trim().chars().take(200).collect();
            h.relationship = Relationship::parse(&d.relationship)
                .map(|r| r.as_str())
                .unwrap_or(PARENT_GUARDIAN)
                .to_string();
            if !was_chosen && h.chosen {
                chosen_now.extend(h.members.iter().chain(&h.contact_rows));
            }
            let json = household_json(&h);
            for r in mine {
                let member = h.members.contains(&r.position);
                // Chosen now: every member is imported; left now: as the review had it.
                // Chosen now: every member is imported, and the contact's own row is the
                // contact (tick it again to import them as a client too); left now: as the
                // review had them.
                let selected = match (was_chosen, h.chosen) {
                    (false, true) => member,
                    (true, false) => !is_export && r.status == Status::New,
                    _ => r.selected,
                };
                let linked = if member && h.chosen {
                    None
                } else {
                    r.linked_client_id.clone()
                };
                diesel::update(
                    import_rows::table
                        .filter(import_rows::batch_id.eq(id))
                        .filter(import_rows::position.eq(r.position)),
                )
                .set((
                    import_rows::household.eq(&json),
                    import_rows::selected.eq(selected),
                    import_rows::linked_client_id.eq(linked),
                ))
                .execute(conn)?;
            }
        }
        recount(conn, batch)?;
        Ok(chosen_now)
    })
}

/// The batch's selected and linked counts, counted again after rows changed together.
fn recount(conn: &mut DbConnection, batch: &OwnedBatch) -> QueryResult<()> {
    let id = batch.id.as_str();
    let selected: i64 = import_rows::table
        .filter(import_rows::batch_id.eq(id))
        .filter(import_rows::selected.eq(true))
        .count()
        .get_result(conn)?;
    let linked: i64 = import_rows::table
        .filter(import_rows::batch_id.eq(id))
        .filter(import_rows::linked_client_id.is_not_null())
        .count()
        .get_result(conn)?;
    diesel::update(this(batch))
        .set((
            import_batches::rows_selected.eq(selected),
            import_batches::rows_linked.eq(linked),
        ))
        .execute(conn)
        .map(|_| ())
}
