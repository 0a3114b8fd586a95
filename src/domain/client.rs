//! A client's details as a provider enters them, parsed from form text into checked values.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::billing::BillingType;
use super::email::Email;
use super::instrument::Instrument;
use super::measure_schedule::Frequency;
use super::name::{optional_text, PersonName};
use super::phone::Phone;
use super::us_states::state_name;

/// Raw text as it came from a form; kept to re-render the form with what was typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ClientInput {
    pub first_name: String,
    pub last_name: String,
    /// What the client goes by, when it is not their first name.
    pub preferred_name: String,
    pub email: String,
    pub phone: String,
    pub billing_type: String,
    pub insurance_company: String,
    pub insurance_member_id: String,
    pub date_of_birth: String,
    pub telehealth_state: String,
    /// "on" when the provider marks the client a minor (a date of birth under 18 makes one
    /// anyway).
    pub minor: Option<String>,
    /// Only on the new-client form: a parent or guardian (or another contact) who acts for
    /// the client — how a child without an email of their own is added.
    pub guardian_name: String,
    pub guardian_relationship: String,
    pub guardian_email: String,
    pub guardian_phone: String,
    /// Only on the new-client form: "on" when the client is to be emailed.
    pub notify: Option<String>,
    /// Only on the new-client form: questionnaire codes ticked, and how often to send them.
    pub assessments: Vec<String>,
    pub assessment_frequency: String,
    /// Only on the edit form: the version of the details it was made from …
    pub version: Option<i64>,
    /// … and the values it showed then (`client_edit::DetailValues::to_form`).
    pub shown: String,
}

#[derive(Debug, Clone)]
pub struct ClientDetails {
    pub first_name: PersonName,
    pub last_name: PersonName,
    /// What the client goes by ("Bob" for Robert), shown beside their name.
    pub preferred_name: Option<String>,
    /// `None`: the client has no email of their own (a contact acts for them).
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    /// `None`: not set (an import whose file did not say); the client or provider sets it.
    pub billing_type: Option<BillingType>,
    pub insurance_company: Option<String>,
    pub insurance_member_id: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub telehealth_state: Option<String>,
    /// Marked a minor by the provider.
    pub minor: bool,
}

impl ClientDetails {
    /// The email as stored and compared: empty when there is none.
    pub fn email_normalized(&self) -> &str {
        self.email.as_ref().map_or("", |e| e.normalized())
    }
}

/// A message per form field, keyed by the field's name.
pub type FieldErrors = BTreeMap<&'static str, String>;

impl ClientDetails {
    pub fn parse(input: &ClientInput, today: NaiveDate) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let first_name = PersonName::parse(&input.first_name, "first name")
            .map_err(|e| errors.insert("first_name", e))
            .ok();
        let last_name = PersonName::parse(&input.last_name, "last name")
            .map_err(|e| errors.insert("last_name", e))
            .ok();
        let preferred_name = optional_text(&input.preferred_name, "preferred name", 80)
            .map_err(|e| errors.insert("preferred_name", e))
            .ok()
            .flatten();
        // Empty is allowed here; whether the client may go without one is the use case's
        // rule (a contact must act for them).
        let email = match input.email.trim() {
            "" => Some(None),
            typed => Email::parse(typed)
                .map(Some)
                .map_err(|e| errors.insert("email", e.to_string()))
                .ok(),
        };
        let phone = Phone::parse(&input.phone)
            .map_err(|e| errors.insert("phone", e.to_string()))
            .ok()
            .flatten();
        let billing_type = match BillingType::parse(input.billing_type.trim()) {
            Some(b) => Some(b),
            None => {
                errors.insert("billing_type", "Choose insurance or private pay.".into());
                None
            }
        };
        let insurance_company = optional_text(&input.insurance_company, "insurance company", 200)
            .map_err(|e| errors.insert("insurance_company", e))
            .ok()
            .flatten();
        let insurance_member_id = optional_text(&input.insurance_member_id, "member ID", 80)
            .map_err(|e| errors.insert("insurance_member_id", e))
            .ok()
            .flatten();
        let date_of_birth = parse_date_of_birth(&input.date_of_birth, today)
            .map_err(|e| errors.insert("date_of_birth", e.to_string()))
            .ok()
            .flatten();
        let state = input.telehealth_state.trim().to_ascii_uppercase();
        let telehealth_state = if state.is_empty() {
            None
        } else if state_name(&state).is_some() {
            Some(state)
        } else {
            errors.insert(
                "telehealth_state",
                "Choose a US state from the list.".into(),
            );
            None
        };
        match (first_name, last_name, email, billing_type) {
            (Some(first_name), Some(last_name), Some(email), Some(billing_type))
                if errors.is_empty() =>
            {
                let private = billing_type == BillingType::PrivatePay;
                Ok(Self {
                    first_name,
                    last_name,
                    preferred_name,
                    email,
                    phone,
                    billing_type: Some(billing_type),
                    // Private-pay clients have no insurance on file, whatever the form held.
                    insurance_company: if private { None } else { insurance_company },
                    insurance_member_id: if private { None } else { insurance_member_id },
                    date_of_birth,
                    telehealth_state,
                    minor: input.minor.is_some(),
                })
            }
            _ => Err(errors),
        }
    }
}

