//! The codes a confirmed session is billed with: the service's CPT code, whose
//! psychotherapy time ranges are checked against how long the session really ran, and
//! the diagnosis's ICD-10-CM code, whose format is checked (the code set itself is not
//! shipped; a well-formed code the payer does not know is refused by the payer).

/// A service Caseload ships: CPT code, name, default length in minutes.
pub const DEFAULT_SERVICES: [(&str, &str, u32); 7] = [
    ("90791", "Psychiatric diagnostic evaluation (intake)", 60),
    ("90832", "Psychotherapy, 30 minutes", 30),
    ("90834", "Psychotherapy, 45 minutes", 45),
    ("90837", "Psychotherapy, 60 minutes", 60),
    ("90846", "Family psychotherapy without the client", 50),
    ("90847", "Family psychotherapy with the client", 50),
    ("90853", "Group psychotherapy", 90),
];

/// The minutes a CPT code's time rule allows (CPT's midpoint rule for the psychotherapy
/// codes), as (at least, at most); `None` for codes without a time rule.
pub fn minutes_allowed(cpt: &str) -> Option<(u32, Option<u32>)> {
    match cpt {
        "90832" => Some((16, Some(37))),
        "90834" => Some((38, Some(52))),
        "90837" => Some((53, None)),
        "90846" | "90847" => Some((26, None)),
        _ => None,
    }
}

/// Whether a session of `minutes` may be billed as `cpt`; the refusal says what would fit.
pub fn check_minutes(cpt: &str, minutes: u32) -> Result<(), String> {
    let Some((min, max)) = minutes_allowed(cpt) else {
        return Ok(());
    };
    let fits = minutes >= min && max.is_none_or(|max| minutes <= max);
    if fits {
        return Ok(());
    }
    let range = match max {
        Some(max) => format!("{min}–{max} minutes"),
        None => format!("at least {min} minutes"),
    };
    let hint = match (cpt, minutes) {
        ("90834", m) if m > 52 => " Bill it as 90837.",
        ("90834", m) if m < 38 => " Bill it as 90832.",
        ("90837", m) if m < 53 => " Bill it as 90834 (38–52 minutes) or 90832.",
        ("90832", m) if m > 37 => " Bill it as 90834.",
        _ => "",
    };
    Err(format!(
        "{cpt} needs {range}; this session ran {minutes} minutes.{hint}"
    ))
}

/// A CPT code: five digits, or four digits and a letter (category II/III codes).
pub fn parse_cpt(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    let b = code.as_bytes();
    let ok = b.len() == 5
        && b[..4].iter().all(u8::is_ascii_digit)
        && (b[4].is_ascii_digit() || matches!(b[4], b'F' | b'T'));
    if ok {
        Ok(code)
    } else {
        Err(format!(
            "“{}” is not a CPT code: it has five characters, such as 90834.",
            raw.trim()
        ))
    }
}

/// An ICD-10-CM code as written on a claim: a letter, two characters (the second a digit),
/// then optionally a dot and one to four more letters or digits (F41.1, F32.A, Z63.0).
/// The dot is added when it was left out (F411 → F41.1).
pub fn parse_icd10(raw: &str) -> Result<String, String> {
    let compact: String = raw
        .trim()
        .chars()
        .filter(|c| *c != '.')
        .collect::<String>()
        .to_ascii_uppercase();
    let b = compact.as_bytes();
    let ok = (3..=7).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_alphanumeric()
        && b[3..].iter().all(u8::is_ascii_alphanumeric)
        && raw.trim().matches('.').count() <= 1;
    if !ok {
        return Err(format!(
            "“{}” is not an ICD-10 code: a letter, two more characters, then optionally a dot and up to four more — for example F41.1 or F32.A.",
            raw.trim()
        ));
    }
    Ok(if compact.len() > 3 {
        format!("{}.{}", &compact[..3], &compact[3..])
    } else {
        compact
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psychotherapy_codes_need_their_minutes() {
        assert!(check_minutes("90834", 45).is_ok());
        assert!(check_minutes("90834", 38).is_ok());
        assert!(check_minutes("90834", 52).is_ok());
        let long = check_minutes("90834", 53).unwrap_err();
        assert!(
            long.contains("38–52 minutes") && long.contains("90837"),
            "{long}"
        );
        assert!(check_minutes("90834", 37).unwrap_err().contains("90832"));
        assert!(check_minutes("90837", 53).is_ok());
        assert!(check_minutes("90837", 90).is_ok());
        assert!(check_minutes("90837", 52)
            .unwrap_err()
            .contains("at least 53 minutes"));
        assert!(check_minutes("90832", 15).is_err());
        assert!(check_minutes("90847", 25).is_err());
        // Codes without a time rule accept any length.
        assert!(check_minutes("90791", 20).is_ok());
        assert!(check_minutes("90853", 120).is_ok());
    }

    #[test]
    fn the_shipped_services_fit_their_own_time_rules() {
        for (code, _, minutes) in DEFAULT_SERVICES {
            assert_eq!(parse_cpt(code).as_deref(), Ok(code));
            assert!(check_minutes(code, minutes).is_ok(), "{code}");
        }
    }

    #[test]
    fn icd10_codes_are_format_checked_and_written_with_their_dot() {
        for (typed, stored) in [
            ("F41.1", "F41.1"),
            ("f411", "F41.1"),
            (" F32.A ", "F32.A"),
            ("Z63.0", "Z63.0"),
            ("F43.10", "F43.10"),
            ("F20", "F20"),
        ] {
            assert_eq!(parse_icd10(typed).as_deref(), Ok(stored), "{typed}");
        }
        for bad in ["", "41.1", "FF1.1", "F4", "F41.12345", "F4.1.1", "F41-1"] {
            assert!(parse_icd10(bad).is_err(), "{bad}");
        }
        assert!(parse_cpt("9083").is_err());
        assert!(parse_cpt("0001F").is_ok());
    }
}
