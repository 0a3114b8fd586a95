//! What a stored document is: its kind and its detected file type.

/// The kind of a document in a client's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    ProgressNote,
    /// Kept apart from the rest of the record, and labelled so.
    PsychotherapyNote,
    ChartNote,
    TreatmentPlan,
    Questionnaire,
    AdministrativeNote,
    ConsentForm,
    Invoice,
    Statement,
    Superbill,
    /// Issued from the Billing tab to a self-pay client (No Surprises Act).
    GoodFaithEstimate,
    SecureMessages,
    StoredDocument,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 14] = [
        Self::ProgressNote,
        Self::PsychotherapyNote,
        Self::ChartNote,
        Self::TreatmentPlan,
        Self::Questionnaire,
        Self::AdministrativeNote,
        Self::ConsentForm,
        Self::Invoice,
        Self::Statement,
        Self::Superbill,
        Self::GoodFaithEstimate,
        Self::SecureMessages,
        Self::StoredDocument,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProgressNote => "progress_note",
            Self::PsychotherapyNote => "psychotherapy_note",
            Self::ChartNote => "chart_note",
            Self::TreatmentPlan => "treatment_plan",
            Self::Questionnaire => "questionnaire",
            Self::AdministrativeNote => "administrative_note",
            Self::ConsentForm => "consent_form",
            Self::Invoice => "invoice",
            Self::Statement => "statement",
            Self::Superbill => "superbill",
            Self::GoodFaithEstimate => "good_faith_estimate",
            Self::SecureMessages => "secure_messages",
            Self::StoredDocument => "stored_document",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ProgressNote => "Progress note",
            Self::PsychotherapyNote => "Psychotherapy note",
            Self::ChartNote => "Chart note",
            Self::TreatmentPlan => "Treatment plan",
            Self::Questionnaire => "Questionnaire",
            Self::AdministrativeNote => "Administrative note",
            Self::ConsentForm => "Consent or intake form",
            Self::Invoice => "Invoice",
            Self::Statement => "Statement",
            Self::Superbill => "Superbill (statement for insurance reimbursement)",
            Self::GoodFaithEstimate => "Good Faith Estimate",
            Self::SecureMessages => "Secure messages",
            Self::StoredDocument => "Stored document",
            Self::Other => "Other document",
        }
    }
}

/// The type of an uploaded file, told from its first bytes, never from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    Text,
}

impl FileType {
    pub fn detect(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if !head.is_empty() && !head.contains(&0) && valid_utf8_prefix(head) {
            Some(Self::Text)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Text => "text/plain; charset=utf-8",
        }
    }
}

/// UTF-8, allowing the sample to end in the middle of a character.
fn valid_utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    }
}

/// What stands for the date of an imported document whose export gave none.
pub const NO_DATE_IN_EXPORT: &str = "no date in the export";

/// A human-readable size: "812 bytes", "14.2 KB", "3 MB", "1.5 GB": one decimal at
/// most, none when it is 0, and the next unit up once the rounded number reaches 1024.
pub fn format_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} {}", super::plural::plural(bytes, "byte", "bytes"));
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while (value * 10.0).round() >= 10240.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// A practice's storage: what its documents take, and the most this server lets them
/// take (`CASELOAD_MAX_STORAGE`; `None`: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Storage {
    pub used: i64,
    pub limit: Option<u64>,
}

impl Storage {
    fn limit_bytes(&self) -> Option<i64> {
        self.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX))
    }

    /// Whether adding `bytes` would take the documents past the limit.
    pub fn passed_by(&self, bytes: i64) -> bool {
        self.limit_bytes()
            .is_some_and(|limit| self.used.saturating_add(bytes) > limit)
    }

    /// "1.2 GB of 5 GB (24%)", or "1.2 GB" when the server sets no limit.
    pub fn describe(&self) -> String {
        match self.limit_bytes() {
            Some(limit) => {
                let percent = (self.used as f64 * 100.0 / limit.max(1) as f64).floor() as i64;
                format!(
                    "{} of {} ({percent}%)",
                    format_size(self.used),
                    format_size(limit)
                )
            }
            None => format_size(self.used),
        }
    }

    /// Why a change that adds `bytes` is refused: `adds` says what it is ("This file is"),
    /// `nothing` what was left undone ("Nothing was uploaded.").
    pub fn refusal(&self, adds: &str, bytes: i64, nothing: &str) -> String {
        format!(
            "{adds} {}, which would pass the storage this server allows your practice: its documents take {}. {nothing} Ask whoever runs this Caseload server to raise its storage limit (CASELOAD_MAX_STORAGE).",
            format_size(bytes),
            self.describe(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_is_passed_only_beyond_its_limit_and_says_so_in_sizes() {
        let s = Storage {
            used: 900 * 1024 * 1024,
            limit: Some(1024 * 1024 * 1024),
        };
        assert!(!s.passed_by(124 * 1024 * 1024), "exactly the limit fits");
        assert!(s.passed_by(124 * 1024 * 1024 + 1));
        assert_eq!(s.describe(), "900 MB of 1 GB (87%)");
        assert_eq!(
            s.refusal("This file is", 200 * 1024 * 1024, "Nothing was uploaded."),
            "This file is 200 MB, which would pass the storage this server allows your practice: its documents take 900 MB of 1 GB (87%). Nothing was uploaded. Ask whoever runs this Caseload server to raise its storage limit (CASELOAD_MAX_STORAGE)."
        );
        let open = Storage {
            used: 5 << 30,
            limit: None,
        };
        assert!(!open.passed_by(i64::MAX));
        assert_eq!(open.describe(), "5 GB");
    }

    #[test]
    fn detects_by_content() {
        assert_eq!(FileType::detect(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(
            FileType::detect(b"\x89PNG\r\n\x1a\n\0\0"),
            Some(FileType::Png)
        );
        assert_eq!(
            FileType::detect("Session notes — Zoë".as_bytes()),
            Some(FileType::Text)
        );
        assert_eq!(FileType::detect(b"MZ\x90\0\x03"), None);
        assert_eq!(FileType::detect(b""), None);
        // A sample cut in the middle of "ë" is still text.
        assert_eq!(
            FileType::detect(&"Zoë".as_bytes()[..3]),
            Some(FileType::Text)
        );
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(format_size(812), "812 bytes");
        assert_eq!(format_size(14540), "14.2 KB");
        assert_eq!(format_size(3 * 1024 * 1024), "3 MB");
        assert_eq!(format_size(0), "0 bytes");
        assert_eq!(format_size(1), "1 byte");
        assert_eq!(format_size(1023), "1023 bytes");
        assert_eq!(format_size(1024), "1 KB");
        assert_eq!(format_size(1536), "1.5 KB");
        // Just under a unit rounds up to it, never "1024.0 KB".
        assert_eq!(format_size(1024 * 1024 - 1), "1 MB");
        assert_eq!(format_size(1024 * 1024), "1 MB");
        assert_eq!(format_size(25 * 1024 * 1024), "25 MB");
        assert_eq!(format_size(1023 * 1024 * 1024), "1023 MB");
        assert_eq!(format_size(2048 * 1024 * 1024), "2 GB");
        assert_eq!(format_size(3 * 512 * 1024 * 1024), "1.5 GB");
        assert_eq!(format_size(5 * 1024 * 1024 * 1024 * 1024), "5 TB");
    }
}
