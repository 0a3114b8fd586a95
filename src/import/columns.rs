//! Which column holds what: headers matched by the synonyms real exports use (case,
//! spacing and punctuation ignored), known layouts recognised by name, and the per-row
//! choice of email and phone when a file has several.

use crate::domain::billing::BillingType;

/// A header reduced to lower-case letters and digits: "E-mail 1 - Value" → "email1value".
pub fn normalize_header(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

const FIRST: &[&str] = &[
    "firstname",
    "first",
    "givenname",
    "legalfirstname",
    "fname",
    "clientfirstname",
    "patientfirstname",
];
const LAST: &[&str] = &[
    "lastname",
    "last",
    "familyname",
    "surname",
    "legallastname",
    "lname",
    "clientlastname",
    "patientlastname",
];
const FULL: &[&str] = &[
    "name",
    "client",
    "clientname",
    "fullname",
    "displayname",
    "contactname",
    "patientname",
    "patient",
];
const DOB: &[&str] = &[
    "dateofbirth",
    "dob",
    "birthday",
    "birthdate",
    "clientdob",
    "clientdateofbirth",
    "patientdob",
];
const PREFERRED: &[&str] = &["preferredname", "nickname", "goesby"];
/// How the client pays (checked before the insurance and payment columns left out).
const BILLING: &[&str] = &[
    "billingtype",
    "billingmethod",
    "billing",
    "paymenttype",
    "paytype",
    "payertype",
    "clientbillingtype",
];
/// Whether the client is still seen (TheraNest's "Status", others' "Client Status").
const STATUS: &[&str] = &["status", "clientstatus", "patientstatus", "activestatus"];

/// A billing cell read: insurance, private pay, or (anything else) not said.
fn billing_in(cell: &str) -> Option<BillingType> {
    let v = normalize_header(cell);
    if v.is_empty() {
        return None;
    }
    const PRIVATE: &[&str] = &[
        "selfpay",
        "privatepay",
        "private",
        "cash",
        "outofpocket",
        "selfpaycash",
    ];
    if PRIVATE.contains(&v.as_str()) {
        Some(BillingType::PrivatePay)
    } else if v.contains("insurance") || v == "insured" || v.contains("innetwork") {
        Some(BillingType::Insurance)
    } else {
        None
    }
}

/// A status cell that says the client is no longer seen.
fn is_inactive(cell: &str) -> bool {
    matches!(
        normalize_header(cell).as_str(),
        "inactive" | "discharged" | "closed" | "terminated" | "archived" | "former" | "noactive"
    )
}

fn is_email(h: &str) -> bool {
    matches!(
        h,
        "email" | "emailaddress" | "primaryemail" | "clientemail" | "emailaddress1" | "mail"
    ) || (h.starts_with("email") && (h.ends_with("value") || h.ends_with("address")))
}

fn is_phone(h: &str) -> bool {
    const EXACT: &[&str] = &[
        "mobilephone",
        "mobile",
        "cell",
        "cellphone",
        "phone",
        "phonenumber",
        "primaryphone",
        "homephone",
        "businessphone",
        "mobilenumber",
        "cellnumber",
        "telephone",
        "tel",
        "clientphone",
        "mobilephonenumber",
    ];
    EXACT.contains(&h) || (h.starts_with("phone") && h.ends_with("value"))
}

fn is_mobile(h: &str) -> bool {
    h.contains("mobile") || h.contains("cell")
}

/// Columns of insurance or payment details, which are never imported (the page says so).
fn is_insurance_or_payment(h: &str) -> bool {
    [
        "insurance",
        "payer",
        "memberid",
        "policy",
        "subscriber",
        "copay",
        "groupnumber",
        "creditcard",
        "cardnumber",
        "payment",
    ]
    .iter()
    .any(|w| h.contains(w))
}

/// A phone column, and the label column that says what kind of phone it is (Google's
/// "Phone 1 - Label" beside "Phone 1 - Value").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneColumn {
    pub value: usize,
    pub label: Option<usize>,
    /// The header itself says mobile or cell.
    pub mobile: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pub first_name: Option<usize>,
    pub last_name: Option<usize>,
    pub full_name: Option<usize>,
    pub preferred_name: Option<usize>,
    pub billing_type: Option<usize>,
    /// Active, inactive, discharged…
    pub status: Option<usize>,
    /// Email columns in the order to try: the first non-empty one wins.
    pub emails: Vec<usize>,
    pub phones: Vec<PhoneColumn>,
    pub date_of_birth: Option<usize>,
    /// Insurance and payment columns found and deliberately left out.
    pub not_imported: Vec<usize>,
    /// A parent's, guardian's or emergency contact's name, email and phone.
    pub contact: ContactColumns,
}

