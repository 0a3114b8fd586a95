use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The form names are searched and sorted by: accents removed, lower-cased, single spaces.
/// "José  Núñez" → "jose nunez". Stored in an indexed column so that search is a prefix
/// range scan on both backends.
pub fn search_key(text: &str) -> String {
    let folded: String = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The exclusive upper bound of a prefix range: every key starting with `prefix` sorts
/// below it in byte order.
pub fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_spaces() {
        assert_eq!(search_key("  José   Núñez "), "jose nunez");
        assert_eq!(search_key("ZOË"), "zoe");
        assert!(prefix_upper_bound("jo").as_str() > "jose nunez");
        assert!(prefix_upper_bound("jo").as_str() > "jo");
        assert!(prefix_upper_bound("jo").as_str() < "jp");
    }
}
