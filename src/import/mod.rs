//! The import pipeline's pure parts: from a file's bytes to rows or cards, and from rows
//! to clients' fields, with no HTTP and no SQL, to be shared by the web flow, the CLI and
//! the tests.
//!
//! - `table` reads delimited text (CSV in its many encodings and separators);
//!   `xlsx` reads spreadsheets into the same `Table`; `vcard` reads vCard 2.1, 3.0, 4.0.
//! - `columns` says which column holds what; `dates` reads dates of birth.
//! - `limits` holds what any reader may build from one file (rows, columns, cells, one
//!   cell's and one row's length, what an archive may unpack to); `hostile` feeds every
//!   reader generated hostile shapes.
//!
//! Validation, matching against the list (`matching`), the review's rules (`review`: what
//! each row offers and what a choice makes of it) and commit build on these (the issue
//! "Import existing clients from .csv, .xlsx and .vcf files").

pub mod analysis;
pub mod archive;
pub mod columns;
pub mod dates;
pub mod evidence;
pub mod extract;
#[cfg(test)]
mod hostile;
pub mod households;
#[cfg(test)]
mod labelled_set;
pub mod limits;
pub mod matching;
pub mod nicknames;
pub mod plan;
pub mod review;
pub mod simplepractice;
pub mod table;
pub mod vcard;
pub mod xlsx;
