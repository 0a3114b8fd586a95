//! What a session will cost the client, and why: from the client's plan (copay, or
//! deductible then coinsurance of the payer's allowed amount, capped by the out-of-pocket
//! maximum), or the private-pay rate. Every figure carries its reasoning in words; what is
//! unknown gives a range with the reason, never a made-up number. Pure: the Billing tab,
//! the portal, the reminders and the count-down all ask it. Amounts are whole cents.

use chrono::{Datelike, NaiveDate};

use super::money::dollars;

/// The client's plan as entered; `None` is "not known", not zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub copay: Option<i32>,
    /// Percent of the allowed amount the client pays after the deductible.
    pub coinsurance_pct: Option<i32>,
    pub deductible: Option<i32>,
    pub deductible_met: Option<i32>,
    pub oop_max: Option<i32>,
    pub oop_met: Option<i32>,
    pub in_network: bool,
}

/// How the client pays, as the estimate reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    Insurance(Coverage),
    /// The practice's rate for the service, or a reduced (sliding-scale) rate per session.
    PrivatePay {
        reduced: Option<i32>,
    },
}

/// What one session is estimated at: `low == high` when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub low: i32,
    pub high: i32,
    /// "$50 toward the deductible, then 20% of the remaining $70 = $64".
    pub reasoning: String,
    /// What is missing and where to enter it, when something is.
    pub missing: Option<String>,
    /// How much of the share goes toward the deductible (for the count-down).
    pub toward_deductible: i32,
}

impl Estimate {
    pub fn is_exact(&self) -> bool {
        self.low == self.high
    }

    /// Nothing to go on yet (no rate, no allowed amount): no figure at all, never $0.
    pub fn is_unknown(&self) -> bool {
        self.high == 0 && self.missing.is_some()
    }

    /// "$64.00", "$24.00–$120.00", or "Not known yet".
    pub fn amount(&self) -> String {
        if self.is_unknown() {
            "Not known yet".to_string()
        } else if self.is_exact() {
            dollars(self.low)
        } else {
            format!("{}–{}", dollars(self.low), dollars(self.high))
        }
    }
}

/// What one session is: the payer's allowed amount for its code (if entered) and the
/// practice's own fee (its private-pay rate, if set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced<'a> {
    pub cpt_code: &'a str,
    pub allowed: Option<i32>,
    pub fee: Option<i32>,
    /// The payer's name, for the words.
    pub payer: &'a str,
}

