//! The batch and its rows on a fresh in-memory database: where a batch may go from each
//! state, the rows and counts an analysis stores, the decisions the review saves (kept in
//! step with the counts), and the commit's all-or-nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use strum::IntoEnumIterator;

use super::*;
use crate::db::ids::ClientId;
use crate::db::schema::{audit_events, clients, import_batches, import_rows};
use crate::import::analysis;
use crate::import::extract::ExtractOptions;
use crate::import::matching::Status;
use crate::models::client::{self, CreateOptions};
use crate::models::testing::{at, conn, details, provider, today};

/// The time the tests run at: the batches are created a little earlier.
fn now() -> NaiveDateTime {
    at("2026-12-02 12:00")
}

const LIST: &str = "First Name,Last Name,Email\n\
Nia,Okafor,nia@example.com\n\
Ada,Lovelace,ada@example.com\n\
Ada,Lovelace,ada.other@example.com\n\
Lee,Kim,\n\
Nia,Okafor,nia@example.com\n\
Gregory,Hopper,family@example.com\n";

fn add_client(
    conn: &mut DbConnection,
    scope: &Scope,
    first: &str,
    last: &str,
    email: &str,
) -> String {
    let options = CreateOptions {
        contact: None,
        notify: false,
        measures: Vec::new(),
    };
    client::create(
        conn,
        scope,
        &details(first, last, email, |_| {}),
        &options,
        at("2026-12-01 09:00"),
    )
    .unwrap()
    .id
    .clone()
}

/// A provider with Ada and Grace on the list, and `csv` uploaded and analysed.
fn analysed(conn: &mut DbConnection, csv: &str) -> (Scope, OwnedBatch) {
    let (_, scope) = provider(conn, "elena@example.com");
    add_client(conn, &scope, "Ada", "Lovelace", "ada@example.com");
    add_client(conn, &scope, "Grace", "Hopper", "family@example.com");
    let batch = analyse(conn, &scope, csv);
    (scope, batch)
}

fn analyse(conn: &mut DbConnection, scope: &Scope, csv: &str) -> OwnedBatch {
    let batch = create(conn, scope, "list.csv", "web", at("2026-12-02 10:00")).unwrap();
    assert!(start_analysis(conn, &batch, now()).unwrap());
    let existing = client::for_matching(conn, scope).unwrap();
    let a = analysis::analyse(
        csv.as_bytes(),
        &ExtractOptions::default(),
        &existing,
        today(),
        &mut |_| {},
    )
    .unwrap();
    assert!(save_analysis(conn, &batch, &a, "{}", now()).unwrap());
    reload(conn, &batch).unwrap()
}

fn rows(conn: &mut DbConnection, batch: &OwnedBatch) -> Vec<ImportRow> {
    rows_page(conn, batch, None, 1).unwrap()
}

/// The row of the file's line `source_row`.
fn line(conn: &mut DbConnection, batch: &OwnedBatch, source_row: i64) -> ImportRow {
    rows(conn, batch)
        .into_iter()
        .find(|r| r.source_row == source_row)
        .expect("the row")
}

fn decision(row: &ImportRow) -> RowDecision {
    RowDecision {
        position: row.position,
        selected: false,
        link_to: None,
        email: None,
        takes_documents: false,
    }
}

/// The batch's counts are those of its rows, whatever was decided.
fn assert_counts_agree(conn: &mut DbConnection, batch: &OwnedBatch) {
    let b = reload(conn, batch).unwrap();
    let all = rows(conn, batch);
    for s in Status::iter() {
        let n = all.iter().filter(|r| r.status == s).count() as i64;
        assert_eq!(b.rows_with(Some(s)), n, "{s:?}");
    }
    assert_eq!(b.rows_with(None), all.len() as i64);
    let selected = all.iter().filter(|r| r.selected).count() as i64;
    let linked = all.iter().filter(|r| r.linked_client_id.is_some()).count() as i64;
    assert_eq!((b.rows_selected, b.rows_linked), (selected, linked));
}

fn client_count(conn: &mut DbConnection) -> i64 {
    clients::table.count().get_result(conn).unwrap()
}