/// A date of birth from a date input (YYYY-MM-DD) or typed as MM/DD/YYYY.
pub fn parse_date_of_birth(
    input: &str,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, &'static str> {
    let t = input.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%m/%d/%Y"))
        .map_err(|_| "Enter the date of birth as MM/DD/YYYY, for example 03/14/1985.")?;
    if date > today {
        return Err("The date of birth is in the future. Check the year.");
    }
    if date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(date) {
        return Err("The date of birth is before 1900. Check the year.");
    }
    Ok(Some(date))
}

/// The questionnaires ticked on the form, each at the frequency chosen (once when none
/// reads); unknown codes are ignored.
pub fn parse_assessments(codes: &[String], frequency: &str) -> Vec<(String, Frequency)> {
    let frequency = Frequency::parse(frequency).unwrap_or(Frequency::Once);
    let mut out: Vec<(String, Frequency)> = Vec::new();
    for code in codes {
        if let Some(i) = Instrument::find(code) {
            if !out.iter().any(|(c, _)| *c == i.code) {
                out.push((i.code, frequency));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn input() -> ClientInput {
        ClientInput {
            first_name: " Ada ".into(),
            last_name: "Lovelace".into(),
            email: "ada@example.com".into(),
            phone: "(415) 555-2671".into(),
            billing_type: "insurance".into(),
            insurance_company: "Aetna".into(),
            insurance_member_id: "W123".into(),
            date_of_birth: "1985-03-14".into(),
            telehealth_state: "ca".into(),
            ..Default::default()
        }
    }

    #[test]
    fn parses_a_complete_form() {
        let d = ClientDetails::parse(&input(), today()).unwrap();
        assert_eq!(d.first_name.as_str(), "Ada");
        assert_eq!(d.telehealth_state.as_deref(), Some("CA"));
        assert_eq!(d.date_of_birth, NaiveDate::from_ymd_opt(1985, 3, 14));
        assert_eq!(d.insurance_company.as_deref(), Some("Aetna"));
    }

    #[test]
    fn reports_every_bad_field() {
        let bad = ClientInput {
            first_name: "".into(),
            email: "nope".into(),
            billing_type: "".into(),
            date_of_birth: "2099-01-01".into(),
            telehealth_state: "XX".into(),
            ..input()
        };
        let errors = ClientDetails::parse(&bad, today()).unwrap_err();
        let fields: Vec<_> = errors.keys().copied().collect();
        assert_eq!(
            fields,
            [
                "billing_type",
                "date_of_birth",
                "email",
                "first_name",
                "telehealth_state"
            ]
        );
    }

    #[test]
    fn private_pay_drops_insurance() {
        let d = ClientDetails::parse(
            &ClientInput {
                billing_type: "private_pay".into(),
                ..input()
            },
            today(),
        )
        .unwrap();
        assert_eq!(d.insurance_company, None);
        assert_eq!(d.insurance_member_id, None);
    }

    #[test]
    fn us_dates_are_accepted() {
        assert_eq!(
            parse_date_of_birth("03/14/1985", today()),
            Ok(NaiveDate::from_ymd_opt(1985, 3, 14))
        );
        assert!(parse_date_of_birth("1899-12-31", today()).is_err());
    }
}

/// Whole years of age on `today` of someone born on `born`.
pub fn age_on(born: NaiveDate, today: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod age_tests {
    use super::*;

    #[test]
    fn age_turns_on_the_birthday_and_a_leap_day_birthday_on_march_first() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(age_on(d(2008, 12, 7), d(2026, 12, 6)), 17);
        assert_eq!(age_on(d(2008, 12, 7), d(2026, 12, 7)), 18);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), 17);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 3, 1)), 18);
    }
}
