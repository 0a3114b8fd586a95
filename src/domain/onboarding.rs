use chrono::NaiveDateTime;

use super::billing::BillingType;

/// The onboarding facts kept about a client, each with the time it became true. The status
/// the UI shows is derived from them here and never stored.
#[derive(Debug, Clone, Default)]
pub struct OnboardingFacts {
    pub billing_type: Option<BillingType>,
    pub invited_at: Option<NaiveDateTime>,
    pub account_verified_at: Option<NaiveDateTime>,
    pub insurance_added_at: Option<NaiveDateTime>,
    pub insurance_verified_at: Option<NaiveDateTime>,
    pub payment_method_added_at: Option<NaiveDateTime>,
    pub forms_acknowledged_at: Option<NaiveDateTime>,
}

impl OnboardingFacts {
    /// Nothing to bill yet: no insurance and no card on file (a client brought over from
    /// another system starts so). Derived, like the status.
    pub fn needs_billing_info(&self) -> bool {
        self.insurance_added_at.is_none() && self.payment_method_added_at.is_none()
    }
}

/// Where a client stands on the way to their first appointment, in the order they get there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnboardingStatus {
    NotInvited,
    Invited,
    NeedsInsurance,
    InsuranceUnverified,
    NeedsBillingMethod,
    NeedsForms,
    ReadyToSchedule,
}

impl OnboardingStatus {
    pub const ALL: [OnboardingStatus; 7] = [
        Self::NotInvited,
        Self::Invited,
        Self::NeedsInsurance,
        Self::InsuranceUnverified,
        Self::NeedsBillingMethod,
        Self::NeedsForms,
        Self::ReadyToSchedule,
    ];

    pub fn derive(facts: &OnboardingFacts) -> Self {
        if facts.account_verified_at.is_none() {
            return if facts.invited_at.is_none() {
                Self::NotInvited
            } else {
                Self::Invited
            };
        }
        if facts.billing_type != Some(BillingType::PrivatePay) {
            if facts.insurance_added_at.is_none() {
                return Self::NeedsInsurance;
            }
            if facts.insurance_verified_at.is_none() {
                return Self::InsuranceUnverified;
            }
        }
        if facts.payment_method_added_at.is_none() {
            return Self::NeedsBillingMethod;
        }
        if facts.forms_acknowledged_at.is_none() {
            return Self::NeedsForms;
        }
        Self::ReadyToSchedule
    }

    pub fn slug(self) -> &'static str {
        match self {
            Self::NotInvited => "not-invited",
            Self::Invited => "invited",
            Self::NeedsInsurance => "needs-insurance",
            Self::InsuranceUnverified => "insurance-unverified",
            Self::NeedsBillingMethod => "needs-billing-method",
            Self::NeedsForms => "needs-forms",
            Self::ReadyToSchedule => "ready",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.slug() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotInvited => "Not invited",
            Self::Invited => "Invited",
            Self::NeedsInsurance => "Needs insurance",
            Self::InsuranceUnverified => "Insurance unverified",
            Self::NeedsBillingMethod => "Needs billing method",
            Self::NeedsForms => "Needs forms",
            Self::ReadyToSchedule => "Ready to schedule",
        }
    }
}

/// A step the client still has to finish before an appointment can be confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    AccountVerification,
    Insurance,
    InsuranceVerification,
    BillingMethod,
    Forms,
}

impl Missing {
    pub fn describe(self) -> &'static str {
        match self {
            Self::AccountVerification => "The client has not verified their account yet.",
            Self::Insurance => "The client's insurance details are missing.",
            Self::InsuranceVerification => "The client's insurance has not been verified.",
            Self::BillingMethod => "The client has no form of billing on file.",
            Self::Forms => "The client has not acknowledged the billing policy and privacy notice.",
        }
    }
}

/// Can this client's appointment be confirmed? `Ok` when everything is in place, else
/// every step still missing, in order. The calendar asks this before confirming.
pub fn can_confirm_appointment(facts: &OnboardingFacts) -> Result<(), Vec<Missing>> {
    let mut missing = Vec::new();
    if facts.account_verified_at.is_none() {
        missing.push(Missing::AccountVerification);
    }
    if facts.billing_type != Some(BillingType::PrivatePay) {
        if facts.insurance_added_at.is_none() {
            missing.push(Missing::Insurance);
        } else if facts.insurance_verified_at.is_none() {
            missing.push(Missing::InsuranceVerification);
        }
    }
    if facts.payment_method_added_at.is_none() {
        missing.push(Missing::BillingMethod);
    }
    if facts.forms_acknowledged_at.is_none() {
        missing.push(Missing::Forms);
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Option<NaiveDateTime> {
        chrono::DateTime::from_timestamp(1_700_000_000, 0).map(|d| d.naive_utc())
    }

    #[test]
    fn status_follows_the_steps_in_order() {
        let mut f = OnboardingFacts {
            billing_type: Some(BillingType::Insurance),
            ..Default::default()
        };
        assert_eq!(OnboardingStatus::derive(&f), OnboardingStatus::NotInvited);
        f.invited_at = t();
        assert_eq!(OnboardingStatus::derive(&f), OnboardingStatus::Invited);
        f.account_verified_at = t();
        assert_eq!(
            OnboardingStatus::derive(&f),
            OnboardingStatus::NeedsInsurance
        );
        f.insurance_added_at = t();
        assert_eq!(
            OnboardingStatus::derive(&f),
            OnboardingStatus::InsuranceUnverified
        );
        f.insurance_verified_at = t();
        assert_eq!(
            OnboardingStatus::derive(&f),
            OnboardingStatus::NeedsBillingMethod
        );
        f.payment_method_added_at = t();
        assert_eq!(OnboardingStatus::derive(&f), OnboardingStatus::NeedsForms);
        f.forms_acknowledged_at = t();
        assert_eq!(
            OnboardingStatus::derive(&f),
            OnboardingStatus::ReadyToSchedule
        );
    }

    #[test]
    fn private_pay_skips_insurance() {
        let f = OnboardingFacts {
            billing_type: Some(BillingType::PrivatePay),
            invited_at: t(),
            account_verified_at: t(),
            ..Default::default()
        };
        assert_eq!(
            OnboardingStatus::derive(&f),
            OnboardingStatus::NeedsBillingMethod
        );
    }

    #[test]
    fn appointments_are_confirmable_exactly_when_ready() {
        let mut f = OnboardingFacts {
            billing_type: Some(BillingType::Insurance),
            invited_at: t(),
            ..Default::default()
        };
        assert_eq!(
            can_confirm_appointment(&f),
            Err(vec![
                Missing::AccountVerification,
                Missing::Insurance,
                Missing::BillingMethod,
                Missing::Forms
            ])
        );
        f.account_verified_at = t();
        f.insurance_added_at = t();
        f.payment_method_added_at = t();
        assert_eq!(
            can_confirm_appointment(&f),
            Err(vec![Missing::InsuranceVerification, Missing::Forms])
        );
        f.insurance_verified_at = t();
        f.forms_acknowledged_at = t();
        assert_eq!(can_confirm_appointment(&f), Ok(()));
        assert_eq!(
            OnboardingStatus::derive(&f),
            OnboardingStatus::ReadyToSchedule
        );
        f.billing_type = Some(BillingType::PrivatePay);
        f.insurance_added_at = None;
        f.insurance_verified_at = None;
        assert_eq!(can_confirm_appointment(&f), Ok(()));
    }

    #[test]
    fn slugs_round_trip() {
        for s in OnboardingStatus::ALL {
            assert_eq!(OnboardingStatus::from_slug(s.slug()), Some(s));
        }
    }
}
