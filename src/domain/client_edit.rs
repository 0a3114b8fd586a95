//! Two people editing one client's details: which fields an edit changed, and what to show
//! when a form was made from details that have changed since.
//!
//! The edit form carries the values it showed (`shown`) and the version they were read at.
//! A save from an older version is refused; this module then works out, field by field,
//! what the other person changed, what this person changed, and a form that keeps both
//! where they do not collide.

use serde::{Deserialize, Serialize};

use super::client::ClientInput;

/// The fields of a client's details, as the edit form names and labels them, in its order.
pub const DETAIL_FIELDS: [(&str, &str); 10] = [
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("telehealth_state", "Telehealth location"),
    ("billing_type", "Billing"),
    ("insurance_company", "Insurance company"),
    ("insurance_member_id", "Member ID"),
    ("date_of_birth", "Date of birth"),
    ("preferred_name", "Preferred name"),
];

/// The text of each detail field, in `DETAIL_FIELDS` order: what a form showed, or what is
/// on file now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailValues(pub [String; 10]);

impl DetailValues {
    pub fn of(input: &ClientInput) -> Self {
        Self(
            [
                &input.first_name,
                &input.last_name,
                &input.email,
                &input.phone,
                &input.telehealth_state,
                &input.billing_type,
                &input.insurance_company,
                &input.insurance_member_id,
                &input.date_of_birth,
                &input.preferred_name,
            ]
            .map(|v| v.trim().to_string()),
        )
    }

    /// Writes these values into a form's input, leaving its other fields as they are.
    pub fn apply_to(&self, input: &mut ClientInput) {
        let [first, last, email, phone, state, billing, company, member, dob, preferred] =
            self.0.clone();
        input.first_name = first;
        input.last_name = last;
        input.preferred_name = preferred;
        input.email = email;
        input.phone = phone;
        input.telehealth_state = state;
        input.billing_type = billing;
        input.insurance_company = company;
        input.insurance_member_id = member;
        input.date_of_birth = dob;
    }

    /// For the form's hidden field; read back by [`DetailValues::from_form`].
    pub fn to_form(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `None` when the field is missing or was tampered with.
    pub fn from_form(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// The labels of the fields whose text differs between `a` and `b`.
pub fn changed_fields(a: &DetailValues, b: &DetailValues) -> Vec<&'static str> {
    DETAIL_FIELDS
        .iter()
        .zip(a.0.iter().zip(b.0.iter()))
        .filter(|(_, (x, y))| x != y)
        .map(|((_, label), _)| *label)
        .collect()
}

/// One field someone else changed while the form was open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub label: &'static str,
    pub shown: String,
    pub now: String,
    /// This person changed the field too, to something else: their value is in the form,
    /// and they must decide.
    pub clash: Option<String>,
}

/// What a refused (stale) save shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditConflict {
    /// The fields changed by someone else since the form was made.
    pub changed_meanwhile: Vec<FieldChange>,
    /// The labels of the fields this person changed.
    pub yours: Vec<&'static str>,
    /// The values for a new form: what is on file now, with this person's changes re-applied.
    pub merged: DetailValues,
}

/// Compares what the form showed, what was submitted and what is on file now.
pub fn reconcile(
    shown: &DetailValues,
    submitted: &DetailValues,
    now: &DetailValues,
) -> EditConflict {
    let mut changed_meanwhile = Vec::new();
    let mut yours = Vec::new();
    let mut merged = now.clone();
    for (i, (field, label)) in DETAIL_FIELDS.iter().enumerate() {
        let (s, sub, n) = (&shown.0[i], &submitted.0[i], &now.0[i]);
        let mine = sub != s;
        if mine {
            yours.push(*label);
            merged.0[i] = sub.clone();
        }
        if n != s {
            changed_meanwhile.push(FieldChange {
                field,
                label,
                shown: s.clone(),
                now: n.clone(),
                clash: (mine && sub != n).then(|| sub.clone()),
            });
        }
    }
    EditConflict {
        changed_meanwhile,
        yours,
        merged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(usize, &str)]) -> DetailValues {
        let mut v = DetailValues(std::array::from_fn(|i| format!("v{i}")));
        for (i, s) in pairs {
            v.0[*i] = s.to_string();
        }
        v
    }

    #[test]
    fn keeps_both_changes_when_they_touch_different_fields() {
        let shown = values(&[]);
        let submitted = values(&[(3, "555-0100")]);
        let now = values(&[(6, "Aetna"), (7, "W1")]);
        let c = reconcile(&shown, &submitted, &now);
        assert_eq!(c.yours, ["Phone"]);
        let meanwhile: Vec<_> = c.changed_meanwhile.iter().map(|f| f.label).collect();
        assert_eq!(meanwhile, ["Insurance company", "Member ID"]);
        assert!(c.changed_meanwhile.iter().all(|f| f.clash.is_none()));
        assert_eq!(
            c.merged,
            values(&[(3, "555-0100"), (6, "Aetna"), (7, "W1")])
        );
    }

    #[test]
    fn a_field_both_changed_differently_is_a_clash_with_the_editors_value_in_the_form() {
        let shown = values(&[]);
        let submitted = values(&[(2, "mine@example.com")]);
        let now = values(&[(2, "theirs@example.com")]);
        let c = reconcile(&shown, &submitted, &now);
        assert_eq!(c.changed_meanwhile.len(), 1);
        assert_eq!(
            c.changed_meanwhile[0].clash.as_deref(),
            Some("mine@example.com")
        );
        assert_eq!(c.merged.0[2], "mine@example.com");
    }

    #[test]
    fn the_same_change_made_twice_is_no_clash() {
        let shown = values(&[]);
        let both = values(&[(1, "Lee")]);
        let c = reconcile(&shown, &both, &both);
        assert_eq!(c.changed_meanwhile[0].clash, None);
    }

    #[test]
    fn changed_fields_name_only_what_differs_and_ignore_spaces() {
        let a = DetailValues::of(&ClientInput {
            first_name: "Ann".into(),
            email: "ann@example.com".into(),
            ..Default::default()
        });
        let b = DetailValues::of(&ClientInput {
            first_name: " Ann ".into(),
            email: "ann.lee@example.com".into(),
            phone: "555".into(),
            ..Default::default()
        });
        assert_eq!(changed_fields(&a, &b), ["Email", "Phone"]);
    }

    #[test]
    fn form_text_round_trips_and_refuses_junk() {
        let v = values(&[(0, "Zoë \"Z\" <b>")]);
        assert_eq!(DetailValues::from_form(&v.to_form()), Some(v));
        assert_eq!(DetailValues::from_form("not json"), None);
        assert_eq!(DetailValues::from_form("[\"a\"]"), None);
    }
}
