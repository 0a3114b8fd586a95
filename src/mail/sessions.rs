//! The emails about a client's sessions: a reminder before each, and a notice when one is
//! moved or cancelled. Every time is written in the client's zone, with the zone named.

use super::{Parts, Reader, Rendered};

/// One session as the client reads it.
pub struct SessionLine {
    /// "Tuesday, December 8, 2026 at 10:00 EST".
    pub when: String,
    pub service: String,
}

/// Sent before a session (the reminder job decides when: never in the client's night);
/// `cost` is the session's estimated cost to the client, when there is one.
pub fn reminder(
    practice: &str,
    reader: &Reader,
    session: &SessionLine,
    (place, cost): (Option<&str>, Option<&str>),
    portal: &str,
    calendar_file_attached: bool,
) -> Result<Rendered, askama::Error> {
    let mut paragraphs = vec![format!(
        "This is a reminder of your {} with {practice} on {}.",
        session.service, session.when
    )];
    paragraphs.extend(place.map(str::to_string));
    paragraphs.extend(cost.map(|c| format!("Estimated cost to you: {c}.")));
    if calendar_file_attached {
        paragraphs.push("The calendar file attached adds it to your calendar.".to_string());
    }
    reader.render(Parts {
        subject: format!("Reminder: your session with {practice} on {}", session.when),
        greeting: reader.greeting(),
        paragraphs,
        action_label: "See your sessions",
        action_url: Some(portal.to_string()),
        after: vec![
            "If you cannot come, please let your provider know as early as you can.".to_string(),
        ],
        signature: practice.to_string(),
    })
}

/// Sent when the provider moves one or more sessions: each old time and its new one.
pub fn moved(
    practice: &str,
    reader: &Reader,
    changes: &[(SessionLine, SessionLine)],
    place: Option<&str>,
    portal: &str,
) -> Result<Rendered, askama::Error> {
    let mut paragraphs = match changes {
        [(old, new)] => vec![format!(
            "Your {} with {practice} on {} has moved to {}.",
            old.service, old.when, new.when
        )],
        _ => {
            let mut p = vec![format!(
                "{} of your sessions with {practice} have moved:",
                changes.len()
            )];
            p.extend(
                changes
                    .iter()
                    .take(MAX_LISTED)
                    .map(|(old, new)| format!("{} → {}", old.when, new.when)),
            );
            if changes.len() > MAX_LISTED {
                p.push(format!(
                    "… and {} more; the portal lists them all.",
                    changes.len() - MAX_LISTED
                ));
            }
            p
        }
    };
    paragraphs.extend(place.map(str::to_string));
    reader.render(Parts {
        subject: format!("Your session time with {practice} has changed"),
        greeting: reader.greeting(),
        paragraphs,
        action_label: "See your sessions",
        action_url: Some(portal.to_string()),
        after: vec!["If the new time does not suit you, please contact your provider.".to_string()],
        signature: practice.to_string(),
    })
}

/// Sent when sessions are cancelled (by the provider, or recorded as cancelled by the
/// client); `fee` names a late-cancellation fee the policy charges.
pub fn cancelled(
    practice: &str,
    reader: &Reader,
    sessions: &[SessionLine],
    fee: Option<&str>,
    portal: &str,
) -> Result<Rendered, askama::Error> {
    let mut paragraphs = match sessions {
        [one] => vec![format!(
            "Your {} with {practice} on {} is cancelled.",
            one.service, one.when
        )],
        _ => {
            let mut p = vec![format!(
                "{} of your sessions with {practice} are cancelled:",
                sessions.len()
            )];
            p.extend(sessions.iter().take(MAX_LISTED).map(|s| s.when.clone()));
            if sessions.len() > MAX_LISTED {
                p.push(format!("… and {} more.", sessions.len() - MAX_LISTED));
            }
            p
        }
    };
    if let Some(fee) = fee {
        paragraphs.push(format!(
            "It was cancelled with less notice than the practice's cancellation policy asks, so a late-cancellation fee of {fee} applies."
        ));
    }
    reader.render(Parts {
        subject: format!("Your session with {practice} is cancelled"),
        greeting: reader.greeting(),
        paragraphs,
        action_label: "See your sessions",
        action_url: Some(portal.to_string()),
        after: vec!["To book another time, contact your provider.".to_string()],
        signature: practice.to_string(),
    })
}

