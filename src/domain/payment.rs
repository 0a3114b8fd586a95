//! The card side of a client's form of billing: what a client types into the
//! card form, how it is checked, and the little that is kept afterwards.
//!
//! Only a [`StoredCard`] is ever kept: kind, brand, last four digits and the
//! expiry month and year. The full card number and the security code are read,
//! checked and dropped; they are never stored, returned, printed by `Debug`, or
//! put into an error message.
//!
//! [`PaymentProcessor`] is the seam where a real processor (one that tokenises
//! the card) can be plugged in later. [`BuiltInProcessor`] checks the card
//! locally and keeps nothing that could be used to charge it.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// Shortest card number accepted (digits only).
const MIN_DIGITS: usize = 13;
/// Longest card number accepted (digits only).
const MAX_DIGITS: usize = 19;

/// Which kind of card the client is adding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentKind {
    Card,
    HsaFsa,
}

impl PaymentKind {
    pub const ALL: [PaymentKind; 2] = [PaymentKind::Card, PaymentKind::HsaFsa];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::HsaFsa => "hsa_fsa",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Card => "Credit or debit card",
            Self::HsaFsa => "HSA/FSA card",
        }
    }
}

impl fmt::Display for PaymentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The card form exactly as typed. Borrowed, so it never outlives the request. It has no
/// `Debug` or `Display`: nothing can print a card number by mistake.
#[derive(Clone, Copy)]
pub struct CardInput<'a> {
    pub kind: PaymentKind,
    pub number: &'a str,
    pub expiry: &'a str,
    pub cvc: &'a str,
    pub zip: &'a str,
}

/// Everything that is ever kept about a card.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCard {
    pub kind: PaymentKind,
    /// "Visa", "Mastercard", "American Express", "Discover" or "Card".
    pub brand: String,
    /// The last four digits of the card number.
    pub last4: String,
    /// 1 to 12.
    pub exp_month: u32,
    /// Four-digit year, e.g. 2029.
    pub exp_year: i32,
}

impl StoredCard {
    /// For people: "Visa ending in 4242, expires 04/2029".
    pub fn describe(&self) -> String {
        format!(
            "{} ending in {}, expires {:02}/{:04}",
            self.brand, self.last4, self.exp_month, self.exp_year
        )
    }
}

/// Written by hand so that it lists exactly the kept fields and nothing else.
impl fmt::Debug for StoredCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCard")
            .field("kind", &self.kind)
            .field("brand", &self.brand)
            .field("last4", &self.last4)
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .finish()
    }
}

impl fmt::Display for StoredCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// One problem with the card form. Carries no data, so neither `Display` nor
/// `Debug` can ever show what was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum CardError {
    /// Empty, wrong length, or characters other than digits, spaces and dashes.
    #[error("Enter the card number, 13 to 19 digits.")]
    NumberFormat,
    /// Right shape, but the check digit (Luhn) does not match: a typo.
    #[error("The card number is not valid. Check the digits and try again.")]
    NumberNotValid,
    #[error("Enter the expiry date as MM/YY.")]
    ExpiryFormat,
    /// The last day of the expiry month has passed.
    #[error("This card has expired. Use a card that is still valid.")]
    Expired,
    /// Not three digits, for a card that is not American Express.
    #[error("Enter the 3-digit security code from the back of the card.")]
    Cvc,
    /// Not four digits, for an American Express card (its code is on the front).
    #[error("Enter the 4-digit security code from the front of the card.")]
    AmexCvc,
    #[error("Enter the 5-digit ZIP code of the card's billing address.")]
    Zip,
}

impl CardError {
    /// The form field the problem belongs to: "number", "expiry", "cvc" or "zip".
    pub fn field(&self) -> &'static str {
        match self {
            Self::NumberFormat | Self::NumberNotValid => "number",
            Self::ExpiryFormat | Self::Expired => "expiry",
            Self::Cvc | Self::AmexCvc => "cvc",
            Self::Zip => "zip",
        }
    }
}

