use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The form names are searched and sorted by: accents removed, lower-cased, single spaces.
/// "José  Núñez" → "jose nunez". Stored in an indexed column so that search is a prefix
/// range scan on both backends.
pub fn search_key(text: &str) -> String {
    // Most names are plain ASCII, where folding is lower-casing: one pass, one allocation
    // (imports fold hundreds of thousands of names).
    if text.is_ascii() {
        let mut out = String::with_capacity(text.len());
        for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        }
        return out;
    }
    unicode_key(text)
}

fn unicode_key(text: &str) -> String {
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
    fn the_ascii_path_folds_as_the_unicode_path_does() {
        for text in [
            "  Ada   LOVELACE ",
            "o'brien-smith",
            "tab\there\x0bvt\x0cff",
            "",
            "   ",
            "A.B. c",
        ] {
            assert_eq!(search_key(text), unicode_key(text), "{text:?}");
        }
    }

    #[test]
    fn folds_accents_case_and_spaces() {
        assert_eq!(search_key("  José   Núñez "), "jose nunez");
        assert_eq!(search_key("ZOË"), "zoe");
        assert!(prefix_upper_bound("jo").as_str() > "jose nunez");
        assert!(prefix_upper_bound("jo").as_str() > "jo");
        assert!(prefix_upper_bound("jo").as_str() < "jp");
    }
}
