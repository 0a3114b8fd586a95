//! Text for a cell of a CSV file that people open in a spreadsheet. A cell that begins
//! with `=`, `+`, `-` or `@` (or a tab or carriage return, which some spreadsheets skip
//! before reading one of those) would be run as a formula: it is prefixed with `'`, which
//! spreadsheets show as plain text (OWASP's advice on CSV injection).

pub fn text_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_escaped() {
        for risky in ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(text_cell(risky), format!("'{risky}"));
        }
        for plain in ["Lee", "PHQ-9", "", "1-2", "a=b", "'quoted"] {
            assert_eq!(text_cell(plain), plain);
        }
    }
}