/// The columns of the contact a row names ("Guardian", "Parent Email", "Emergency
/// Contact Phone"): used to name a household's contact, never as the client's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactColumns {
    pub name: Option<usize>,
    pub email: Option<usize>,
    pub phone: Option<usize>,
}

/// What a contact's column holds, from its header: "guardian", "parentname",
/// "emergencycontactphone", "guardian1email".
enum ContactField {
    Name,
    Email,
    Phone,
}

fn contact_field(h: &str) -> Option<ContactField> {
    const WHO: &[&str] = &[
        "guardian",
        "parent",
        "emergencycontact",
        "responsibleparty",
        "legalguardian",
        "parentguardian",
        "parentorguardian",
    ];
    let rest = WHO
        .iter()
        .filter_map(|w| h.strip_prefix(w))
        .min_by_key(|r| r.len())?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    match rest {
        "" | "name" | "fullname" | "s" | "sname" => Some(ContactField::Name),
        r if r.contains("email") || r == "mail" => Some(ContactField::Email),
        r if r.contains("phone") || r.contains("mobile") || r.contains("cell") || r == "tel" => {
            Some(ContactField::Phone)
        }
        _ => None,
    }
}

/// Columns the provider picked by hand, by position, when the headers say too little.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManualColumns {
    pub first_name: Option<usize>,
    pub last_name: Option<usize>,
    /// One column with the whole name ("Last, First" or "First Last").
    pub full_name: Option<usize>,
    pub email: Option<usize>,
    pub phone: Option<usize>,
    pub date_of_birth: Option<usize>,
}

impl ManualColumns {
    /// The column map these choices make; positions past the last column are ignored.
    pub fn to_map(&self, headers: &[String]) -> ColumnMap {
        let valid = |i: Option<usize>| i.filter(|&i| i < headers.len());
        ColumnMap {
            first_name: valid(self.first_name),
            last_name: valid(self.last_name),
            full_name: valid(self.full_name),
            preferred_name: None,
            billing_type: None,
            status: None,
            emails: valid(self.email).into_iter().collect(),
            phones: valid(self.phone)
                .map(|value| PhoneColumn {
                    value,
                    label: None,
                    mobile: true,
                })
                .into_iter()
                .collect(),
            date_of_birth: valid(self.date_of_birth),
            not_imported: Vec::new(),
            contact: ContactColumns::default(),
        }
    }

    /// The automatic guess, as a starting point for the screen that picks by hand.
    pub fn guess(headers: &[String]) -> Self {
        let map = ColumnMap::from_headers(headers);
        ManualColumns {
            first_name: map.first_name,
            last_name: map.last_name,
            full_name: map.full_name,
            email: map.emails.first().copied(),
            phone: map.phones.first().map(|p| p.value),
            date_of_birth: map.date_of_birth,
        }
    }
}

/// What a file lacks for an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingColumn {
    Names,
    Email,
}

impl MissingColumn {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Names => "first and last names (two columns such as \"First Name\" and \"Last Name\", or one such as \"Name\" or \"Client\")",
            Self::Email => "email addresses (a column such as \"Email\")",
        }
    }
}

impl ColumnMap {
    /// Matches headers to fields; the first matching column wins for single fields.
    pub fn from_headers(headers: &[String]) -> Self {
        let norm: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
        let mut map = ColumnMap::default();
        let first = |list: &[&str]| norm.iter().position(|h| list.contains(&h.as_str()));
        map.first_name = first(FIRST);
        map.last_name = first(LAST);
        map.full_name = first(FULL);
        map.preferred_name = first(PREFERRED);
        map.billing_type = first(BILLING);
        map.status = first(STATUS);
        map.date_of_birth = first(DOB);
        for (i, h) in norm.iter().enumerate() {
            if Some(i) == map.billing_type {
                continue;
            }
            if let Some(field) = contact_field(h) {
                let slot = match field {
                    ContactField::Name => &mut map.contact.name,
                    ContactField::Email => &mut map.contact.email,
                    ContactField::Phone => &mut map.contact.phone,
                };
                slot.get_or_insert(i);
            } else if is_email(h) {
                map.emails.push(i);
            } else if is_phone(h) {
                // Google: "Phone 1 - Value" pairs with "Phone 1 - Label"/"- Type".
                let label = h.strip_suffix("value").and_then(|stem| {
                    norm.iter()
                        .position(|o| *o == format!("{stem}label") || *o == format!("{stem}type"))
                });
                map.phones.push(PhoneColumn {
                    value: i,
                    label,
                    mobile: is_mobile(h),
                });
            } else if is_insurance_or_payment(h) {
                map.not_imported.push(i);
            }
        }
        // Mobile columns first: a mobile number is the one to text and call.
        map.phones.sort_by_key(|p| !p.mobile);
        map
    }

