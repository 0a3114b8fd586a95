//! Reading .zip archives safely: every entry name checked (no `../`, no absolute paths, no
//! symlinks), Mac noise dropped, password protection named, and the sizes that a zip bomb
//! inflates capped before a byte is decompressed.

use std::io::{Read, Seek};

use zip::result::ZipError;
use zip::ZipArchive;

/// Caps on what an archive may hold; the web flow and the CLI take them from settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
    /// Largest uncompressed/compressed ratio of an entry bigger than 1 MB, and of the
    /// whole archive (all it unpacks to over its own size) when that is over 1 MB.
    pub max_ratio: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_entries: 100_000,
            // One document is held whole while it is stored: 64 MB keeps an import's
            // memory small (notes and scans are far smaller).
            max_entry_bytes: 64 * 1024 * 1024,
            max_total_bytes: 8 * 1024 * 1024 * 1024,
            max_ratio: crate::import::limits::MAX_ARCHIVE_RATIO,
        }
    }
}

/// One file in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// Position in the archive, for reading it.
    pub index: usize,
    /// The path inside the archive, `/`-separated, without a leading folder that wraps
    /// the whole tree.
    pub path: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    #[error("The .zip file is damaged or incomplete (perhaps the download was cut off). Download it again and upload the new file.")]
    Corrupt,
    #[error("The .zip file is password-protected. Export it again with \"require a password\" unchecked, then upload the new file.")]
    Encrypted,
    #[error("The .zip file holds an entry whose name points outside the archive (\"{0}\"), which Caseload never unpacks. Export the data again and upload the new file.")]
    UnsafeName(String),
    #[error("The .zip file holds a link (\"{0}\") rather than a file, which Caseload does not follow. Export the data again and upload the new file.")]
    Symlink(String),
    #[error("The .zip file holds {found} files, more than the {limit} this server accepts. Ask whoever runs this server to raise the limit, or export fewer clients at a time.")]
    TooManyEntries { found: usize, limit: usize },
    #[error("The .zip file would unpack to more than this server accepts ({what}). Ask whoever runs this server to raise the limit, or export fewer clients at a time.")]
    TooLarge { what: String },
    #[error("The .zip file would unpack to {found} times its own size; Caseload accepts at most {limit} times, as zip bombs go far higher (its {files} files are {unpacked} unpacked). Export the data again and upload the new file, or ask whoever runs this server to raise CASELOAD_EXPORT_MAX_RATIO.")]
    TooCompressed {
        found: u64,
        limit: u64,
        files: usize,
        unpacked: String,
    },
}

/// Below this size, a file (or a whole archive) may be compressed any amount.
const RATIO_FROM: u64 = 1024 * 1024;

fn shown_size(bytes: u64) -> String {
    crate::domain::document::format_size(i64::try_from(bytes).unwrap_or(i64::MAX))
}

/// Whether an entry is operating-system noise to skip quietly.
fn is_noise(path: &str) -> bool {
    path.split('/').any(|part| {
        part == "__MACOSX" || part == ".DS_Store" || part.starts_with("._") || part == "Thumbs.db"
    })
}

/// Opens an archive; any reader that seeks (a file on disk, bytes in memory).
pub fn open<R: Read + Seek>(reader: R) -> Result<ZipArchive<R>, ArchiveError> {
    let mut archive = ZipArchive::new(reader).map_err(|_| ArchiveError::Corrupt)?;
    // Entries that share bytes are the mark of a crafted bomb.
    if archive.has_overlapping_files().unwrap_or(true) {
        return Err(ArchiveError::Corrupt);
    }
    Ok(archive)
}