#[test]
fn statuses_are_stored_under_the_names_existing_rows_have() {
    let names = [
        (BatchStatus::Queued, "queued"),
        (BatchStatus::Analysing, "analysing"),
        (BatchStatus::NeedsColumns, "needs_columns"),
        (BatchStatus::Ready, "ready"),
        (BatchStatus::Failed, "failed"),
        (BatchStatus::Interrupted, "interrupted"),
        (BatchStatus::Imported, "imported"),
        (BatchStatus::Cancelled, "cancelled"),
    ];
    assert_eq!(names.len(), BatchStatus::iter().count());
    for (status, stored) in names {
        assert_eq!(status.as_str(), stored);
        assert_eq!(BatchStatus::from(stored.to_string()), status);
        assert!(!status.label().is_empty());
    }
    assert_eq!(
        BatchStatus::from("archived".to_string()),
        BatchStatus::Failed
    );
    let rows = [
        (Status::New, "new"),
        (Status::Existing, "existing"),
        (Status::NeedsReview, "needs_review"),
        (Status::Invalid, "invalid"),
        (Status::DuplicateInFile, "duplicate_in_file"),
    ];
    assert_eq!(rows.len(), Status::iter().count());
    for (status, stored) in rows {
        assert_eq!(status.as_str(), stored);
        assert_eq!(Status::from(stored.to_string()), status);
    }
    assert_eq!(Status::from("merged".to_string()), Status::Invalid);
}

#[test]
fn a_new_batch_waits_for_a_worker_that_takes_it_once() {
    let mut conn = conn();
    let (_, scope) = provider(&mut conn, "elena@example.com");
    let b = create(&mut conn, &scope, "list.csv", "web", at("2026-12-02 10:00")).unwrap();
    assert_eq!(b.status, BatchStatus::Queued);
    assert!(b.in_progress() && !b.is_export() && b.kind() == Kind::List);
    assert_eq!((b.rows_total, b.rows_selected, b.imported_count), (0, 0, 0));
    assert!(start_analysis(&mut conn, &b, now()).unwrap());
    assert!(
        !start_analysis(&mut conn, &b, now()).unwrap(),
        "only a queued batch"
    );
    assert_eq!(
        reload(&mut conn, &b).unwrap().status,
        BatchStatus::Analysing
    );

    let e = create_export(
        &mut conn,
        &scope,
        "export.zip",
        "web",
        at("2026-12-02 11:00"),
    )
    .unwrap();
    assert!(e.is_export() && e.kind() == Kind::Export);
    assert_eq!(e.status, BatchStatus::Queued);
    // Cancelled before a worker took it: it stays cancelled.
    assert!(cancel(&mut conn, &e, now()).unwrap());
    assert!(!start_analysis(&mut conn, &e, now()).unwrap());
    let listed: Vec<String> = history(&mut conn, &scope)
        .unwrap()
        .into_iter()
        .map(|b| b.file_name)
        .collect();
    assert_eq!(listed, ["list.csv"], "cancelled imports are gone");
}

#[test]
fn an_analysis_is_stored_with_its_counts_only_while_the_batch_is_being_analysed() {
    let mut conn = conn();
    let (scope, batch) = analysed(&mut conn, LIST);
    assert_eq!(batch.status, BatchStatus::Ready);
    let found: Vec<(i64, Status, bool)> = rows(&mut conn, &batch)
        .iter()
        .map(|r| (r.source_row, r.status, r.selected))
        .collect();
    assert_eq!(
        found,
        [
            (2, Status::New, true),
            (3, Status::Existing, false),
            (4, Status::NeedsReview, false),
            (5, Status::Invalid, false),
            (6, Status::DuplicateInFile, false),
            (7, Status::NeedsReview, false),
        ]
    );
    assert_counts_agree(&mut conn, &batch);
    for s in Status::iter() {
        let only = rows_page(&mut conn, &batch, Some(s), 1).unwrap();
        assert!(only.iter().all(|r| r.status == s));
        assert_eq!(only.len() as i64, batch.rows_with(Some(s)));
    }

    // A batch cancelled while it was being checked keeps no rows.
    let late = create(&mut conn, &scope, "late.csv", "web", at("2026-12-02 12:00")).unwrap();
    assert!(start_analysis(&mut conn, &late, now()).unwrap());
    assert!(cancel(&mut conn, &late, now()).unwrap());
    let a = analysis::analyse(
        LIST.as_bytes(),
        &ExtractOptions::default(),
        &[],
        today(),
        &mut |_| {},
    )
    .unwrap();
    assert!(!save_analysis(&mut conn, &late, &a, "{}", now()).unwrap());
    assert!(rows(&mut conn, &late).is_empty());
    assert_eq!(
        reload(&mut conn, &late).unwrap().status,
        BatchStatus::Cancelled
    );
}

