//! The whole pure analysis of a client list, as the web worker, the CLI and the tests run
//! it: read the file, then review every person against the provider's list.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::dates::{DateOrder, OrderEvidence};
use super::extract::{self, ExtractError, ExtractOptions, Format};
use super::households::{self, Household};
use super::matching::{self, ExistingClient, ListIndex, Reviewed};

/// Where an analysis is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Reading,
    Checking { done: usize, total: usize },
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Reading => "Reading the file",
            Step::Checking { .. } => "Checking each row against your client list",
        }
    }
}

/// What the review page says about the file as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FileNotes {
    /// A SimplePractice export's cards that could not be read, and how many of its
    /// documents no card claims.
    pub unreadable_cards: Vec<String>,
    pub unclaimed_documents: usize,
    /// The paths of those documents, so that the review can list every one.
    pub unclaimed_paths: Vec<String>,
    /// Insurance and payment columns that were left out.
    pub not_imported: Vec<String>,
    /// How slash dates were read, when the file had any.
    pub date_order: Option<String>,
    /// A workbook's sheets, when it has several (to pick another).
    pub sheets: Vec<String>,
    /// Contact cards with no `END:VCARD`: read as far as they go, and named so that
    /// their details are checked.
    pub cut_off_cards: Vec<String>,
    /// The files of a .zip of contact cards that were not read (not cards), by path.
    pub unread_files: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    pub format: Format,
    pub layout: Option<&'static str>,
    pub sheet: Option<String>,
    pub notes: FileNotes,
    pub rows: Vec<Reviewed>,
    /// People of the file who share an address, offered as households.
    pub households: Vec<Household>,
}

fn describe_order(order: (DateOrder, OrderEvidence), any_dates: bool) -> Option<String> {
    if !any_dates {
        return None;
    }
    let text = match order {
        (_, OrderEvidence::Clear) => return None,
        (DateOrder::DayFirst, OrderEvidence::ShownByRows) => "Dates of birth were read day first (31/12/1990), as the rows with a day over 12 show.",
        (DateOrder::MonthFirst, OrderEvidence::ShownByRows) => "Dates of birth were read month first (12/31/1990), as the rows with a day over 12 show.",
        (_, OrderEvidence::AssumedUs) => "Dates such as 03/04/1990 were read the US way, month first (March 4): no row showed another order. Check a few dates of birth below.",
        (_, OrderEvidence::Conflicting) => "Some dates of birth can only be month first and others only day first: they were read the US way, month first, and the rows that do not fit are marked.",
    };
    Some(text.to_string())
}

/// Reads `bytes` and reviews every person in it against `existing`.
pub fn analyse(
    bytes: &[u8],
    options: &ExtractOptions,
    existing: &[ExistingClient],
    today: NaiveDate,
    progress: &mut dyn FnMut(Step),
) -> Result<Analysis, ExtractError> {
    progress(Step::Reading);
    // The provider's list is indexed on another thread while the file is read.
    let (x, ix) = std::thread::scope(|s| {
        let index = s.spawn(|| ListIndex::new(existing));
        let x = extract::extract(bytes, options, today);
        match index.join() {
            Ok(ix) => (x, ix),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    let x = x?;
    let any_dates = x.candidates.iter().any(|c| c.date_of_birth.is_some());
    let notes = FileNotes {
        not_imported: x.not_imported,
        date_order: describe_order(x.date_order, any_dates),
        sheets: if x.sheets.len() > 1 {
            x.sheets
        } else {
            Vec::new()
        },
        cut_off_cards: x.cut_off,
        unread_files: x.unread_files,
        ..Default::default()
    };
    let rows = matching::review_with_progress(x.candidates, &ix, &mut |done, total| {
        progress(Step::Checking { done, total })
    });
    let households = households::find(&rows, existing, &|_| false);
    Ok(Analysis {
        format: x.format,
        layout: x.layout,
        sheet: x.sheet,
        notes,
        rows,
        households,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_told_and_rows_come_back_in_file_order() {
        let mut csv = String::from("First Name,Last Name,Email,DOB\n");
        for i in 0..12_000 {
            csv.push_str(&format!("Ann{i},Lee,ann{i}@example.com,03/04/1990\n"));
        }
        let mut steps = Vec::new();
        let a = analyse(
            csv.as_bytes(),
            &ExtractOptions::default(),
            &[],
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            &mut |s| steps.push(s),
        )
        .unwrap();
        assert_eq!(a.rows.len(), 12_000);
        assert_eq!(a.rows[11_999].candidate.row, 12_001);
        assert_eq!(steps[0], Step::Reading);
        assert!(steps.contains(&Step::Checking {
            done: 10_000,
            total: 12_000
        }));
        assert!(a.notes.date_order.unwrap().contains("US way"));
    }
}