/// Lists the files of an archive (folders and noise left out), checking every name and
/// size against `limits`. Nothing is decompressed.
pub fn list<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    limits: &ArchiveLimits,
) -> Result<Vec<ArchiveEntry>, ArchiveError> {
    if archive.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries {
            found: archive.len(),
            limit: limits.max_entries,
        });
    }
    let mut entries = Vec::new();
    let mut total: u64 = 0;
    let mut packed: u64 = 0;
    for index in 0..archive.len() {
        let file = archive
            .by_index_raw(index)
            .map_err(|_| ArchiveError::Corrupt)?;
        let raw_name = file
            .name()
            .map(|n| n.to_string())
            .map_err(|_| ArchiveError::Corrupt)?;
        if file.enclosed_name().is_none() || raw_name.starts_with('/') || raw_name.contains('\\') {
            return Err(ArchiveError::UnsafeName(raw_name));
        }
        if file.is_symlink() {
            return Err(ArchiveError::Symlink(raw_name));
        }
        if file.is_dir() || is_noise(&raw_name) {
            continue;
        }
        if file.encrypted() {
            return Err(ArchiveError::Encrypted);
        }
        let size = file.size();
        if size > limits.max_entry_bytes {
            return Err(ArchiveError::TooLarge {
                what: format!(
                    "\"{raw_name}\" is over {}, the most one file may be",
                    shown_size(limits.max_entry_bytes)
                ),
            });
        }
        if size > RATIO_FROM && size / file.compressed_size().max(1) > limits.max_ratio {
            return Err(ArchiveError::TooLarge {
                what: format!(
                    "\"{raw_name}\" is compressed more than {} times, as zip bombs are",
                    limits.max_ratio
                ),
            });
        }
        packed = packed.saturating_add(file.compressed_size());
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(ArchiveError::TooLarge {
                what: format!("over {} in all", shown_size(limits.max_total_bytes)),
            });
        }
        entries.push(ArchiveEntry {
            index,
            path: raw_name,
            size,
        });
    }
    // Many small files each under the per-file check add up: what the whole archive
    // unpacks to is held against the archive's own size too.
    let own_size = archive.central_directory_start().max(packed).max(1);
    if total > RATIO_FROM && total / own_size > limits.max_ratio {
        return Err(ArchiveError::TooCompressed {
            found: total / own_size,
            limit: limits.max_ratio,
            files: entries.len(),
            unpacked: shown_size(total),
        });
    }
    strip_wrapping_folder(&mut entries);
    Ok(entries)
}

/// A tree zipped from its parent folder ("export/Contacts/…") reads as the tree itself;
/// a lone folder of files ("Contacts/…") is the tree, not a wrapper.
fn strip_wrapping_folder(entries: &mut [ArchiveEntry]) {
    let Some(first) = entries.first() else {
        return;
    };
    let Some((top, _)) = first.path.split_once('/') else {
        return;
    };
    let prefix = format!("{top}/");
    let wraps_folders = entries.iter().any(|e| {
        e.path
            .strip_prefix(&prefix)
            .is_some_and(|rest| rest.contains('/'))
    });
    if wraps_folders && entries.iter().all(|e| e.path.starts_with(&prefix)) {
        for e in entries.iter_mut() {
            if let Some(rest) = e.path.strip_prefix(&prefix) {
                e.path = rest.to_string();
            }
        }
    }
}

