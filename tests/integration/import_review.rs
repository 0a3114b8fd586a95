//! The review page offers what the review's rules allow, and a choice it offers is the
//! choice saved: the page and the saving follow the same rules (`import::review`).

use caseload::db::schema::clients;
use diesel::prelude::*;

use crate::imports::{analysed, upload};
use crate::support::*;

/// (source row, status, position, ticked) of each row of the review.
fn rows(html: &str) -> Vec<(String, String, String, bool)> {
    let doc = scraper::Html::parse_document(html);
    let tr = scraper::Selector::parse("table.import-rows tbody tr").unwrap();
    let pos = scraper::Selector::parse("input[name=row]").unwrap();
    let tick = scraper::Selector::parse("input[name=select]").unwrap();
    doc.select(&tr)
        .map(|r| {
            (
                r.value().attr("data-row").unwrap_or("").to_string(),
                r.value().attr("data-status").unwrap_or("").to_string(),
                r.select(&pos)
                    .next()
                    .and_then(|p| p.value().attr("value"))
                    .unwrap_or("")
                    .to_string(),
                r.select(&tick)
                    .next()
                    .is_some_and(|c| c.value().attr("checked").is_some()),
            )
        })
        .collect()
}

/// A list row with missing information offers a tick box. Ticking it (without adding the
/// email yet) is a choice like any other: it is saved and shown ticked, and importing
/// names the row and imports nothing, instead of the tick vanishing without a word.
#[test]
fn a_ticked_row_with_missing_information_stays_ticked_and_the_import_names_it() {
    let app = TestApp::spawn();
    let s = app.signed_in();
    let csv = "First Name,Last Name,Email\nNia,Okafor,nia@example.com\nLee,Kim,\n";
    let batch = upload(&s, "list.csv", csv.as_bytes().to_vec());
    let html = analysed(&app, &s, &batch);
    let found = rows(&html);
    assert_eq!(
        found
            .iter()
            .map(|(r, st, ..)| (r.as_str(), st.as_str()))
            .collect::<Vec<_>>(),
        [("2", "new"), ("3", "invalid")]
    );
    let (nia, lee) = (found[0].2.clone(), found[1].2.clone());
    assert_eq!(
        select_attr(
            &html,
            &format!("input[name=select][value=\"{lee}\"]"),
            "type"
        ),
        ["checkbox"],
        "the page offers a tick box for the row with missing information"
    );

    let r = s.post_raw(
        &format!("{batch}/review"),
        &csrf_in(&html),
        &[
            ("row", &nia),
            ("row", &lee),
            ("select", &nia),
            ("select", &lee),
            ("action", "save"),
        ],
    );
    assert_eq!(r.status().as_u16(), 303);
    let (_, html) = s.get_text(&batch);
    let after = rows(&html);
    assert!(after[1].3, "the tick is saved as ticked: {after:?}");
    assert!(
        html.contains("<strong data-selected-count>2</strong>"),
        "{html}"
    );

    let r = s.post_raw(
        &format!("{batch}/review"),
        &csrf_in(&html),
        &[
            ("row", &nia),
            ("row", &lee),
            ("select", &nia),
            ("select", &lee),
            ("action", "import"),
        ],
    );
    assert_eq!(r.status().as_u16(), 409);
    let page = r.text().unwrap();
    assert!(
        page.contains("Row 3 lacks a valid name or email address."),
        "{page}"
    );
    let n: i64 = clients::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0, "nothing was imported");

    // Adding the email then imports both.
    let r = s.post_raw(
        &format!("{batch}/review"),
        &csrf_in(&page),
        &[
            ("row", &nia),
            ("row", &lee),
            ("select", &nia),
            ("select", &lee),
            (&format!("email-{lee}"), "lee@example.com"),
            ("action", "import"),
        ],
    );
    assert_eq!(r.status().as_u16(), 303);
    let (_, done) = s.get_text(&batch);
    assert_eq!(select_text(&done, "[data-count=imported]"), ["2"], "{done}");
}
