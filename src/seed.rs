//! Synthetic clients for trying Caseload out and for benchmarks. Everyone here is made
//! up: names from common-name lists, `example.com` emails, 555-01xx phone numbers.

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::billing::BillingType;
use crate::domain::client::ClientDetails;
use crate::domain::email::Email;
use crate::domain::name::PersonName;
use crate::domain::onboarding::OnboardingFacts;
use crate::domain::phone::Phone;
use crate::domain::us_states::US_STATES;

const FIRST: &[&str] = &[
    "Ava", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sofía", "Elijah", "Amelia", "James", "Mia",
    "Lucas", "Harper", "Benjamin", "Zoë", "Aiden", "Chloé", "Jamal", "Priya", "Wei", "Fatima",
    "Diego", "Aaliyah", "Hannah", "Kenji", "Nia", "Omar", "Grace", "Ethan", "Isabella", "Mohammed",
    "Leah", "Carlos", "Ingrid", "Tariq", "Maya", "Jonah", "Ruth", "Samuel", "Aiko",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "García",
    "Miller",
    "Davis",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Pérez",
    "Thompson",
    "White",
    "Harris",
    "Sánchez",
    "Clark",
    "Ramírez",
    "Lewis",
    "Robinson",
    "Nguyen",
    "O'Brien",
    "Kowalski",
    "Okafor",
    "Patel",
    "Kim",
    "Cohen",
    "Yamamoto",
    "Lindqvist",
    "de la Cruz",
];
const PAYERS: &[&str] = &[
    "Aetna",
    "Blue Cross Blue Shield",
    "Cigna",
    "UnitedHealthcare",
    "Humana",
    "Kaiser Permanente",
    "Medicare",
    "Medicaid",
];

/// `count` clients, the same for the same `seed`; emails are unique within the batch.
pub fn demo_clients(count: usize, seed: u64) -> Vec<(ClientDetails, OnboardingFacts)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let base = chrono::Utc::now().naive_utc() - Duration::days(60);
    (0..count)
        .filter_map(|i| {
            let first = FIRST[rng.gen_range(0..FIRST.len())];
            let last = LAST[rng.gen_range(0..LAST.len())];
            let local: String = format!("{first}.{last}")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            let email = Email::parse(&format!(
                "{}.{i}.{}@example.com",
                local.to_lowercase(),
                seed % 100_000
            ))
            .ok()?;
            let phone = Phone::parse(&format!(
                "({}) 555-01{:02}",
                rng.gen_range(201..990),
                rng.gen_range(0..100)
            ))
            .ok()?;
            let insured = rng.gen_bool(0.75);
            let dob = NaiveDate::from_ymd_opt(
                rng.gen_range(1945..2010),
                rng.gen_range(1..=12),
                rng.gen_range(1..=28),
            );
            let details = ClientDetails {
                first_name: PersonName::parse(first, "first name").ok()?,
                last_name: PersonName::parse(last, "last name").ok()?,
                preferred_name: None,
                email: Some(email),
                phone,
                billing_type: Some(if insured {
                    BillingType::Insurance
                } else {
                    BillingType::PrivatePay
                }),
                insurance_company: insured
                    .then(|| PAYERS[rng.gen_range(0..PAYERS.len())].to_string()),
                insurance_member_id: insured
                    .then(|| format!("W{:09}", rng.gen_range(0..1_000_000_000u64))),
                date_of_birth: dob,
                telehealth_state: Some(US_STATES[rng.gen_range(0..51)].0.to_string()),
                minor: false,
            };
            // Spread clients over the onboarding steps, as on a real list.
            let step = rng.gen_range(0..6);
            let at = |n: i64| Some(base + Duration::hours(n));
            let facts = OnboardingFacts {
                billing_type: details.billing_type,
                invited_at: (step >= 1).then(|| at(1)).flatten(),
                account_verified_at: (step >= 2).then(|| at(2)).flatten(),
                insurance_added_at: (step >= 3 && insured).then(|| at(3)).flatten(),
                insurance_verified_at: (step >= 3 && insured).then(|| at(3)).flatten(),
                payment_method_added_at: (step >= 4).then(|| at(4)).flatten(),
                forms_acknowledged_at: (step >= 5).then(|| at(5)).flatten(),
            };
            Some((details, facts))
        })
        .collect()
}