fn percent_of(pct: i32, cents: i32) -> i32 {
    // Round half up to the cent.
    let v = (i64::from(pct) * i64::from(cents) + 50) / 100;
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn exact(share: i32, reasoning: String, toward_deductible: i32) -> Estimate {
    Estimate {
        low: share,
        high: share,
        reasoning,
        missing: None,
        toward_deductible,
    }
}

/// The estimate of one session.
pub fn estimate(basis: &Basis, session: Priced<'_>) -> Estimate {
    match basis {
        Basis::PrivatePay {
            reduced: Some(rate),
        } => exact(
            *rate,
            format!("{}: your reduced rate per session", dollars(*rate)),
            0,
        ),
        Basis::PrivatePay { reduced: None } => match session.fee {
            Some(fee) => exact(
                fee,
                format!(
                    "{}: the practice's rate for {}",
                    dollars(fee),
                    session.cpt_code
                ),
                0,
            ),
            None => Estimate {
                low: 0,
                high: 0,
                reasoning: format!("No rate is set for {}", session.cpt_code),
                missing: Some(format!(
                    "Set the practice's rate for {} in Settings → Rates.",
                    session.cpt_code
                )),
                toward_deductible: 0,
            },
        },
        Basis::Insurance(plan) => {
            let mut e = insured(plan, session);
            if !plan.in_network {
                if let Some(fee) = session.fee.filter(|f| *f > e.high) {
                    e.high = fee;
                    e.reasoning.push_str(&format!(
                        "; out of network, the plan may allow less and the rest of the {} fee may be yours",
                        dollars(fee)
                    ));
                }
            }
            e
        }
    }
}

fn no_allowed(session: Priced<'_>) -> String {
    format!(
        "No allowed amount for {} with {} is entered: add it from your fee schedule in Settings → Rates.",
        session.cpt_code, session.payer
    )
}

fn insured(plan: &Coverage, session: Priced<'_>) -> Estimate {
    let oop_left = match (plan.oop_max, plan.oop_met) {
        (Some(max), Some(met)) => Some((max - met).max(0)),
        _ => None,
    };
    if oop_left == Some(0) {
        return exact(
            0,
            "$0.00: the out-of-pocket maximum is met for this plan year".to_string(),
            0,
        );
    }
    if let Some(copay) = plan.copay {
        return match session.allowed {
            Some(allowed) if allowed < copay => exact(
                allowed,
                format!(
                    "{}: the {} copay, but never more than the allowed amount of {}",
                    dollars(allowed),
                    dollars(copay),
                    dollars(allowed)
                ),
                0,
            ),
            Some(_) => exact(
                copay,
                format!("{}: the copay per session", dollars(copay)),
                0,
            ),
            None => Estimate {
                missing: Some(no_allowed(session)),
                ..exact(
                    copay,
                    format!(
                        "{}: the copay per session (less if the allowed amount is lower)",
                        dollars(copay)
                    ),
                    0,
                )
            },
        };
    }
    let Some(allowed) = session.allowed else {
        return Estimate {
            low: 0,
            high: session.fee.unwrap_or(0),
            reasoning: format!("Unknown: no allowed amount for {}", session.cpt_code),
            missing: Some(no_allowed(session)),
            toward_deductible: 0,
        };
    };
    let Some(pct) = plan.coinsurance_pct else {
        return Estimate {
            low: 0,
            high: allowed,
            reasoning: format!(
                "{}–{}: the plan's copay or coinsurance is not entered",
                dollars(0),
                dollars(allowed)
            ),
            missing: Some(
                "Enter the client's copay, or their coinsurance and deductible, under Plan.".into(),
            ),
            toward_deductible: 0,
        };
    };
    let cap = |share: i32| oop_left.map_or(share, |left| share.min(left));
    let capped_words = |share: i32, words: String| match oop_left {
        Some(left) if left < share => format!(
            "{words}, capped at the {} left of the out-of-pocket maximum = {}",
            dollars(left),
            dollars(left)
        ),
        _ => format!("{words} = {}", dollars(share)),
    };
    let after_deductible = |left: i32| {
        let toward = left.min(allowed);
        let rest = allowed - toward;
        let share = toward + percent_of(pct, rest);
        (toward, share)
    };
    let deductible_left = match (plan.deductible, plan.deductible_met) {
        (Some(d), Some(met)) => Some((d - met).max(0)),
        (Some(0), None) => Some(0),
        _ => None,
    };
    match deductible_left {
        Some(0) => {
            let share = percent_of(pct, allowed);
            exact(
                cap(share),
                capped_words(share, format!("{pct}% of the allowed {}", dollars(allowed))),
                0,
            )
        }
        Some(left) => {
            let (toward, share) = after_deductible(left);
            let words = if toward == allowed {
                format!(
                    "{} toward the deductible (all of the allowed amount)",
                    dollars(toward)
                )
            } else {
                format!(
                    "{} toward the deductible, then {pct}% of the remaining {}",
                    dollars(toward),
                    dollars(allowed - toward)
                )
            };
            exact(
                cap(share),
                capped_words(share, words),
                toward.min(cap(share)),
            )
        }
        None => {
            // Between "the deductible is met" and "none of it is".
            let low = cap(percent_of(pct, allowed));
            let high = cap(after_deductible(plan.deductible.unwrap_or(allowed)).1);
            let why = if plan.deductible.is_none() {
                "the deductible is unknown"
            } else {
                "the deductible met so far is unknown"
            };
            Estimate {
                low,
                high,
                reasoning: format!("{}–{}: {why}", dollars(low), dollars(high)),
                missing: Some(
                    "Enter the deductible and how much of it is met (from the client's explanation of benefits) under Plan."
                        .into(),
                ),
                toward_deductible: 0,
            }
        }
    }
}

/// The estimates of sessions in order, each counting toward the deductible and the
/// out-of-pocket maximum of the ones after it (as long as the figures are known).
pub fn count_down(basis: &Basis, sessions: &[Priced<'_>]) -> Vec<Estimate> {
    let mut basis = basis.clone();
    sessions
        .iter()
        .map(|s| {
            let e = estimate(&basis, *s);
            if let (Basis::Insurance(plan), true) = (&mut basis, e.is_exact()) {
                apply(plan, &e);
            }
            e
        })
        .collect()
}

/// [`count_down`] for sessions on these dates (in order) under a plan year starting on
/// `month`/`day`, the current one on `year_start`: a session in a later plan year than
/// the one before it starts from nothing met (its full deductible and out-of-pocket
/// maximum), and its reasoning says so.
pub fn count_down_dated(
    basis: &Basis,
    (month, day): (u32, u32),
    year_start: NaiveDate,
    sessions: &[(NaiveDate, Priced<'_>)],
) -> Vec<Estimate> {
    let mut basis = basis.clone();
    let mut year = year_start;
    sessions
        .iter()
        .map(|(on, s)| {
            let starts = plan_year_start(*on, month, day);
            let fresh = starts > year;
            if fresh {
                year = starts;
            }
            let e = match (&mut basis, fresh) {
                (Basis::Insurance(plan), true) => {
                    new_plan_year(plan);
                    let mut e = estimate(&basis, *s);
                    e.reasoning.push_str(&format!(
                        "; the plan year from {} starts with nothing met",
                        starts.format("%B %-d, %Y")
                    ));
                    e
                }
                _ => estimate(&basis, *s),
            };
            if let (Basis::Insurance(plan), true) = (&mut basis, e.is_exact()) {
                apply(plan, &e);
            }
            e
        })
        .collect()
}

/// A plan year starts: nothing of the deductible or the out-of-pocket maximum is met.
fn new_plan_year(plan: &mut Coverage) {
    plan.deductible_met = plan.deductible.map(|_| 0);
    plan.oop_met = plan.oop_max.map(|_| 0);
}

/// Adds one session's share to what the plan has met.
fn apply(plan: &mut Coverage, e: &Estimate) {
    if let Some(met) = plan.deductible_met.as_mut() {
        *met += e.toward_deductible;
    }
    if let Some(met) = plan.oop_met.as_mut() {
        *met += e.low;
    }
}

/// The start of the plan year holding `today`, for a plan year starting on `month`/`day`
/// (a 29 February start falls on 28 February in other years).
pub fn plan_year_start(today: NaiveDate, month: u32, day: u32) -> NaiveDate {
    let on = |year: i32| {
        NaiveDate::from_ymd_opt(year, month, day)
            .or_else(|| NaiveDate::from_ymd_opt(year, month, day.saturating_sub(1)))
            .or_else(|| NaiveDate::from_ymd_opt(year, 1, 1))
            .unwrap_or(today)
    };
    let this_year = on(today.year());
    if this_year <= today {
        this_year
    } else {
        on(today.year() - 1)
    }
}

/// The plan as it stands today: the met figures entered on `entered_on` (kept only if they
/// are of the current plan year, which starts on `year_start`; an earlier year's reset to
/// zero), plus each session confirmed since, in order.
pub fn as_of_today(
    entered: &Coverage,
    entered_on: NaiveDate,
    year_start: NaiveDate,
    confirmed_since: &[Priced<'_>],
) -> Coverage {
    let mut plan = entered.clone();
    if entered_on < year_start {
        new_plan_year(&mut plan);
    }
    let mut basis = Basis::Insurance(plan);
    for s in confirmed_since {
        let e = estimate(&basis, *s);
        if let (Basis::Insurance(p), true) = (&mut basis, e.is_exact()) {
            apply(p, &e);
        }
    }
    match basis {
        Basis::Insurance(p) => p,
        Basis::PrivatePay { .. } => entered.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYER: &str = "Aetna";

    fn session(allowed: Option<i32>, fee: Option<i32>) -> Priced<'static> {
        Priced {
            cpt_code: "90834",
            allowed,
            fee,
            payer: PAYER,
        }
    }

    fn coinsurance(deductible: Option<i32>, met: Option<i32>) -> Coverage {
        Coverage {
            coinsurance_pct: Some(20),
            deductible,
            deductible_met: met,
            oop_max: Some(300_000),
            oop_met: Some(0),
            in_network: true,
            ..Default::default()
        }
    }

    /// (case, basis, allowed, fee) → (low, high, words in the reasoning)
    type Case = (
        &'static str,
        Basis,
        Option<i32>,
        Option<i32>,
        (i32, i32),
        &'static str,
    );

    #[test]
    fn worked_cases() {
        let ins = |c: Coverage| Basis::Insurance(c);
        let copay = Coverage {
            copay: Some(2500),
            in_network: true,
            ..Default::default()
        };
        let cases: Vec<Case> = vec![
            (
                "copay",
                ins(copay.clone()),
                Some(12000),
                Some(15000),
                (2500, 2500),
                "$25.00: the copay",
            ),
            (
                "copay above the allowed amount",
                ins(copay.clone()),
                Some(2000),
                None,
                (2000, 2000),
                "never more than the allowed amount of $20.00",
            ),
            (
                "deductible not met",
                ins(coinsurance(Some(100_000), Some(0))),
                Some(12000),
                None,
                (12000, 12000),
                "$120.00 toward the deductible (all of the allowed amount)",
            ),
            (
                "deductible partly met, met by this session",
                ins(coinsurance(Some(100_000), Some(95_000))),
                Some(12000),
                None,
                (6400, 6400),
                "$50.00 toward the deductible, then 20% of the remaining $70.00 = $64.00",
            ),
            (
                "deductible met: coinsurance of the allowed amount, not the fee",
                ins(coinsurance(Some(100_000), Some(100_000))),
                Some(12000),
                Some(20000),
                (2400, 2400),
                "20% of the allowed $120.00 = $24.00",
            ),
            (
                "out-of-pocket maximum nearly reached",
                ins(Coverage {
                    oop_met: Some(299_000),
                    ..coinsurance(Some(100_000), Some(95_000))
                }),
                Some(12000),
                None,
                (1000, 1000),
                "capped at the $10.00 left of the out-of-pocket maximum = $10.00",
            ),
            (
                "out-of-pocket maximum reached",
                ins(Coverage {
                    oop_met: Some(300_000),
                    ..coinsurance(Some(100_000), Some(0))
                }),
                Some(12000),
                None,
                (0, 0),
                "out-of-pocket maximum is met",
            ),
            (
                "unknown deductible met",
                ins(coinsurance(Some(100_000), None)),
                Some(12000),
                None,
                (2400, 12000),
                "$24.00–$120.00: the deductible met so far is unknown",
            ),
            (
                "unknown deductible",
                ins(coinsurance(None, None)),
                Some(12000),
                None,
                (2400, 12000),
                "the deductible is unknown",
            ),
            (
                "unknown allowed amount",
                ins(coinsurance(Some(0), Some(0))),
                None,
                Some(15000),
                (0, 15000),
                "no allowed amount for 90834",
            ),
            (
                "no copay nor coinsurance entered",
                ins(Coverage::default()),
                Some(12000),
                None,
                (0, 12000),
                "copay or coinsurance is not entered",
            ),
            (
                "private pay",
                Basis::PrivatePay { reduced: None },
                None,
                Some(15000),
                (15000, 15000),
                "$150.00: the practice's rate for 90834",
            ),
            (
                "sliding scale",
                Basis::PrivatePay {
                    reduced: Some(6000),
                },
                None,
                Some(15000),
                (6000, 6000),
                "$60.00: your reduced rate",
            ),
            (
                "out of network",
                ins(Coverage {
                    in_network: false,
                    ..coinsurance(Some(0), Some(0))
                }),
                Some(12000),
                Some(15000),
                (2400, 15000),
                "out of network",
            ),
        ];
        for (name, basis, allowed, fee, (low, high), words) in cases {
            let e = estimate(&basis, session(allowed, fee));
            assert_eq!((e.low, e.high), (low, high), "{name}: {e:?}");
            assert!(e.reasoning.contains(words), "{name}: {}", e.reasoning);
        }
    }

    #[test]
    fn unknowns_say_what_to_enter_and_where() {
        let e = estimate(
            &Basis::Insurance(coinsurance(Some(0), Some(0))),
            session(None, None),
        );
        assert_eq!(
            e.missing.as_deref(),
            Some("No allowed amount for 90834 with Aetna is entered: add it from your fee schedule in Settings → Rates.")
        );
        let copay_unknown_allowed = estimate(
            &Basis::Insurance(Coverage {
                copay: Some(2500),
                ..Default::default()
            }),
            session(None, None),
        );
        assert_eq!(copay_unknown_allowed.low, 2500);
        assert!(copay_unknown_allowed.missing.is_some());
        assert!(
            estimate(&Basis::PrivatePay { reduced: None }, session(None, None))
                .missing
                .unwrap()
                .contains("Settings → Rates")
        );
    }

    #[test]
    fn sessions_count_down_the_deductible_then_the_out_of_pocket_maximum() {
        let plan = Coverage {
            coinsurance_pct: Some(20),
            deductible: Some(20_000),
            deductible_met: Some(0),
            oop_max: Some(30_000),
            oop_met: Some(0),
            in_network: true,
            ..Default::default()
        };
        let s = session(Some(12000), None);
        let shares: Vec<i32> = count_down(&Basis::Insurance(plan), &[s; 8])
            .iter()
            .map(|e| e.low)
            .collect();
        // $120 all deductible; $80 deductible + 20% of $40; then 20% of $120 until the
        // $300 maximum is reached ($120 + $88 + $24 × 3 = $280, then $20, then nothing).
        assert_eq!(shares, [12000, 8800, 2400, 2400, 2400, 2000, 0, 0]);
    }

    #[test]
    fn the_plan_year_resets_what_was_met_and_confirmed_sessions_count_since_entry() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(plan_year_start(d("2027-03-05"), 1, 1), d("2027-01-01"));
        assert_eq!(plan_year_start(d("2027-03-05"), 7, 1), d("2026-07-01"));
        assert_eq!(plan_year_start(d("2027-07-01"), 7, 1), d("2027-07-01"));
        assert_eq!(plan_year_start(d("2027-03-05"), 2, 29), d("2027-02-28"));
        let entered = Coverage {
            coinsurance_pct: Some(20),
            deductible: Some(100_000),
            deductible_met: Some(95_000),
            oop_max: Some(300_000),
            oop_met: Some(95_000),
            in_network: true,
            ..Default::default()
        };
        let s = session(Some(12000), None);
        // Entered this plan year, one session confirmed since: $50 more met.
        let now = as_of_today(&entered, d("2026-11-01"), d("2026-01-01"), &[s]);
        assert_eq!(now.deductible_met, Some(100_000));
        assert_eq!(now.oop_met, Some(95_000 + 6400));
        // Entered last plan year: the new year starts from nothing met.
        let reset = as_of_today(&entered, d("2026-11-01"), d("2027-01-01"), &[]);
        assert_eq!(reset.deductible_met, Some(0));
        assert_eq!(reset.oop_met, Some(0));
        assert_eq!(
            estimate(&Basis::Insurance(reset), s).reasoning,
            "$120.00 toward the deductible (all of the allowed amount) = $120.00"
        );
    }
}