/// Sent when the provider accepts a time asked for through the booking link.
pub fn request_accepted(
    practice: &str,
    reader: &Reader,
    session: &SessionLine,
    place: Option<&str>,
    portal: &str,
) -> Result<Rendered, askama::Error> {
    let mut paragraphs = vec![format!(
        "{practice} accepted your request: your {} is booked for {}.",
        session.service, session.when
    )];
    paragraphs.extend(place.map(str::to_string));
    paragraphs.push("The calendar file attached adds it to your calendar.".to_string());
    reader.render(Parts {
        subject: format!(
            "Your session with {practice} is booked for {}",
            session.when
        ),
        greeting: reader.greeting(),
        paragraphs,
        action_label: "See your sessions",
        action_url: Some(portal.to_string()),
        after: vec![
            "If you cannot come, please let your provider know as early as you can.".to_string(),
        ],
        signature: practice.to_string(),
    })
}

/// Sent when the provider declines a requested time (or accepts another request for it);
/// `book_again` is the booking link, to pick another time.
pub fn request_declined(
    practice: &str,
    reader: &Reader,
    session: &SessionLine,
    reason: Option<&str>,
    book_again: Option<&str>,
) -> Result<Rendered, askama::Error> {
    let mut paragraphs = vec![format!(
        "{practice} cannot see you at the time you asked for, {}.",
        session.when
    )];
    paragraphs.extend(reason.map(|r| format!("Their note: {r}")));
    let action_label = if book_again.is_some() {
        paragraphs.push("You are welcome to choose another time.".to_string());
        "Choose another time"
    } else {
        paragraphs.push("Please contact the practice to find another time.".to_string());
        ""
    };
    reader.render(Parts {
        subject: format!("Your requested time with {practice} is not available"),
        greeting: reader.greeting(),
        paragraphs,
        action_label,
        action_url: book_again.map(str::to_string),
        after: vec![],
        signature: practice.to_string(),
    })
}

/// Sent when the provider books a session or a series: every date (a series' in one
/// email), each in the client's zone, with the calendar file that adds them all.
pub fn scheduled(
    practice: &str,
    reader: &Reader,
    sessions: &[SessionLine],
    place: Option<&str>,
    portal: &str,
) -> Result<Rendered, askama::Error> {
    let (subject, mut paragraphs) = match sessions {
        [one] => (
            format!("Your session with {practice} is booked for {}", one.when),
            vec![format!(
                "{practice} booked your {} for {}.",
                one.service, one.when
            )],
        ),
        _ => {
            let first = sessions
                .first()
                .map(|s| s.when.as_str())
                .unwrap_or_default();
            let mut p = vec![format!(
                "{practice} booked {} sessions for you ({}), at these times:",
                sessions.len(),
                sessions
                    .first()
                    .map(|s| s.service.as_str())
                    .unwrap_or("session"),
            )];
            p.extend(sessions.iter().map(|s| s.when.clone()));
            (
                format!(
                    "{} sessions with {practice} are booked, from {first}",
                    sessions.len()
                ),
                p,
            )
        }
    };
    paragraphs.extend(place.map(str::to_string));
    paragraphs.push(
        match sessions.len() {
            1 => "The calendar file attached adds it to your calendar.",
            _ => "The calendar file attached adds them all to your calendar.",
        }
        .to_string(),
    );
    reader.render(Parts {
        subject,
        greeting: reader.greeting(),
        paragraphs,
        action_label: "See your sessions",
        action_url: Some(portal.to_string()),
        after: vec![
            "If you cannot come, please let your provider know as early as you can.".to_string(),
        ],
        signature: practice.to_string(),
    })
}

