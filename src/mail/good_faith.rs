//! The email that tells a client a Good Faith Estimate is in their portal.

use super::{Parts, Reader, Rendered};

pub fn issued(
    practice: &str,
    reader: &Reader,
    total: &str,
    covers: &str,
    link: &str,
) -> Result<Rendered, askama::Error> {
    reader.render(Parts {
        subject: format!("Your Good Faith Estimate from {practice}"),
        greeting: reader.greeting(),
        paragraphs: vec![
            format!("{practice} has given you a Good Faith Estimate of the cost of your care from {covers}: {total} in all."),
            "It is in your portal, as a page and a PDF to keep. Please open it and confirm that you received it.".to_string(),
        ],
        action_label: "See your estimate",
        action_url: Some(link.to_string()),
        after: vec!["If a bill comes to $400 or more above this estimate, you may dispute it; the estimate says how.".to_string()],
        signature: practice.to_string(),
    })
}
