//! The emails of measurement-based care: questionnaires to answer (and the one reminder),
//! to the client; a risk alert, to the provider — which names no client and no answer,
//! since email is not a private channel.

use super::{render, Parts, Reader, Rendered};

/// "1 short questionnaire" / "2 short questionnaires".
fn how_many(count: usize) -> String {
    crate::domain::plural::count(count, "short questionnaire", "short questionnaires")
}

pub fn request(
    practice: &str,
    reader: &Reader,
    count: usize,
    until: &str,
    link: &str,
) -> Result<Rendered, askama::Error> {
    reader.render(Parts {
        subject: format!("Questionnaires from {practice}"),
        greeting: reader.greeting(),
        paragraphs: vec![
            format!(
                "{practice} asks you to answer {} before your next session. It takes a few minutes; your answers are saved as you go.",
                how_many(count)
            ),
            format!("The link works until {until}."),
        ],
        action_label: "Answer the questions",
        action_url: Some(link.to_string()),
        after: vec!["Only you and your provider see your answers.".to_string()],
        signature: practice.to_string(),
    })
}

pub fn reminder(
    practice: &str,
    reader: &Reader,
    count: usize,
    until: &str,
    link: &str,
) -> Result<Rendered, askama::Error> {
    reader.render(Parts {
        subject: format!("Reminder: questionnaires from {practice}"),
        greeting: reader.greeting(),
        paragraphs: vec![
            format!(
                "A reminder: {practice} asked you to answer {}, and they are not finished yet.",
                how_many(count)
            ),
            format!("The link works until {until}."),
        ],
        action_label: "Answer the questions",
        action_url: Some(link.to_string()),
        after: vec![],
        signature: practice.to_string(),
    })
}

pub fn risk_alert(provider_first_name: &str, link: &str) -> Result<Rendered, askama::Error> {
    render(Parts {
        subject: "A questionnaire answer needs your attention".to_string(),
        greeting: format!("Hello {provider_first_name},"),
        paragraphs: vec![
            "A client answered the question about thoughts of self-harm with more than \"Not at all\". Caseload shows an alert on their record until you resolve it.".to_string(),
            "This email names no one. Sign in to see who it is and their answers.".to_string(),
        ],
        action_label: "Open the client's record",
        action_url: Some(link.to_string()),
        after: vec![],
        signature: "Caseload".to_string(),
    })
}