#[test]
fn rows_come_a_page_at_a_time_and_any_page_number_is_a_page() {
    let mut conn = conn();
    let mut csv = String::from("First Name,Last Name,Email\n");
    for i in 0..120 {
        csv.push_str(&format!("Person,Number{i},p{i}@example.com\n"));
    }
    let (_, batch) = analysed(&mut conn, &csv);
    let len = |conn: &mut DbConnection, page| rows_page(conn, &batch, None, page).unwrap().len();
    assert_eq!(len(&mut conn, 1), ROWS_PER_PAGE as usize);
    assert_eq!(len(&mut conn, 3), 20);
    assert_eq!(len(&mut conn, 4), 0);
    assert_eq!(
        len(&mut conn, 0),
        ROWS_PER_PAGE as usize,
        "page 0 is the first"
    );
    assert_eq!(len(&mut conn, i64::MAX), 0);
    let second = rows_page(&mut conn, &batch, None, 2).unwrap();
    assert_eq!(second[0].position, ROWS_PER_PAGE + 1, "in file order");
}

#[test]
fn ticking_and_unticking_new_rows_keeps_the_counts() {
    let mut conn = conn();
    let (_, batch) = analysed(&mut conn, LIST);
    let nia = line(&mut conn, &batch, 2);
    decide(&mut conn, &batch, &[decision(&nia)], today(), now()).unwrap();
    assert!(!line(&mut conn, &batch, 2).selected);
    assert_counts_agree(&mut conn, &batch);
    let tick = RowDecision {
        selected: true,
        ..decision(&nia)
    };
    // One decision per row, whatever the form repeated: the first counts.
    decide(
        &mut conn,
        &batch,
        &[tick.clone(), decision(&nia)],
        today(),
        now(),
    )
    .unwrap();
    assert!(line(&mut conn, &batch, 2).selected);
    assert_counts_agree(&mut conn, &batch);
    assert_eq!(reload(&mut conn, &batch).unwrap().rows_selected, 1);
}

#[test]
fn a_ticked_row_with_missing_information_is_kept_ticked_and_the_import_names_it() {
    let mut conn = conn();
    let (_, batch) = analysed(&mut conn, LIST);
    let lee = line(&mut conn, &batch, 5);
    assert_eq!(lee.status, Status::Invalid);
    let tick = RowDecision {
        selected: true,
        ..decision(&lee)
    };
    decide(&mut conn, &batch, &[tick], today(), now()).unwrap();
    assert!(
        line(&mut conn, &batch, 5).selected,
        "the page's tick is saved"
    );
    assert_counts_agree(&mut conn, &batch);
    let before = client_count(&mut conn);
    let refused = commit(&mut conn, &batch, None, at("2026-12-02 13:00")).unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("Row 5 lacks a valid name or email address."),
        "{refused}"
    );
    assert_eq!(client_count(&mut conn), before, "nothing was imported");
    assert_eq!(
        reload(&mut conn, &batch).unwrap().status,
        BatchStatus::Ready
    );
}

#[test]
fn a_corrected_email_is_checked_again_and_the_row_moves_with_its_counts() {
    let mut conn = conn();
    let (_, batch) = analysed(&mut conn, LIST);
    let lee = line(&mut conn, &batch, 5);
    let fixed = RowDecision {
        selected: true,
        email: Some("Lee <lee@example.com>".into()),
        ..decision(&lee)
    };
    decide(&mut conn, &batch, &[fixed], today(), now()).unwrap();
    let lee = line(&mut conn, &batch, 5);
    assert_eq!(
        (lee.status, lee.selected, lee.email.as_deref()),
        (Status::New, true, Some("lee@example.com"))
    );
    assert_counts_agree(&mut conn, &batch);
    let b = reload(&mut conn, &batch).unwrap();
    assert_eq!((b.rows_new, b.rows_invalid), (2, 0));

    // Corrected to the email of a client of the same name: that client, left as they are.
    let other = line(&mut conn, &batch, 4);
    let to_ada = RowDecision {
        selected: true,
        email: Some("ada@example.com".into()),
        ..decision(&other)
    };
    decide(&mut conn, &batch, &[to_ada], today(), now()).unwrap();
    let row = line(&mut conn, &batch, 4);
    assert_eq!((row.status, row.selected), (Status::Existing, false));
    assert_counts_agree(&mut conn, &batch);

    // Corrected to the email another row of the file has: to be reviewed.
    let gregory = line(&mut conn, &batch, 7);
    let to_nia = RowDecision {
        email: Some("nia@example.com".into()),
        ..decision(&gregory)
    };
    decide(&mut conn, &batch, &[to_nia], today(), now()).unwrap();
    let row = line(&mut conn, &batch, 7);
    assert_eq!(row.status, Status::NeedsReview);
    assert!(
        row.reasons()[0].contains("has the same email address"),
        "{:?}",
        row.reasons()
    );

    // A row that offers no correction keeps its email.
    let nia = line(&mut conn, &batch, 2);
    let ignored = RowDecision {
        selected: true,
        email: Some("someone@example.com".into()),
        ..decision(&nia)
    };
    decide(&mut conn, &batch, &[ignored], today(), now()).unwrap();
    assert_eq!(
        line(&mut conn, &batch, 2).email.as_deref(),
        Some("nia@example.com")
    );
}