    pub fn missing(&self) -> Vec<MissingColumn> {
        let mut out = Vec::new();
        let split = self.first_name.is_some() && self.last_name.is_some();
        if !split && self.full_name.is_none() {
            out.push(MissingColumn::Names);
        }
        if self.emails.is_empty() {
            out.push(MissingColumn::Email);
        }
        out
    }

    /// The row's email: the first non-empty email column.
    pub fn email<'a>(&self, cells: &'a [String]) -> Option<&'a str> {
        self.emails.iter().filter_map(|&i| cell(cells, i)).next()
    }

    /// The contact the row names, if its contact columns hold anything.
    pub fn contact(&self, cells: &[String]) -> Option<crate::import::households::FileContact> {
        let at = |i: Option<usize>| i.and_then(|i| cell(cells, i)).map(str::to_string);
        let c = crate::import::households::FileContact {
            name: at(self.contact.name),
            email: at(self.contact.email),
            phone: at(self.contact.phone),
        };
        (c.name.is_some() || c.email.is_some() || c.phone.is_some()).then_some(c)
    }

    /// The row's phone: one labelled mobile/cell, then a mobile column, then the first.
    pub fn phone<'a>(&self, cells: &'a [String]) -> Option<&'a str> {
        let labelled_mobile = self.phones.iter().find(|p| {
            p.label
                .and_then(|l| cell(cells, l))
                .is_some_and(|l| is_mobile(&normalize_header(l)))
                && cell(cells, p.value).is_some()
        });
        labelled_mobile
            .or_else(|| {
                self.phones
                    .iter()
                    .find(|p| p.mobile && cell(cells, p.value).is_some())
            })
            .or_else(|| self.phones.iter().find(|p| cell(cells, p.value).is_some()))
            .and_then(|p| cell(cells, p.value))
    }

    /// What the row's person goes by, unless it is just their first name again.
    pub fn preferred_name(&self, cells: &[String]) -> Option<String> {
        let preferred = self.preferred_name.and_then(|i| cell(cells, i))?;
        let first = self.first_name.and_then(|i| cell(cells, i));
        (first.map(normalize_header) != Some(normalize_header(preferred)))
            .then(|| preferred.to_string())
    }

    /// How the row's person pays, when the file says in words Caseload knows.
    pub fn billing_type(&self, cells: &[String]) -> Option<BillingType> {
        self.billing_type
            .and_then(|i| cell(cells, i))
            .and_then(billing_in)
    }

    /// The file marks the row's person inactive or discharged.
    pub fn inactive(&self, cells: &[String]) -> bool {
        self.status
            .and_then(|i| cell(cells, i))
            .is_some_and(is_inactive)
    }

    /// First and last name of a row, from two columns or split from one.
    pub fn names(&self, cells: &[String]) -> (Option<String>, Option<String>) {
        let first = self
            .first_name
            .and_then(|i| cell(cells, i))
            .map(str::to_string);
        let last = self
            .last_name
            .and_then(|i| cell(cells, i))
            .map(str::to_string);
        if first.is_some() || last.is_some() {
            return (first, last);
        }
        match self.full_name.and_then(|i| cell(cells, i)) {
            Some(full) => split_full_name(full),
            None => (None, None),
        }
    }
}

/// A non-empty, trimmed cell.
fn cell(cells: &[String], i: usize) -> Option<&str> {
    cells.get(i).map(|c| c.trim()).filter(|c| !c.is_empty())
}

/// Whether a row reads like a header row (names and at least one other known field), to
/// find the header below title rows.
pub fn looks_like_header(cells: &[String]) -> bool {
    let map = ColumnMap::from_headers(cells);
    let names = map.full_name.is_some() || map.first_name.is_some() || map.last_name.is_some();
    let others = usize::from(!map.emails.is_empty())
        + usize::from(!map.phones.is_empty())
        + usize::from(map.date_of_birth.is_some());
    names && (others > 0 || (map.first_name.is_some() && map.last_name.is_some()))
}

