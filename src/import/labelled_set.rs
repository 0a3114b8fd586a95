//! The labelled matching set (tests/fixtures/matching, made by its generate.py): a
//! provider's list of 1,300 clients and an incoming list of 1,080 rows with the changes
//! real lists carry, each row labelled with its kind of change and the client it truly
//! is. The incoming file goes through the real reader and the matcher; the figures per
//! kind are printed (`cargo test --lib labelled -- --nocapture`) and the goals asserted:
//! at least 90% of true matches existing automatically, no wrong automatic match, no
//! family member matched automatically.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;

use super::extract::{extract, ExtractOptions};
use super::matching::{review, ExistingClient, Status};

fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests/fixtures/matching", name]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The provider's list: id, first name, last name, email, date of birth, phone digits.
fn list() -> Vec<ExistingClient> {
    fixture("list.csv")
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            ExistingClient {
                id: f[0].into(),
                first_name: f[1].into(),
                last_name: f[2].into(),
                email_normalized: f[3].into(),
                date_of_birth: NaiveDate::parse_from_str(f[4], "%Y-%m-%d").ok(),
                phone_digits: Some(f[5].to_string()).filter(|p| !p.is_empty()),
            }
        })
        .collect()
}

/// Each incoming row's (kind of change, the client it truly is), by row number.
fn labels() -> BTreeMap<usize, (String, Option<String>)> {
    fixture("labels.csv")
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let row = f[0].parse().unwrap();
            (
                row,
                (
                    f[1].to_string(),
                    Some(f[2].to_string()).filter(|c| !c.is_empty()),
                ),
            )
        })
        .collect()
}

/// What one kind of change came to.
#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    rows: usize,
    /// True matches: rows that are a client of the list.
    true_matches: usize,
    /// Existing, and the right client.
    automatic: usize,
    review: usize,
    /// Needs review with the right client as its best candidate.
    review_right_client: usize,
    /// Existing, and not the client the row is (or a row that is nobody on the list).
    wrong_automatic: usize,
    family_automatic: usize,
}

#[test]
fn the_labelled_set_is_matched_with_no_mistake_and_few_rows_to_review() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let file = fixture("incoming.csv");
    let x = extract(file.as_bytes(), &ExtractOptions::default(), today).unwrap();
    let (list, labels) = (list(), labels());
    assert!(x.candidates.len() >= 1_000 && x.candidates.len() == labels.len());
    let out = review(x.candidates, &list);

    let mut by_kind: BTreeMap<String, Figures> = BTreeMap::new();
    for r in &out {
        let (kind, truth) = &labels[&r.candidate.row];
        let f = by_kind.entry(kind.clone()).or_default();
        f.rows += 1;
        f.true_matches += usize::from(truth.is_some());
        let right = truth.is_some() && r.matched_client_id == *truth;
        match r.status {
            Status::Existing if right => f.automatic += 1,
            Status::Existing => {
                f.wrong_automatic += 1;
                f.family_automatic += usize::from(kind.starts_with("family"));
            }
            Status::NeedsReview => {
                f.review += 1;
                f.review_right_client += usize::from(right);
            }
            _ => {}
        }
    }

    println!(
        "\n{:<34} {:>5} {:>6} {:>10} {:>7} {:>13} {:>6} {:>7}",
        "kind of change", "rows", "true", "automatic", "review", "review: right", "wrong", "family"
    );
    let mut total = Figures::default();
    for (kind, f) in &by_kind {
        println!(
            "{kind:<34} {:>5} {:>6} {:>10} {:>7} {:>13} {:>6} {:>7}",
            f.rows,
            f.true_matches,
            f.automatic,
            f.review,
            f.review_right_client,
            f.wrong_automatic,
            f.family_automatic
        );
        total.rows += f.rows;
        total.true_matches += f.true_matches;
        total.automatic += f.automatic;
        total.review += f.review;
        total.review_right_client += f.review_right_client;
        total.wrong_automatic += f.wrong_automatic;
        total.family_automatic += f.family_automatic;
    }
    // A row with no email is never imported as it is: it is offered for review as the
    // client it matches, so it counts apart from the automatic recall.
    let no_email = by_kind
        .get("no email (offered for review)")
        .copied()
        .unwrap_or_default();
    let can_be_automatic = total.true_matches - no_email.true_matches;
    let recall = total.automatic as f64 / can_be_automatic as f64;
    println!(
        "{:<34} {:>5} {:>6} {:>10} {:>7} {:>13} {:>6} {:>7}",
        "all",
        total.rows,
        total.true_matches,
        total.automatic,
        total.review,
        total.review_right_client,
        total.wrong_automatic,
        total.family_automatic
    );
    println!(
        "true matches recognised automatically: {:.1}% of {can_be_automatic} (rows with an email); rows in review: {:.1}%; no-email rows offered as the right client: {} of {}",
        100.0 * recall,
        100.0 * total.review as f64 / total.rows as f64,
        no_email.review_right_client,
        no_email.rows
    );
    assert_eq!(total.wrong_automatic, 0, "no wrong automatic match");
    assert_eq!(
        total.family_automatic, 0,
        "no family member matched automatically"
    );
    assert!(recall >= 0.9, "recall {recall:.3}");
    assert_eq!(
        no_email.review_right_client, no_email.rows,
        "every row with no email is offered as its client"
    );
}
