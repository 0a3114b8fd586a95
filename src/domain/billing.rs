use std::fmt;

/// How a client pays for sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingType {
    Insurance,
    PrivatePay,
}

impl BillingType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "insurance" => Some(Self::Insurance),
            "private_pay" => Some(Self::PrivatePay),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Insurance => "insurance",
            Self::PrivatePay => "private_pay",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Insurance => "Insurance",
            Self::PrivatePay => "Private pay",
        }
    }
}

impl fmt::Display for BillingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