/// Takes a card form and keeps what may be kept. A real processor would
/// tokenise the card with its service and keep the token besides.
pub trait PaymentProcessor: Send + Sync {
    fn store(&self, card: &CardInput<'_>, today: NaiveDate) -> Result<StoredCard, CardError>;
}

/// Checks the card locally (shape, check digit, expiry, security code, ZIP)
/// and keeps kind, brand, last four and expiry. Charges nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltInProcessor;

impl PaymentProcessor for BuiltInProcessor {
    fn store(&self, card: &CardInput<'_>, today: NaiveDate) -> Result<StoredCard, CardError> {
        let number = CardNumber::parse(card.number)?;
        let brand = Brand::of(&number);
        let (exp_month, exp_year) = check_expiry(card.expiry, today)?;
        check_cvc(card.cvc, Some(brand))?;
        check_zip(card.zip)?;
        Ok(StoredCard {
            kind: card.kind,
            brand: brand.name().to_string(),
            last4: number.last4(),
            exp_month,
            exp_year,
        })
    }
}

/// Every problem with the form at once, in form order (number, expiry, cvc,
/// zip), so a page can mark each field. Empty when [`BuiltInProcessor`] would
/// accept the card; otherwise its first entry is the error `store` returns.
pub fn problems(card: &CardInput<'_>, today: NaiveDate) -> Vec<CardError> {
    let mut found = Vec::new();
    let brand = match CardNumber::parse(card.number) {
        Ok(number) => Some(Brand::of(&number)),
        Err(e) => {
            found.push(e);
            None
        }
    };
    if let Err(e) = check_expiry(card.expiry, today) {
        found.push(e);
    }
    if let Err(e) = check_cvc(card.cvc, brand) {
        found.push(e);
    }
    if let Err(e) = check_zip(card.zip) {
        found.push(e);
    }
    found
}

/// The digits of a card number that passed the length and Luhn checks, held
/// in a fixed buffer on the stack (never copied into a heap `String`).
struct CardNumber {
    digits: [u8; MAX_DIGITS],
    len: usize,
}

impl CardNumber {
    fn parse(raw: &str) -> Result<Self, CardError> {
        let mut digits = [0u8; MAX_DIGITS];
        let mut len = 0;
        for c in raw.chars() {
            if c == '-' || c.is_whitespace() {
                continue;
            }
            // Only ASCII digits: "４２４２" or "١٢٣" are not card numbers.
            // (`to_digit` only knows ASCII digits.)
            let Some(d) = c.to_digit(10) else {
                return Err(CardError::NumberFormat);
            };
            let Some(slot) = digits.get_mut(len) else {
                return Err(CardError::NumberFormat);
            };
            *slot = d as u8;
            len += 1;
        }
        if len < MIN_DIGITS {
            return Err(CardError::NumberFormat);
        }
        let number = Self { digits, len };
        if !number.luhn_ok() {
            return Err(CardError::NumberNotValid);
        }
        Ok(number)
    }

    fn digits(&self) -> &[u8] {
        self.digits.get(..self.len).unwrap_or(&[])
    }