#[test]
fn an_uncertain_row_links_only_to_its_match_and_is_new_only_with_an_email_no_client_has() {
    let mut conn = conn();
    let (scope, batch) = analysed(&mut conn, LIST);
    let carol = add_client(&mut conn, &scope, "Carol", "Jones", "carol@example.com");
    let ada_other = line(&mut conn, &batch, 4);
    let matched = ada_other.matched_client_id.clone().expect("Ada matched");

    // Another client than the match: ignored in a client list.
    let to_carol = RowDecision {
        link_to: Some(carol),
        ..decision(&ada_other)
    };
    decide(&mut conn, &batch, &[to_carol], today(), now()).unwrap();
    assert!(line(&mut conn, &batch, 4).linked_client_id.is_none());
    let to_ada = RowDecision {
        link_to: Some(matched.clone()),
        selected: true,
        ..decision(&ada_other)
    };
    decide(&mut conn, &batch, &[to_ada], today(), now()).unwrap();
    let row = line(&mut conn, &batch, 4);
    assert_eq!(
        (row.linked_client_id.as_deref(), row.selected),
        (Some(matched.as_str()), false)
    );
    assert_counts_agree(&mut conn, &batch);

    let as_new = |row: &ImportRow| RowDecision {
        selected: true,
        ..decision(row)
    };
    decide(&mut conn, &batch, &[as_new(&ada_other)], today(), now()).unwrap();
    assert!(
        line(&mut conn, &batch, 4).selected,
        "an email no client has"
    );
    let gregory = line(&mut conn, &batch, 7);
    decide(&mut conn, &batch, &[as_new(&gregory)], today(), now()).unwrap();
    assert!(
        !line(&mut conn, &batch, 7).selected,
        "Grace has that email: one client per address"
    );
    assert_counts_agree(&mut conn, &batch);
}

#[test]
fn decisions_on_a_batch_no_longer_under_review_change_nothing() {
    let mut conn = conn();
    let (_, batch) = analysed(&mut conn, LIST);
    let nia = line(&mut conn, &batch, 2);
    commit(&mut conn, &batch, None, at("2026-12-02 13:00")).unwrap();
    decide(&mut conn, &batch, &[decision(&nia)], today(), now()).unwrap();
    let b = reload(&mut conn, &batch).unwrap();
    assert_eq!((b.status, b.rows_selected), (BatchStatus::Imported, 1));
}