/// Sent to the provider when someone asks for a time through the booking link: it names
/// no one (sign in to see who), only the time, in the provider's zone.
pub fn request_arrived(
    provider_first_name: &str,
    when: &str,
    link: &str,
) -> Result<Rendered, askama::Error> {
    super::render(Parts {
        subject: format!("A booking request for {when}"),
        greeting: format!("Hello {provider_first_name},"),
        paragraphs: vec![
            format!("Someone asked for {when} through your booking link. The time is held for them until you accept or decline it."),
            "This email names no one. Sign in to see who asked, and to answer.".to_string(),
        ],
        action_label: "See the booking requests",
        action_url: Some(link.to_string()),
        after: vec!["To stop these emails, untick “Email me when a booking request arrives” in Settings → Calendar.".to_string()],
        signature: "Caseload".to_string(),
    })
}

/// How many sessions one email lists by date before it counts the rest.
const MAX_LISTED: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    fn line(when: &str) -> SessionLine {
        SessionLine {
            when: when.into(),
            service: "Psychotherapy, 45 minutes".into(),
        }
    }

    #[test]
    fn a_move_names_the_old_and_new_time_and_a_long_one_counts_the_rest() {
        let one = moved(
            "Rivera Counseling",
            &Reader::client("Jo"),
            &[(
                line("Tue Dec 8 at 10:00 EST"),
                line("Wed Dec 9 at 11:00 EST"),
            )],
            Some("By video: https://meet.example.com/r"),
            "https://c.example/portal/login",
        )
        .unwrap();
        assert!(one
            .text
            .contains("on Tue Dec 8 at 10:00 EST has moved to Wed Dec 9 at 11:00 EST"));
        assert!(one.text.contains("https://meet.example.com/r"));
        let many: Vec<_> = (0..20)
            .map(|i| (line(&format!("old {i}")), line(&format!("new {i}"))))
            .collect();
        let m = moved("P", &Reader::client("Jo"), &many, None, "u").unwrap();
        assert!(m.text.contains("20 of your sessions"));
        assert!(m.text.contains("old 11 → new 11") && !m.text.contains("old 12 →"));
        assert!(m.text.contains("… and 8 more"));
    }

    #[test]
    fn a_late_cancellation_says_which_fee_applies() {
        let c = cancelled(
            "P",
            &Reader::client("Jo"),
            &[line("Tue Dec 8 at 10:00 EST")],
            Some("$75.00"),
            "u",
        )
        .unwrap();
        assert!(c.text.contains("is cancelled") && c.text.contains("fee of $75.00"));
        let plain = cancelled("P", &Reader::client("Jo"), &[line("x")], None, "u").unwrap();
        assert!(!plain.text.contains("fee"));
    }

    #[test]
    fn a_declined_request_offers_the_booking_link_when_there_is_one() {
        let when = line("Tue Dec 8 at 10:00 EST");
        let again = request_declined(
            "P",
            &Reader::client("Jo"),
            &when,
            Some("I am away"),
            Some("https://c/book/x"),
        )
        .unwrap();
        assert!(again
            .text
            .contains("at the time you asked for, Tue Dec 8 at 10:00 EST"));
        assert!(again.text.contains("Their note: I am away"));
        assert!(again.text.contains("https://c/book/x"));
        let no_link = request_declined("P", &Reader::client("Jo"), &when, None, None).unwrap();
        assert!(no_link.text.contains("Please contact the practice"));
        let yes =
            request_accepted("P", &Reader::client("Jo"), &when, Some("At 1 Elm St"), "u").unwrap();
        assert!(yes.text.contains("is booked for Tue Dec 8 at 10:00 EST"));
        assert!(yes.text.contains("At 1 Elm St"));
    }
}