/// Reads one entry whole, to its end, so that its checksum is checked; an entry longer
/// than its header said is refused (a lying header is how a bomb hides).
pub fn read_entry<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    entry: &ArchiveEntry,
) -> Result<Vec<u8>, ArchiveError> {
    let file = archive.by_index(entry.index).map_err(|e| match e {
        ZipError::UnsupportedArchive(_) | ZipError::InvalidPassword => ArchiveError::Encrypted,
        _ => ArchiveError::Corrupt,
    })?;
    let mut out = Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0).min(1 << 24));
    file.take(entry.size.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|_| ArchiveError::Corrupt)?;
    if out.len() as u64 != entry.size {
        return Err(ArchiveError::Corrupt);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in files {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn noise_is_dropped_and_a_wrapping_folder_stripped() {
        let bytes = zip_of(&[
            ("export/Contacts/Ada Lovelace - 1.vcf", b"BEGIN:VCARD"),
            ("export/.DS_Store", b"x"),
            ("__MACOSX/export/Contacts/._Ada Lovelace - 1.vcf", b"x"),
            ("export/Contacts/Grace Hopper - 2.vcf", b"BEGIN:VCARD"),
        ]);
        let mut a = open(Cursor::new(&bytes[..])).unwrap();
        let entries = list(&mut a, &ArchiveLimits::default()).unwrap();
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "Contacts/Ada Lovelace - 1.vcf",
                "Contacts/Grace Hopper - 2.vcf"
            ]
        );
        assert_eq!(read_entry(&mut a, &entries[1]).unwrap(), b"BEGIN:VCARD");
    }

    #[test]
    fn names_that_share_a_prefix_across_a_character_are_read() {
        let bytes = zip_of(&[("ab/x.vcf", b"x"), ("ab\u{e9}.vcf", b"y")]);
        let mut a = open(Cursor::new(&bytes[..])).unwrap();
        let entries = list(&mut a, &ArchiveLimits::default()).unwrap();
        assert_eq!(entries.len(), 2, "no wrapper to strip, and no panic");
    }

    #[test]
    fn many_small_files_that_unpack_far_past_the_archive_are_refused() {
        use zip::write::SimpleFileOptions;
        // 40 files of 1 MiB each, none over the per-file ratio check's 1 MiB; each
        // distinct, and each compressing to almost nothing (as in the issue: 3,000 such
        // files in 3.6 MB).
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for i in 0..40 {
            w.start_file(format!("Documents/{i}.txt"), options).unwrap();
            let mut body = vec![b' '; 1024 * 1024];
            body[..8].copy_from_slice(format!("{i:08}").as_bytes());
            w.write_all(&body).unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        let mut a = open(Cursor::new(&bytes[..])).unwrap();
        match list(&mut a, &ArchiveLimits::default()) {
            Err(e @ ArchiveError::TooCompressed { limit: 200, .. }) => {
                assert!(e.to_string().contains("at most 200 times"), "{e}");
            }
            other => panic!("expected TooCompressed, got {other:?}"),
        }
        // The same files stored without compression are fine.
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for i in 0..30 {
            w.start_file(format!("Documents/{i}.txt"), stored).unwrap();
            w.write_all(&vec![b' '; 64 * 1024]).unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        let mut a = open(Cursor::new(&bytes[..])).unwrap();
        assert_eq!(list(&mut a, &ArchiveLimits::default()).unwrap().len(), 30);
    }

    #[test]
    fn names_that_climb_out_are_refused() {
        let bytes = zip_of(&[("../evil.vcf", b"x")]);
        let mut a = open(Cursor::new(&bytes[..])).unwrap();
        assert_eq!(
            list(&mut a, &ArchiveLimits::default()),
            Err(ArchiveError::UnsafeName("../evil.vcf".into()))
        );
    }

    #[test]
    fn absolute_paths_and_links_are_refused() {
        let bytes = zip_of(&[("/etc/passwd", b"x")]);
        let mut a = open(Cursor::new(&bytes[..])).unwrap();
        assert!(matches!(
            list(&mut a, &ArchiveLimits::default()),
            Err(ArchiveError::UnsafeName(_))
        ));
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.add_symlink(
            "Contacts/a.vcf",
            "/etc/passwd",
            SimpleFileOptions::default(),
        )
        .unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let mut a = open(Cursor::new(&bytes[..])).unwrap();
        assert!(matches!(
            list(&mut a, &ArchiveLimits::default()),
            Err(ArchiveError::Symlink(_))
        ));
    }

    #[test]
    fn limits_are_kept() {
        let big = vec![b'a'; 3 * 1024 * 1024];
        let bytes = zip_of(&[("a.txt", &big), ("b.txt", b"b")]);
        let mut a = open(Cursor::new(&bytes[..])).unwrap();
        let limits = ArchiveLimits {
            max_entries: 1,
            ..Default::default()
        };
        assert!(matches!(
            list(&mut a, &limits),
            Err(ArchiveError::TooManyEntries { found: 2, .. })
        ));
        let limits = ArchiveLimits {
            max_ratio: 10,
            ..Default::default()
        };
        assert!(matches!(
            list(&mut a, &limits),
            Err(ArchiveError::TooLarge { .. })
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let good = zip_of(&[("Contacts/a.vcf", b"BEGIN:VCARD\nEND:VCARD\n")]);
        let mut seed: u32 = 7;
        for cut in 0..good.len() {
            let mut bytes = good[..cut].to_vec();
            if let Some(b) = bytes.get_mut(cut / 2) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                *b ^= (seed >> 16) as u8;
            }
            if let Ok(mut a) = open(Cursor::new(&bytes[..])) {
                if let Ok(entries) = list(&mut a, &ArchiveLimits::default()) {
                    for e in &entries {
                        let _ = read_entry(&mut a, e);
                    }
                }
            }
        }
    }
}