#[test]
fn an_export_card_links_to_any_client_of_the_provider_and_no_one_elses() {
    let mut conn = conn();
    let (_, scope) = provider(&mut conn, "elena@example.com");
    let (_, other) = provider(&mut conn, "someone.else@example.com");
    let grace = add_client(&mut conn, &scope, "Grace", "Hopper", "family@example.com");
    let stranger = add_client(&mut conn, &other, "Grace", "Hopper", "grace@example.com");
    let batch = create_export(
        &mut conn,
        &scope,
        "export.zip",
        "web",
        at("2026-12-02 10:00"),
    )
    .unwrap();
    assert!(start_analysis(&mut conn, &batch, now()).unwrap());
    let card = |position: i64, status: Status, first: &'static str| NewImportRow {
        batch_id: &batch.id,
        position,
        source_row: position,
        source: None,
        first_name: Some(first),
        last_name: Some("Hopper"),
        email: None,
        phone: None,
        date_of_birth: None,
        status: status.as_str(),
        reasons: "[]".into(),
        matched_client_id: None,
        selected: false,
        linked_client_id: None,
        display_name: None,
        external_id: None,
        documents: Some("[]".into()),
        takes_documents: true,
        shares_folder: false,
        household: None,
        evidence: None,
        preferred_name: None,
        billing_type: None,
        archived: false,
    };
    let head = StoredHead {
        format: SIMPLEPRACTICE,
        layout: None,
        sheet: None,
        details: "{}",
        summary: crate::import::plan::Summary {
            rows: 2,
            needs_review: 1,
            invalid: 1,
            ..Default::default()
        },
    };
    let stored = [
        card(1, Status::NeedsReview, "Gregory"),
        card(2, Status::Invalid, "Grace"),
    ];
    assert!(store_rows(&mut conn, &batch, &head, &stored, now()).unwrap());
    let rows_now = rows(&mut conn, &batch);
    let link = |row: &ImportRow, to: &str| RowDecision {
        link_to: Some(to.to_string()),
        takes_documents: true,
        ..decision(row)
    };
    decide(
        &mut conn,
        &batch,
        &[link(&rows_now[0], &grace), link(&rows_now[1], &stranger)],
        today(),
        now(),
    )
    .unwrap();
    let after = rows(&mut conn, &batch);
    assert_eq!(after[0].linked_client_id.as_deref(), Some(grace.as_str()));
    assert_eq!(after[1].linked_client_id, None, "another provider's client");
    assert_counts_agree(&mut conn, &batch);
}

