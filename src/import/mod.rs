//! The import pipeline's readers: pure functions from a file's bytes to rows or cards,
//! with no HTTP and no SQL, shared by the web flow, the CLI and the tests.
//!
//! `table` reads delimited text (CSV in its many encodings and separators); `vcard` reads
//! vCard 2.1, 3.0 and 4.0 files. Column mapping, validation, matching and committing
//! build on these (issue "Import existing clients from .csv, .xlsx and .vcf files").

pub mod table;
pub mod vcard;