/// "Lovelace, Ada" and "Ada Lovelace" (and "Ada King Lovelace": the last word is the last
/// name). A single word is a last name that needs a first name: reported, not guessed.
pub fn split_full_name(full: &str) -> (Option<String>, Option<String>) {
    let full = full.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((last, first)) = full.split_once(',') {
        let (first, last) = (first.trim(), last.trim());
        return (
            Some(first.to_string()).filter(|s| !s.is_empty()),
            Some(last.to_string()).filter(|s| !s.is_empty()),
        );
    }
    match full.rsplit_once(' ') {
        Some((first, last)) => (Some(first.to_string()), Some(last.to_string())),
        None if full.is_empty() => (None, None),
        None => (None, Some(full)),
    }
}

/// Exports we know by their headers, named on the review page. Each of them writes its
/// header on the first row: a file with title rows above the header was made by hand
/// (or edited), so it is named after none of them.
pub fn recognise_layout(headers: &[String], header_line: usize) -> Option<&'static str> {
    if header_line > 1 {
        return None;
    }
    let norm: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    let has = |h: &str| norm.iter().any(|n| n == h);
    if has("givenname") && has("familyname") && has("email1value") {
        Some("Google Contacts (older export)")
    } else if has("firstname")
        && has("middlename")
        && has("lastname")
        && has("email1value")
        && has("labels")
    {
        Some("Google Contacts")
    } else if has("firstname")
        && has("lastname")
        && has("emailaddress")
        && has("mobilephone")
        && has("suffix")
    {
        Some("Outlook contacts")
    } else if norm.len() <= 4
        && ["firstname", "lastname", "email"]
            .iter()
            .chain(norm.get(3).map(|_| &"mobilephone"))
            .all(|h| has(h))
    {
        // Headway's template: exactly these columns, nothing else.
        Some("Headway client template")
    } else if has("client") && (has("email") || has("clientemail")) {
        Some("SimplePractice client report")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn synonyms_match_whatever_the_spelling() {
        for (first, last, email, phone, dob) in [
            (
                "First Name",
                "Last Name",
                "Email",
                "Mobile Phone",
                "Date of Birth",
            ),
            (
                "first_name",
                "last_name",
                "email_address",
                "phone_number",
                "date_of_birth",
            ),
            ("FirstName", "LastName", "Email", "MobilePhone", "DOB"),
            (
                "Given Name",
                "Family Name",
                "E-mail 1 - Value",
                "Phone 1 - Value",
                "Birthday",
            ),
            (
                "Legal First Name",
                "Surname",
                "E-mail Address",
                "Cell",
                "Birth Date",
            ),
        ] {
            let map =
                ColumnMap::from_headers(&headers(&["Client ID", first, last, email, phone, dob]));
            assert_eq!(map.first_name, Some(1), "{first}");
            assert_eq!(map.last_name, Some(2), "{last}");
            assert_eq!(map.emails, [3], "{email}");
            assert_eq!(map.phones.first().map(|p| p.value), Some(4), "{phone}");
            assert_eq!(map.date_of_birth, Some(5), "{dob}");
            assert!(map.missing().is_empty());
        }
    }

    #[test]
    fn a_single_name_column_is_enough_and_is_split() {
        let map = ColumnMap::from_headers(&headers(&["Client", "Email"]));
        assert!(map.missing().is_empty());
        let row = headers(&["Lovelace, Ada", "ada@example.com"]);
        assert_eq!(
            map.names(&row),
            (Some("Ada".into()), Some("Lovelace".into()))
        );
        assert_eq!(
            split_full_name("Ada  King Lovelace"),
            (Some("Ada King".into()), Some("Lovelace".into()))
        );
        assert_eq!(split_full_name("Cher"), (None, Some("Cher".into())));
        assert_eq!(split_full_name("  "), (None, None));
    }

    #[test]
    fn missing_columns_are_named() {
        let map = ColumnMap::from_headers(&headers(&["Phone", "Notes"]));
        assert_eq!(map.missing(), [MissingColumn::Names, MissingColumn::Email]);
        assert!(MissingColumn::Names.describe().contains("First Name"));
    }

    #[test]
    fn the_mobile_number_is_preferred() {
        let map = ColumnMap::from_headers(&headers(&["Name", "Home Phone", "Mobile Phone"]));
        assert_eq!(
            map.phone(&headers(&["Ada Lovelace", "111", "222"])),
            Some("222")
        );
        assert_eq!(
            map.phone(&headers(&["Ada Lovelace", "111", ""])),
            Some("111")
        );
        let google = ColumnMap::from_headers(&headers(&[
            "Name",
            "Phone 1 - Label",
            "Phone 1 - Value",
            "Phone 2 - Label",
            "Phone 2 - Value",
        ]));
        assert_eq!(
            google.phone(&headers(&["Ada", "Home", "111", "Mobile", "222"])),
            Some("222")
        );
        assert_eq!(
            google.phone(&headers(&["Ada", "Work", "111", "", ""])),
            Some("111")
        );
    }

    #[test]
    fn several_email_columns_take_the_first_filled() {
        let map =
            ColumnMap::from_headers(&headers(&["Name", "E-mail Address", "E-mail 2 Address"]));
        assert_eq!(
            map.email(&headers(&["Ada", "", "ada@example.com"])),
            Some("ada@example.com")
        );
    }

    #[test]
    fn insurance_and_payment_columns_are_set_aside() {
        let map = ColumnMap::from_headers(&headers(&[
            "Name",
            "Email",
            "Insurance Company",
            "Member ID",
            "Credit Card",
        ]));
        assert_eq!(map.not_imported, [2, 3, 4]);
    }

    #[test]
    fn header_rows_are_told_from_title_rows() {
        assert!(!looks_like_header(&headers(&[
            "Client list — exported 11/27/2026"
        ])));
        assert!(looks_like_header(&headers(&[
            "First Name",
            "Last Name",
            "Email"
        ])));
        assert!(looks_like_header(&headers(&["Client", "Email"])));
        assert!(!looks_like_header(&headers(&[
            "Ada",
            "Lovelace",
            "ada@example.com"
        ])));
    }

    #[test]
    fn known_layouts_are_recognised() {
        assert_eq!(
            recognise_layout(
                &headers(&["First Name", "Last Name", "Email", "Mobile Phone"]),
                1
            ),
            Some("Headway client template")
        );
        assert_eq!(
            recognise_layout(
                &headers(&["First Name", "Last Name", "Email", "Mobile Phone"]),
                3
            ),
            None,
            "title rows above the header: made by hand, not Headway's template"
        );
        assert_eq!(
            recognise_layout(&headers(&["First Name", "Last Name", "Email", "Notes"]), 1),
            None
        );
        assert_eq!(
            recognise_layout(
                &headers(&[
                    "First Name",
                    "Middle Name",
                    "Last Name",
                    "Birthday",
                    "Labels",
                    "E-mail 1 - Label",
                    "E-mail 1 - Value"
                ]),
                1
            ),
            Some("Google Contacts")
        );
        assert_eq!(
            recognise_layout(
                &headers(&[
                    "Name",
                    "Given Name",
                    "Additional Name",
                    "Family Name",
                    "E-mail 1 - Type",
                    "E-mail 1 - Value"
                ]),
                1
            ),
            Some("Google Contacts (older export)")
        );
        assert_eq!(
            recognise_layout(
                &headers(&[
                    "First Name",
                    "Middle Name",
                    "Last Name",
                    "Title",
                    "Suffix",
                    "E-mail Address",
                    "Mobile Phone"
                ]),
                1
            ),
            Some("Outlook contacts")
        );
        assert_eq!(
            recognise_layout(&headers(&["Client", "Email", "Phone"]), 1),
            Some("SimplePractice client report")
        );
        assert_eq!(recognise_layout(&headers(&["Foo", "Bar"]), 1), None);
    }

    #[test]
    fn a_guardians_columns_name_the_contact_never_the_client() {
        for (name, email, phone) in [
            ("Guardian", "Guardian Email", "Guardian Phone"),
            ("Parent Name", "Parent E-mail", "Parent Mobile"),
            (
                "Emergency Contact",
                "Emergency Contact Email",
                "Emergency Contact Phone",
            ),
            (
                "Parent/Guardian",
                "Parent/Guardian Email",
                "Parent/Guardian Cell",
            ),
        ] {
            let h = headers(&[
                "First Name",
                "Last Name",
                "Email",
                "Phone",
                name,
                email,
                phone,
            ]);
            let map = ColumnMap::from_headers(&h);
            assert_eq!(map.emails, [2], "{name}");
            assert_eq!(map.phones.len(), 1, "{name}");
            assert_eq!(
                map.contact,
                ContactColumns {
                    name: Some(4),
                    email: Some(5),
                    phone: Some(6)
                },
                "{name}"
            );
            let cells = headers(&[
                "Grace",
                "Okafor",
                "f@example.com",
                "",
                "Maria Okafor",
                "",
                "555",
            ]);
            let c = map.contact(&cells).unwrap();
            assert_eq!(c.name.as_deref(), Some("Maria Okafor"));
            assert_eq!((c.email, c.phone.as_deref()), (None, Some("555")));
        }
        let plain = ColumnMap::from_headers(&headers(&["Name", "Email"]));
        assert_eq!(plain.contact(&headers(&["Ada", "a@example.com"])), None);
    }
}