#[test]
fn an_import_writes_the_selected_rows_once_and_keeps_only_the_counts_and_the_left_out() {
    let mut conn = conn();
    let (scope, batch) = analysed(&mut conn, LIST);
    let before = client_count(&mut conn);
    let created = std::cell::RefCell::new(Vec::new());
    let note = |_: &mut DbConnection, ids: &[ClientId], _| {
        created.borrow_mut().extend(ids.iter().cloned());
        Ok(())
    };
    let outcome = commit(&mut conn, &batch, Some(&note), at("2026-12-02 13:00")).unwrap();
    assert_eq!(
        (
            outcome.imported,
            outcome.linked,
            outcome.skipped,
            outcome.already_done
        ),
        (1, 1, 4, false)
    );
    assert_eq!(client_count(&mut conn), before + 1);
    assert_eq!(created.borrow().len(), 1, "told of the clients it created");
    let b = reload(&mut conn, &batch).unwrap();
    assert_eq!(b.status, BatchStatus::Imported);
    assert!(b.invited && b.imported_at == Some(at("2026-12-02 13:00")));
    assert_eq!(
        b.skipped_reasons(),
        [
            (Status::DuplicateInFile, 1),
            (Status::Invalid, 1),
            (Status::NeedsReview, 2)
        ]
    );
    // Only the rows left out stay (the confirmation lists them), each with its status.
    let left = left_out_rows(&mut conn, &batch, 0, 100).unwrap();
    assert_eq!(
        left.len(),
        4,
        "the imported and already-listed rows are not kept"
    );
    assert!(left
        .iter()
        .all(|r| !r.selected && r.linked_client_id.is_none()));
    assert_eq!(rows(&mut conn, &batch).len(), 4);
    assert!(forget_left_out(&mut conn, &batch).unwrap());
    assert!(rows(&mut conn, &batch).is_empty(), "deleted when asked");
    let audited: i64 = audit_events::table
        .filter(audit_events::action.eq("client.imported"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);
    let imported: Vec<String> = imported_clients(&mut conn, &batch)
        .unwrap()
        .iter()
        .map(|c| c.email.clone())
        .collect();
    assert_eq!(imported, ["nia@example.com"]);

    // A second submit finds it done and writes nothing.
    let again = commit(&mut conn, &batch, None, at("2026-12-02 13:01")).unwrap();
    assert!(again.already_done && again.imported == 1);
    assert_eq!(client_count(&mut conn), before + 1);
    let _ = scope;
}

#[test]
fn each_row_is_counted_once_and_no_count_is_negative() {
    let mut conn = conn();
    // One row, already on the list: a review made before households left such rows out
    // chose it as a household's member (its contact's email is not its own).
    let (_, batch) = analysed(
        &mut conn,
        "First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n",
    );
    let row = line(&mut conn, &batch, 2);
    assert_eq!(row.status, Status::Existing);
    let chosen = crate::import::households::Household {
        id: row.position,
        email: "ada@example.com".into(),
        members: vec![row.position],
        names: vec![("Ada".into(), "Lovelace".into())],
        contact_rows: Vec::new(),
        contact_name: "Ada Lovelace".into(),
        contact_phone: None,
        relationship: "parent_guardian".into(),
        listed_owner: None,
        chosen: true,
    };
    diesel::update(import_rows::table.filter(import_rows::batch_id.eq(batch.id.as_str())))
        .set((
            import_rows::selected.eq(true),
            import_rows::household.eq(household_json(&chosen)),
        ))
        .execute(&mut conn)
        .unwrap();
    let outcome = commit(&mut conn, &batch, None, at("2026-12-02 13:00")).unwrap();
    assert_eq!(
        (outcome.imported, outcome.linked, outcome.skipped),
        (1, 0, 0),
        "imported, so not also left as the client it is"
    );
    assert_eq!(reload(&mut conn, &batch).unwrap().skipped_count, 0);
}

#[test]
fn an_import_that_conflicts_writes_nothing_and_stays_under_review() {
    let mut conn = conn();
    let (scope, batch) = analysed(&mut conn, LIST);
    // Nia was added by hand since the file was checked.
    add_client(&mut conn, &scope, "Nia", "Okafor", "nia@example.com");
    let before = client_count(&mut conn);
    let e = commit(&mut conn, &batch, None, at("2026-12-02 13:00")).unwrap_err();
    assert!(
        matches!(e, CommitError::Conflict(ref m) if m.contains("added since this file was checked")),
        "{e}"
    );
    assert_eq!(client_count(&mut conn), before);
    let b = reload(&mut conn, &batch).unwrap();
    assert_eq!((b.status, b.imported_at), (BatchStatus::Ready, None));
    assert_eq!(
        rows(&mut conn, &batch).len(),
        6,
        "the review is still there"
    );
}

#[test]
fn a_batch_fails_cancels_and_is_read_again_only_from_the_states_that_allow_it() {
    let mut conn = conn();
    let (scope, batch) = analysed(&mut conn, LIST);
    assert!(reanalyse(&mut conn, &batch, Some("Sheet 2"), None, now()).unwrap());
    let b = reload(&mut conn, &batch).unwrap();
    assert_eq!(
        (b.status, b.sheet.as_deref()),
        (BatchStatus::Queued, Some("Sheet 2"))
    );
    assert!(rows(&mut conn, &batch).is_empty(), "the old review goes");
    assert!(
        !reanalyse(&mut conn, &batch, None, None, now()).unwrap(),
        "already queued"
    );
    fail(&mut conn, &batch, "Unreadable.", now()).unwrap();
    let b = reload(&mut conn, &batch).unwrap();
    assert_eq!(
        (b.status, b.error.as_deref()),
        (BatchStatus::Failed, Some("Unreadable."))
    );

    let done = analyse(&mut conn, &scope, LIST);
    commit(&mut conn, &done, None, at("2026-12-02 13:00")).unwrap();
    fail(&mut conn, &done, "Too late.", now()).unwrap();
    assert!(!reanalyse(&mut conn, &done, None, None, now()).unwrap());
    assert!(
        !cancel(&mut conn, &done, now()).unwrap(),
        "an import done stays done"
    );
    assert_eq!(
        reload(&mut conn, &done).unwrap().status,
        BatchStatus::Imported
    );

    let open = analyse(&mut conn, &scope, LIST);
    assert!(cancel(&mut conn, &open, now()).unwrap());
    assert!(rows(&mut conn, &open).is_empty());
    assert_eq!(
        reload(&mut conn, &open).unwrap().status,
        BatchStatus::Cancelled
    );
}

/// Moves a batch's last change back by `hours`.
fn age(conn: &mut DbConnection, batch: &OwnedBatch, hours: i64) {
    diesel::update(import_batches::table.filter(import_batches::id.eq(&batch.id)))
        .set(import_batches::updated_at.eq(now() - chrono::Duration::hours(hours)))
        .execute(conn)
        .unwrap();
}

#[test]
fn restarts_and_abandoned_or_unfinished_imports_end_their_batches() {
    let mut conn = conn();
    let (scope, ready) = analysed(&mut conn, LIST);
    // Uploaded but not yet kept whole: no worker takes it; after a day it is cancelled.
    let arriving = create(&mut conn, &scope, "q.csv", "web", at("2026-12-02 10:00")).unwrap();
    let queued = create(&mut conn, &scope, "a.csv", "web", now()).unwrap();
    assert!(queue_for_analysis(&mut conn, &queued, now(), 32).unwrap());
    let lease = now() + chrono::Duration::minutes(10);
    assert_eq!(
        claim_analysis(&mut conn, "one", now(), lease).unwrap(),
        Some(Claim::Analyse(queued.id.clone()))
    );
    assert_eq!(
        claim_analysis(&mut conn, "two", now(), lease).unwrap(),
        None
    );
    assert!(renew_claim(&mut conn, &queued.id, "one", lease).unwrap());
    assert!(!renew_claim(&mut conn, &queued.id, "two", lease).unwrap());
    // "one" dies: once its claim ends, "two" takes the file over; after the third
    // unfinished check it is given up on.
    assert_eq!(
        claim_analysis(
            &mut conn,
            "two",
            lease,
            lease + chrono::Duration::minutes(10)
        )
        .unwrap(),
        Some(Claim::Analyse(queued.id.clone()))
    );
    let later = lease + chrono::Duration::minutes(10);
    assert_eq!(
        claim_analysis(
            &mut conn,
            "three",
            later,
            later + chrono::Duration::minutes(10)
        )
        .unwrap(),
        Some(Claim::Analyse(queued.id.clone()))
    );
    let last = later + chrono::Duration::minutes(10);
    assert_eq!(
        claim_analysis(&mut conn, "four", last, last).unwrap(),
        Some(Claim::GivenUp(queued.id.clone()))
    );
    let q = reload(&mut conn, &queued).unwrap();
    assert_eq!(q.status, BatchStatus::Interrupted);
    assert!(q.error.as_deref().unwrap_or("").contains("more than once"));
    assert_eq!(
        expire_never_queued(&mut conn, 1, now()).unwrap(),
        std::slice::from_ref(&arriving.id)
    );
    assert_eq!(
        reload(&mut conn, &arriving).unwrap().status,
        BatchStatus::Cancelled
    );
    assert_eq!(
        reload(&mut conn, &ready).unwrap().status,
        BatchStatus::Ready
    );
    // The command line's own batches are never a worker's.
    let cli_running = create(&mut conn, &scope, "run.csv", CLI, now()).unwrap();
    start_analysis(&mut conn, &cli_running, now()).unwrap();
    assert_eq!(claim_analysis(&mut conn, "one", last, last).unwrap(), None);

    // Left unreviewed for 31 days: cancelled with its rows; a fresh one stays.
    let fresh = analyse(&mut conn, &scope, LIST);
    age(&mut conn, &ready, 31 * 24);
    assert_eq!(
        expire_abandoned(&mut conn, 30, now()).unwrap(),
        [ready.id.as_str()]
    );
    assert_eq!(
        reload(&mut conn, &ready).unwrap().status,
        BatchStatus::Cancelled
    );
    assert!(rows(&mut conn, &ready).is_empty());
    assert_eq!(
        reload(&mut conn, &fresh).unwrap().status,
        BatchStatus::Ready
    );

    // The command line's: waiting ones cancelled, failed ones keep their state (rows go).
    let cli = create(&mut conn, &scope, "cli.csv", CLI, at("2026-12-02 10:00")).unwrap();
    let cli_failed = create(&mut conn, &scope, "bad.csv", CLI, at("2026-12-02 10:00")).unwrap();
    fail(&mut conn, &cli_failed, "Unreadable.", now()).unwrap();
    age(&mut conn, &cli, 25);
    age(&mut conn, &cli_failed, 25);
    age(&mut conn, &fresh, 25);
    assert_eq!(
        expire_unfinished_cli(&mut conn, 24, now()).unwrap(),
        [cli.id.as_str()]
    );
    assert_eq!(
        reload(&mut conn, &cli).unwrap().status,
        BatchStatus::Cancelled
    );
    assert_eq!(
        reload(&mut conn, &cli_failed).unwrap().status,
        BatchStatus::Failed
    );
    assert_eq!(
        reload(&mut conn, &fresh).unwrap().status,
        BatchStatus::Ready,
        "a web upload"
    );
    let left: i64 = import_rows::table
        .filter(import_rows::batch_id.eq(&fresh.id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 6);
}

#[test]
fn row_lists_in_messages_stop_after_ten() {
    assert_eq!(list_rows(&[3]), "3");
    let many: Vec<i64> = (1..=12).collect();
    assert_eq!(
        list_rows(&many),
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, and 2 more"
    );
}

#[test]
fn the_summary_of_an_import_reads_the_stored_reasons() {
    let mut conn = conn();
    let (_, batch) = analysed(&mut conn, LIST);
    let mut b = reload(&mut conn, &batch).unwrap().into_row();
    b.outcome = Some(r#"[["new",2],["merged",1],["existing",1]]"#.into());
    assert_eq!(
        b.skipped_reasons(),
        [(Status::New, 2), (Status::Existing, 1)],
        "a reason this version does not know is left out"
    );
    b.outcome = None;
    assert!(b.skipped_reasons().is_empty());
}

#[test]
fn a_corrected_email_is_checked_against_every_form_of_the_first_name_with_its_evidence() {
    let mut conn = conn();
    let (_, scope) = provider(&mut conn, "elena@example.com");
    let robert = add_client(&mut conn, &scope, "Robert", "Moses", "robert@example.com");
    let batch = analyse(
        &mut conn,
        &scope,
        "First Name,Last Name,Email\nBob,Moses,\n",
    );
    let bob = line(&mut conn, &batch, 2);
    assert_eq!(bob.status, Status::Invalid);
    let fixed = RowDecision {
        email: Some("bob.moses@example.com".into()),
        ..decision(&bob)
    };
    decide(&mut conn, &batch, &[fixed], today(), now()).unwrap();
    let bob = line(&mut conn, &batch, 2);
    assert_eq!(bob.status, Status::NeedsReview, "{:?}", bob.reasons());
    assert_eq!(bob.matched_client_id.as_deref(), Some(robert.as_str()));
    assert_eq!(
        bob.reasons(),
        ["Possibly your client Robert Moses (a short form of the name)."]
    );
    let evidence = bob.evidence().expect("stored with the row");
    assert_eq!(
        (evidence.supports, evidence.contradicts),
        (
            vec![
                "Bob is a short form of Robert".to_string(),
                "same last name".into()
            ],
            vec!["another email".to_string()]
        )
    );
    assert_counts_agree(&mut conn, &batch);
}

#[test]
fn a_long_import_is_written_in_chunks_and_a_problem_in_its_last_row_leaves_nothing() {
    let mut conn = conn();
    let (_, scope) = provider(&mut conn, "elena@example.com");
    // Four full chunks of clients and one of audit entries, and what is left of each.
    let n: i64 = 4_321;
    let mut csv = String::from("First Name,Last Name,Email\n");
    for i in 0..n {
        csv.push_str(&format!("Client{i},Chunked,client{i}@example.com\n"));
    }
    let batch = analyse(&mut conn, &scope, &csv);
    let before = client_count(&mut conn);
    let imported_entries = |conn: &mut DbConnection| -> i64 {
        audit_events::table
            .filter(
                audit_events::action.eq(crate::models::audit::AuditAction::ClientImported.as_str()),
            )
            .count()
            .get_result(conn)
            .unwrap()
    };
    let last_email = |conn: &mut DbConnection, email: &str| {
        diesel::update(
            import_rows::table
                .filter(import_rows::batch_id.eq(batch.id.as_str()))
                .filter(import_rows::position.eq(n)),
        )
        .set(import_rows::email.eq(email))
        .execute(conn)
        .unwrap();
    };

    // The last row has the first row's email: found after four chunks were written.
    last_email(&mut conn, "client0@example.com");
    let e = commit(&mut conn, &batch, None, now()).unwrap_err();
    assert!(
        matches!(e, CommitError::Conflict(ref m) if m.contains(&format!("Row {} has the same email address as another selected row", n + 1))),
        "{e}"
    );
    assert_eq!(client_count(&mut conn), before, "nothing stays");
    assert_eq!(imported_entries(&mut conn), 0);
    assert_eq!(
        reload(&mut conn, &batch).unwrap().status,
        BatchStatus::Ready
    );

    // Put right, every row is written once, each with its audit entry.
    last_email(&mut conn, &format!("client{}@example.com", n - 1));
    let done = commit(&mut conn, &batch, None, now()).unwrap();
    assert_eq!(done.imported, n);
    assert_eq!(client_count(&mut conn), before + n);
    assert_eq!(imported_entries(&mut conn), n);
    let emails: std::collections::HashSet<String> = clients::table
        .filter(clients::last_name.eq("Chunked"))
        .select(clients::email_normalized)
        .load::<String>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(emails.len() as i64, n, "each row once");
}
