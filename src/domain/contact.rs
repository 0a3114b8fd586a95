//! A client's contact as the provider enters it: a parent or guardian, a partner, an
//! emergency contact. Whether they receive the client's emails and act for them in the
//! portal is theirs to set; a parent added with a child comes with both.

use super::client::FieldErrors;
use super::email::Email;
use super::name::optional_text;
use super::phone::Phone;

/// How a contact is related to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum Relationship {
    ParentGuardian,
    Partner,
    Emergency,
    Other,
}

impl Relationship {
    pub fn all() -> impl Iterator<Item = Relationship> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ParentGuardian => "parent_guardian",
            Self::Partner => "partner",
            Self::Emergency => "emergency",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::all().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ParentGuardian => "Parent or guardian",
            Self::Partner => "Partner",
            Self::Emergency => "Emergency contact",
            Self::Other => "Other",
        }
    }
}

/// A contact's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactDetails {
    pub name: String,
    pub relationship: Relationship,
    pub email: Option<Email>,
    pub phone: Option<String>,
    pub receives_emails: bool,
    pub acts_for: bool,
}

/// A contact's fields as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ContactInput {
    pub name: String,
    pub relationship: String,
    pub email: String,
    pub phone: String,
    pub receives_emails: Option<String>,
    pub acts_for: Option<String>,
    pub version: i64,
}

impl ContactInput {
    /// Nothing typed (an optional section left empty).
    pub fn is_empty(&self) -> bool {
        [&self.name, &self.email, &self.phone]
            .iter()
            .all(|f| f.trim().is_empty())
    }
}

/// The names of a form's contact fields, which its errors are keyed by.
pub struct Fields {
    pub name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
}

/// The contact form's own fields.
pub const CONTACT_FIELDS: Fields = Fields {
    name: "name",
    email: "email",
    phone: "phone",
};

/// The Add-client form's parent or guardian section.
pub const GUARDIAN_FIELDS: Fields = Fields {
    name: "guardian_name",
    email: "guardian_email",
    phone: "guardian_phone",
};

impl ContactDetails {
    /// Checks the fields; errors are keyed by the form's field names.
    pub fn parse(input: &ContactInput, fields: &Fields) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = match optional_text(&input.name, "name", 200) {
            Ok(Some(n)) => Some(n),
            Ok(None) => {
                errors.insert(fields.name, "Enter their name.".into());
                None
            }
            Err(e) => {
                errors.insert(fields.name, e);
                None
            }
        };
        let relationship =
            Relationship::parse(&input.relationship).unwrap_or(Relationship::ParentGuardian);
        let email = match input.email.trim() {
            "" => None,
            typed => Email::parse(typed)
                .map_err(|e| errors.insert(fields.email, e.to_string()))
                .ok(),
        };
        let phone = Phone::parse(&input.phone)
            .map_err(|e| errors.insert(fields.phone, e.to_string()))
            .ok()
            .flatten()
            .map(|p| p.typed);
        let receives_emails = input.receives_emails.is_some();
        let acts_for = input.acts_for.is_some();
        if (receives_emails || acts_for) && email.is_none() && !errors.contains_key(fields.email) {
            errors.insert(
                fields.email,
                "Enter their email: it is how they receive the client's emails and sign in to act for them (or untick those boxes).".into(),
            );
        }
        match name {
            Some(name) if errors.is_empty() => Ok(ContactDetails {
                name,
                relationship,
                email,
                phone,
                receives_emails,
                acts_for,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, email: &str, receives: bool) -> ContactInput {
        ContactInput {
            name: name.into(),
            relationship: "parent_guardian".into(),
            email: email.into(),
            receives_emails: receives.then(|| "on".into()),
            acts_for: receives.then(|| "on".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_contact_who_receives_emails_needs_an_email_and_everyone_a_name() {
        let ok = ContactDetails::parse(
            &input("Maria Okafor", "Okafor.Family@example.com", true),
            &GUARDIAN_FIELDS,
        )
        .unwrap();
        assert_eq!(ok.email.unwrap().normalized(), "okafor.family@example.com");
        assert_eq!(ok.relationship, Relationship::ParentGuardian);
        let e =
            ContactDetails::parse(&input("Maria Okafor", "", true), &GUARDIAN_FIELDS).unwrap_err();
        assert!(e["guardian_email"].starts_with("Enter their email"));
        let e = ContactDetails::parse(&input(" ", "a@example.com", false), &CONTACT_FIELDS)
            .unwrap_err();
        assert_eq!(e["name"], "Enter their name.");
        // An emergency contact with a phone only is fine.
        let phone_only = ContactInput {
            name: "Sam Lee".into(),
            relationship: "emergency".into(),
            phone: "(415) 555-0100".into(),
            ..Default::default()
        };
        let c = ContactDetails::parse(&phone_only, &CONTACT_FIELDS).unwrap();
        assert_eq!(c.relationship, Relationship::Emergency);
        assert!(c.email.is_none() && !c.acts_for);
        assert!(ContactInput::default().is_empty());
    }
}