    fn luhn_ok(&self) -> bool {
        let sum: u32 = self
            .digits()
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| {
                let d = u32::from(d);
                if i % 2 == 1 {
                    let doubled = d * 2;
                    if doubled > 9 {
                        doubled - 9
                    } else {
                        doubled
                    }
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    }

    /// The number formed by the first `n` digits.
    fn prefix(&self, n: usize) -> u32 {
        self.digits()
            .iter()
            .take(n)
            .fold(0, |acc, &d| acc * 10 + u32::from(d))
    }

    fn last4(&self) -> String {
        self.digits()
            .iter()
            .skip(self.len.saturating_sub(4))
            .map(|&d| char::from(b'0' + d))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Other,
}

impl Brand {
    fn of(number: &CardNumber) -> Self {
        let p1 = number.prefix(1);
        let p2 = number.prefix(2);
        let p3 = number.prefix(3);
        let p4 = number.prefix(4);
        if p1 == 4 {
            Self::Visa
        } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
            Self::Mastercard
        } else if p2 == 34 || p2 == 37 {
            Self::Amex
        } else if p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) {
            Self::Discover
        } else {
            Self::Other
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Visa => "Visa",
            Self::Mastercard => "Mastercard",
            Self::Amex => "American Express",
            Self::Discover => "Discover",
            Self::Other => "Card",
        }
    }
}

/// `s` is exactly `len` ASCII digits.
fn is_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// Accepts "MM/YY", "MM / YY", "MM/YYYY", "M/YY" and "MMYY". Returns
/// (month, four-digit year) if the card is valid through the end of that month.
fn check_expiry(raw: &str, today: NaiveDate) -> Result<(u32, i32), CardError> {
    let s = raw.trim();
    let (month, year) = match s.split_once('/') {
        Some((m, y)) => (m.trim(), y.trim()),
        None if is_digits(s, 4) => match (s.get(..2), s.get(2..)) {
            (Some(m), Some(y)) => (m, y),
            _ => return Err(CardError::ExpiryFormat),
        },
        None => return Err(CardError::ExpiryFormat),
    };
    if !(is_digits(month, 1) || is_digits(month, 2)) {
        return Err(CardError::ExpiryFormat);
    }
    let month: u32 = month.parse().map_err(|_| CardError::ExpiryFormat)?;
    if !(1..=12).contains(&month) {
        return Err(CardError::ExpiryFormat);
    }
    let year: i32 = if is_digits(year, 2) {
        2000 + year.parse::<i32>().map_err(|_| CardError::ExpiryFormat)?
    } else if is_digits(year, 4) {
        year.parse().map_err(|_| CardError::ExpiryFormat)?
    } else {
        return Err(CardError::ExpiryFormat);
    };
    // Valid through the last day of the expiry month.
    if (year, month) < (today.year(), today.month()) {
        return Err(CardError::Expired);
    }
    Ok((month, year))
}

/// American Express uses 4 digits, everyone else 3. When the brand is not
/// known (the number itself has a problem) either length passes.
fn check_cvc(raw: &str, brand: Option<Brand>) -> Result<(), CardError> {
    let s = raw.trim();
    match brand {
        Some(Brand::Amex) if !is_digits(s, 4) => Err(CardError::AmexCvc),
        Some(Brand::Amex) => Ok(()),
        Some(_) if !is_digits(s, 3) => Err(CardError::Cvc),
        Some(_) => Ok(()),
        None if is_digits(s, 3) || is_digits(s, 4) => Ok(()),
        None => Err(CardError::Cvc),
    }
}

/// "12345" or ZIP+4 "12345-6789".
fn check_zip(raw: &str) -> Result<(), CardError> {
    let s = raw.trim();
    let ok = match s.split_once('-') {
        None => is_digits(s, 5),
        Some((zip, plus4)) => is_digits(zip, 5) && is_digits(plus4, 4),
    };
    if ok {
        Ok(())
    } else {
        Err(CardError::Zip)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn card_data_cannot_be_printed() {
        assert_eq!(printable!(super::CardInput<'static>), (false, false));
        assert_eq!(printable!(super::CardNumber), (false, false));
        // The probe itself tells a printable type apart.
        assert_eq!(printable!(super::StoredCard), (true, true));
    }

    use super::*;

    const ALL_ERRORS: [CardError; 7] = [
        CardError::NumberFormat,
        CardError::NumberNotValid,
        CardError::ExpiryFormat,
        CardError::Expired,
        CardError::Cvc,
        CardError::AmexCvc,
        CardError::Zip,
    ];

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn today() -> NaiveDate {
        date(2026, 4, 15)
    }

    fn input<'a>(number: &'a str, expiry: &'a str, cvc: &'a str, zip: &'a str) -> CardInput<'a> {
        CardInput {
            kind: PaymentKind::Card,
            number,
            expiry,
            cvc,
            zip,
        }
    }

    fn store(number: &str, expiry: &str, cvc: &str, zip: &str) -> Result<StoredCard, CardError> {
        BuiltInProcessor.store(&input(number, expiry, cvc, zip), today())
    }

    /// Appends the Luhn check digit to `body` (digits only).
    fn with_check_digit(body: &str) -> String {
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 0 {
                    let x = d * 2;
                    if x > 9 {
                        x - 9
                    } else {
                        x
                    }
                } else {
                    d
                }
            })
            .sum();
        format!("{body}{}", (10 - sum % 10) % 10)
    }

    // --- PaymentKind -------------------------------------------------------

    #[test]
    fn kind_round_trips() {
        for kind in PaymentKind::ALL {
            assert_eq!(PaymentKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(PaymentKind::Card.as_str(), "card");
        assert_eq!(PaymentKind::HsaFsa.as_str(), "hsa_fsa");
        assert_eq!(PaymentKind::Card.label(), "Credit or debit card");
        assert_eq!(PaymentKind::HsaFsa.label(), "HSA/FSA card");
        assert_eq!(PaymentKind::parse(""), None);
        assert_eq!(PaymentKind::parse("Card"), None);
        assert_eq!(PaymentKind::parse("hsa"), None);
    }

    // --- valid cards and brands --------------------------------------------

    #[test]
    fn accepts_test_numbers_with_brand() {
        let cases = [
            ("4242424242424242", "123", "Visa", "4242"),
            ("5555555555554444", "123", "Mastercard", "4444"),
            ("2223003122003222", "123", "Mastercard", "3222"),
            ("378282246310005", "1234", "American Express", "0005"),
            ("6011111111111117", "123", "Discover", "1117"),
        ];
        for (number, cvc, brand, last4) in cases {
            let card = store(number, "04/29", cvc, "12345")
                .unwrap_or_else(|e| panic!("{brand} rejected: {e}"));
            assert_eq!(card.brand, brand);
            assert_eq!(card.last4, last4);
            assert_eq!(card.exp_month, 4);
            assert_eq!(card.exp_year, 2029);
            assert_eq!(card.kind, PaymentKind::Card);
        }
    }

    #[test]
    fn brand_prefix_edges() {
        let cases = [
            ("51", "Mastercard"),
            ("55", "Mastercard"),
            ("2221", "Mastercard"),
            ("2720", "Mastercard"),
            ("34", "American Express"),
            ("37", "American Express"),
            ("6011", "Discover"),
            ("65", "Discover"),
            ("644", "Discover"),
            ("649", "Discover"),
            ("50", "Card"),
            ("56", "Card"),
            ("2220", "Card"),
            ("2721", "Card"),
            ("35", "Card"),
            ("6010", "Card"),
            ("643", "Card"),
            ("66", "Card"),
            ("1", "Card"),
        ];
        for (prefix, brand) in cases {
            let body = format!("{prefix}{}", "0".repeat(15 - prefix.len()));
            let number = with_check_digit(&body);
            let cvc = if brand == "American Express" {
                "1234"
            } else {
                "123"
            };
            let card =
                store(&number, "12/30", cvc, "12345").unwrap_or_else(|e| panic!("{prefix}: {e}"));
            assert_eq!(card.brand, brand, "prefix {prefix}");
        }
    }

    #[test]
    fn other_known_numbers() {
        // JCB and Diners test numbers: valid, brand not singled out.
        assert_eq!(
            store("3530111333300000", "04/29", "123", "12345").map(|c| c.brand),
            Ok("Card".to_string())
        );
        assert_eq!(
            store("30569309025904", "04/29", "123", "12345").map(|c| c.last4),
            Ok("5904".to_string())
        );
    }

    #[test]
    fn accepts_spaces_and_dashes_in_number() {
        for number in [
            "4242 4242 4242 4242",
            "4242-4242-4242-4242",
            " 4242 - 4242 - 4242 - 4242 ",
            "\t4242424242424242\n",
            "3782 822463 10005",
        ] {
            let cvc = if number.starts_with("3782") {
                "1234"
            } else {
                "123"
            };
            assert!(store(number, "04/29", cvc, "12345").is_ok(), "{number:?}");
        }
    }

    #[test]
    fn keeps_kind() {
        let card = BuiltInProcessor
            .store(
                &CardInput {
                    kind: PaymentKind::HsaFsa,
                    number: "4242424242424242",
                    expiry: "04/29",
                    cvc: "123",
                    zip: "12345",
                },
                today(),
            )
            .expect("valid card");
        assert_eq!(card.kind, PaymentKind::HsaFsa);
    }

    #[test]
    fn works_as_trait_object() {
        let processor: Box<dyn PaymentProcessor> = Box::new(BuiltInProcessor);
        let card = processor
            .store(&input("4242424242424242", "4/29", "123", "12345"), today())
            .expect("valid card");
        assert_eq!(card.describe(), "Visa ending in 4242, expires 04/2029");
        assert_eq!(card.to_string(), card.describe());
    }

    // --- number problems ----------------------------------------------------

    #[test]
    fn luhn_failures() {
        for number in [
            "4242424242424241",
            "4242424242424243",
            "5555555555554443",
            "378282246310006",
            "6011111111111118",
            "1234567890123",
            "4242424242424224", // swapped last two digits
        ] {
            assert_eq!(
                store(number, "04/29", "123", "12345"),
                Err(CardError::NumberNotValid),
                "{number}"
            );
        }
    }

    #[test]
    fn lengths() {
        // Luhn-valid numbers of every length around the limits.
        for len in 10..=22usize {
            let number = with_check_digit(&format!("4{}", "0".repeat(len - 2)));
            assert_eq!(number.len(), len);
            let result = store(&number, "04/29", "123", "12345");
            if (13..=19).contains(&len) {
                assert!(result.is_ok(), "length {len}: {result:?}");
            } else {
                assert_eq!(result, Err(CardError::NumberFormat), "length {len}");
            }
        }
        assert_eq!(
            store("4222222222222", "04/29", "123", "12345").map(|c| c.brand),
            Ok("Visa".to_string())
        );
    }

    #[test]
    fn number_format_problems() {
        for number in [
            "",
            "   ",
            "----",
            "4242",
            "4242 4242 4242 424a",
            "4242.4242.4242.4242",
            "4242/4242/4242/4242",
            "+4242424242424242",
            "４２４２４２４２４２４２４２４２",
            "١٢٣١٢٣١٢٣١٢٣١٢٣",
            "42424242424242424242", // 20 digits
        ] {
            assert_eq!(
                store(number, "04/29", "123", "12345"),
                Err(CardError::NumberFormat),
                "{number:?}"
            );
        }
    }

    // --- expiry --------------------------------------------------------------

    #[test]
    fn expiry_formats() {
        for (expiry, month, year) in [
            ("04/29", 4, 2029),
            ("04 / 29", 4, 2029),
            ("04/2029", 4, 2029),
            ("0429", 4, 2029),
            ("4/29", 4, 2029),
            (" 12/30 ", 12, 2030),
            ("01 /2031", 1, 2031),
        ] {
            let card = store("4242424242424242", expiry, "123", "12345")
                .unwrap_or_else(|e| panic!("{expiry:?}: {e}"));
            assert_eq!((card.exp_month, card.exp_year), (month, year), "{expiry:?}");
        }
    }

    #[test]
    fn expiry_this_month_is_still_valid() {
        // today() is 2026-04-15; also the last day of the month.
        for day in [date(2026, 4, 1), date(2026, 4, 15), date(2026, 4, 30)] {
            let card = BuiltInProcessor
                .store(&input("4242424242424242", "04/26", "123", "12345"), day)
                .expect("valid through end of month");
            assert_eq!((card.exp_month, card.exp_year), (4, 2026));
        }
        // December rolls into the next year correctly.
        assert!(BuiltInProcessor
            .store(
                &input("4242424242424242", "12/26", "123", "12345"),
                date(2026, 12, 31)
            )
            .is_ok());
    }

    #[test]
    fn expiry_last_month_is_expired() {
        assert_eq!(
            store("4242424242424242", "03/26", "123", "12345"),
            Err(CardError::Expired)
        );
        assert_eq!(
            store("4242424242424242", "12/25", "123", "12345"),
            Err(CardError::Expired)
        );
        assert_eq!(
            store("4242424242424242", "04/2025", "123", "12345"),
            Err(CardError::Expired)
        );
        assert_eq!(
            BuiltInProcessor.store(
                &input("4242424242424242", "12/26", "123", "12345"),
                date(2027, 1, 1)
            ),
            Err(CardError::Expired)
        );
    }

    #[test]
    fn expiry_bad_formats() {
        for expiry in [
            "",
            "  ",
            "/",
            "04/",
            "/29",
            "00/29",
            "13/29",
            "4/9",
            "04/290",
            "04/20299",
            "042029",
            "429",
            "04-29",
            "04.29",
            "April 2029",
            "04/29/",
            "04//29",
            "004/29",
            "-4/29",
            "+4/29",
            "04/+29",
            "０４/２９",
            "٠٤/٢٩",
            "04/2x",
            "ab/cd",
            "04 29",
        ] {
            assert_eq!(
                store("4242424242424242", expiry, "123", "12345"),
                Err(CardError::ExpiryFormat),
                "{expiry:?}"
            );
        }
    }

    // --- security code ------------------------------------------------------

    #[test]
    fn amex_needs_four_digit_cvc() {
        let amex = "378282246310005";
        assert!(store(amex, "04/29", "1234", "12345").is_ok());
        for cvc in ["123", "12345", "", "12a4"] {
            assert_eq!(
                store(amex, "04/29", cvc, "12345"),
                Err(CardError::AmexCvc),
                "{cvc:?}"
            );
        }
    }

    #[test]
    fn others_need_three_digit_cvc() {
        let visa = "4242424242424242";
        assert!(store(visa, "04/29", "123", "12345").is_ok());
        assert!(store(visa, "04/29", " 007 ", "12345").is_ok());
        for cvc in ["1234", "12", "", "abc", "1 23", "１２３", "١٢٣"] {
            assert_eq!(
                store(visa, "04/29", cvc, "12345"),
                Err(CardError::Cvc),
                "{cvc:?}"
            );
        }
    }

    // --- ZIP -----------------------------------------------------------------

    #[test]
    fn zip_forms() {
        for zip in ["12345", "02134", " 12345 ", "12345-6789"] {
            assert!(
                store("4242424242424242", "04/29", "123", zip).is_ok(),
                "{zip:?}"
            );
        }
        for zip in [
            "",
            "1234",
            "123456",
            "12345-",
            "12345-678",
            "12345-67890",
            "-6789",
            "12345 6789",
            "123456789",
            "12345--6789",
            "1234a",
            "SW1A 1AA",
            "１２３４５",
            "١٢٣٤٥",
        ] {
            assert_eq!(
                store("4242424242424242", "04/29", "123", zip),
                Err(CardError::Zip),
                "{zip:?}"
            );
        }
    }

    // --- errors --------------------------------------------------------------

    #[test]
    fn error_fields_and_messages() {
        let expected = [
            (
                CardError::NumberFormat,
                "number",
                "Enter the card number, 13 to 19 digits.",
            ),
            (
                CardError::NumberNotValid,
                "number",
                "The card number is not valid. Check the digits and try again.",
            ),
            (
                CardError::ExpiryFormat,
                "expiry",
                "Enter the expiry date as MM/YY.",
            ),
            (
                CardError::Expired,
                "expiry",
                "This card has expired. Use a card that is still valid.",
            ),
            (
                CardError::Cvc,
                "cvc",
                "Enter the 3-digit security code from the back of the card.",
            ),
            (
                CardError::AmexCvc,
                "cvc",
                "Enter the 4-digit security code from the front of the card.",
            ),
            (
                CardError::Zip,
                "zip",
                "Enter the 5-digit ZIP code of the card's billing address.",
            ),
        ];
        assert_eq!(expected.len(), ALL_ERRORS.len());
        for (error, field, message) in expected {
            assert_eq!(error.field(), field);
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn problems_lists_every_field_in_order() {
        assert_eq!(
            problems(&input("4242424242424242", "04/29", "123", "12345"), today()),
            vec![]
        );
        assert_eq!(
            problems(&input("", "13/29", "1", "zip"), today()),
            vec![
                CardError::NumberFormat,
                CardError::ExpiryFormat,
                CardError::Cvc,
                CardError::Zip
            ]
        );
        assert_eq!(
            problems(&input("4242424242424241", "03/26", "123", "12345"), today()),
            vec![CardError::NumberNotValid, CardError::Expired]
        );
        // Brand unknown: a 4-digit code is not flagged yet.
        assert_eq!(
            problems(&input("4242", "04/29", "1234", "12345"), today()),
            vec![CardError::NumberFormat]
        );
        assert_eq!(
            problems(&input("378282246310005", "04/29", "123", "12345"), today()),
            vec![CardError::AmexCvc]
        );
    }

    // --- nothing sensitive leaks ----------------------------------------------

    #[test]
    fn debug_and_errors_never_show_number_or_cvc() {
        let number = "4242424242424242";
        let cvc = "987";
        let stored = store(number, "04/29", cvc, "12345").expect("valid card");
        let debug = format!("{stored:?}");
        assert_eq!(
            debug,
            "StoredCard { kind: Card, brand: \"Visa\", last4: \"4242\", exp_month: 4, exp_year: 2029 }"
        );
        for shown in [debug, format!("{stored:#?}"), stored.describe()] {
            assert!(!shown.contains(number));
            assert!(!shown.contains("42424242"));
            assert!(!shown.contains(cvc));
        }

        // The raw input cannot be printed at all (see card_data_cannot_be_printed).
        for error in ALL_ERRORS {
            for shown in [
                error.to_string(),
                format!("{error:?}"),
                format!("{error:#?}"),
            ] {
                assert!(!shown.contains(number), "{shown}");
                assert!(!shown.contains(cvc), "{shown}");
            }
        }
    }

    // --- no panics on odd input -------------------------------------------------

    /// Small deterministic generator (xorshift64*), no crates needed.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    const PIECES: &[&str] = &[
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        " ",
        "-",
        "/",
        "//",
        "+",
        ".",
        "a",
        "Z",
        "\t",
        "\n",
        "\r",
        "\0",
        "４",
        "２",
        "４２４２",
        "١",
        "٢",
        "٣",
        "١٢٣",
        "٠٤/٢٩",
        "é",
        "e\u{301}",
        "\u{200b}",
        "\u{feff}",
        "\u{a0}",
        "\u{2009}",
        "\u{2013}",
        "🙂",
        "👩‍⚕️",
        "ß",
        "İ",
        "\u{10ffff}",
        "4242424242424242",
        "378282246310005",
        "12/30",
        "04/29",
        "1234",
        "12345",
        "-6789",
        "00",
        "99999999999999999999",
        "13",
        "2720",
        "6011",
    ];

    fn odd_string(rng: &mut Rng) -> String {
        if rng.below(4) == 0 {
            // Raw bytes, made into text the way a lenient form decoder would.
            let len = rng.below(40);
            let bytes: Vec<u8> = (0..len).map(|_| (rng.next_u64() >> 56) as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            let pieces = rng.below(25);
            (0..pieces).map(|_| rng.pick(PIECES)).collect()
        }
    }

    fn check_invariants(card: &CardInput<'_>, day: NaiveDate) {
        let result = BuiltInProcessor.store(card, day);
        let all = problems(card, day);
        match &result {
            Ok(stored) => {
                assert!(all.is_empty(), "{all:?}");
                assert_eq!(stored.last4.len(), 4);
                assert!(stored.last4.bytes().all(|b| b.is_ascii_digit()));
                assert!((1..=12).contains(&stored.exp_month));
                let digits: String = card.number.chars().filter(char::is_ascii_digit).collect();
                let shown = format!("{stored:?} {}", stored.describe());
                assert!(!shown.contains(&digits));
            }
            Err(e) => {
                assert_eq!(all.first(), Some(e));
                let _ = (e.to_string(), e.field());
            }
        }
    }

    #[test]
    fn odd_input_never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let days = [
            today(),
            NaiveDate::MIN,
            NaiveDate::MAX,
            date(1999, 12, 31),
            date(2099, 1, 1),
        ];
        for i in 0..20_000 {
            let odd = odd_string(&mut rng);
            let day = days[i % days.len()];
            // The odd text in each field alone, so later checks are reached too.
            let good = ["4242424242424242", "04/29", "123", "12345"];
            for field in 0..4 {
                let mut f = good;
                f[field] = &odd;
                check_invariants(&input(f[0], f[1], f[2], f[3]), day);
            }
            // And odd text everywhere.
            let (a, b, c) = (
                odd_string(&mut rng),
                odd_string(&mut rng),
                odd_string(&mut rng),
            );
            check_invariants(&input(&odd, &a, &b, &c), day);
        }
        // Every one- and two-byte string as every field.
        for x in 0..=255u8 {
            for y in 0..=255u8 {
                let s = String::from_utf8_lossy(&[x, y]).into_owned();
                check_invariants(&input(&s, &s, &s, &s), today());
                let one = String::from_utf8_lossy(&[x]).into_owned();
                check_invariants(&input(&one, &s, &one, &s), today());
            }
        }
    }
}
