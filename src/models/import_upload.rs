//! The uploaded file of an import, kept in the database in parts while it waits for
//! analysis and review, so that whichever instance checks or imports it can read it (see
//! `import_jobs::UploadStore`). A sweep across batches by id: the batch's own scope was
//! checked when it was loaded.

use diesel::prelude::*;

use crate::db::schema::import_uploads;
use crate::db::DbConnection;

pub fn add_part(
    conn: &mut DbConnection,
    batch_id: &str,
    part: i32,
    bytes: &[u8],
) -> QueryResult<()> {
    diesel::insert_into(import_uploads::table)
        .values((
            import_uploads::batch_id.eq(batch_id),
            import_uploads::part.eq(part),
            import_uploads::bytes.eq(bytes),
        ))
        .execute(conn)
        .map(|_| ())
}

/// How many parts the batch's file has (0: none is kept).
pub fn parts(conn: &mut DbConnection, batch_id: &str) -> QueryResult<i32> {
    import_uploads::table
        .filter(import_uploads::batch_id.eq(batch_id))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n as i32)
}

pub fn part(conn: &mut DbConnection, batch_id: &str, part: i32) -> QueryResult<Option<Vec<u8>>> {
    import_uploads::table
        .filter(import_uploads::batch_id.eq(batch_id))
        .filter(import_uploads::part.eq(part))
        .select(import_uploads::bytes)
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConnection, batch_id: &str) -> QueryResult<usize> {
    diesel::delete(import_uploads::table.filter(import_uploads::batch_id.eq(batch_id)))
        .execute(conn)
}

/// A stored upload read as a file is read (`Read + Seek`), its parts fetched from the
/// database as they are reached and the last few kept: an export is opened and its
/// documents read straight from where it is stored, each byte read once, instead of being
/// copied into a temporary file first. It has a connection of its own, so that one thread
/// can read the upload while another writes in the import's transaction.
pub struct PartsReader {
    conn: DbConnection,
    batch_id: String,
    part_bytes: u64,
    parts: i32,
    len: u64,
    pos: u64,
    /// The parts read last, newest first: an export's documents are read client by
    /// client, from several of its folders in turn.
    recent: std::collections::VecDeque<(i32, Vec<u8>)>,
}

/// How many parts a [`PartsReader`] keeps.
const KEPT_PARTS: usize = 8;

impl PartsReader {
    /// The upload of `batch_id`, stored in parts of `part_bytes` (the last may be
    /// shorter); `None` when none is kept.
    pub fn open(
        mut conn: DbConnection,
        batch_id: &str,
        part_bytes: usize,
    ) -> QueryResult<Option<Self>> {
        let parts = parts(&mut conn, batch_id)?;
        if parts == 0 {
            return Ok(None);
        }
        let Some(last) = part(&mut conn, batch_id, parts - 1)? else {
            return Ok(None);
        };
        let part_bytes = part_bytes as u64;
        let len = (parts as u64 - 1) * part_bytes + last.len() as u64;
        let mut recent = std::collections::VecDeque::with_capacity(KEPT_PARTS);
        recent.push_front((parts - 1, last));
        Ok(Some(PartsReader {
            conn,
            batch_id: batch_id.to_string(),
            part_bytes,
            parts,
            len,
            pos: 0,
            recent,
        }))
    }

    /// The upload's size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Part `k`, from those kept or from the database.
    fn fetch(&mut self, k: i32) -> std::io::Result<&[u8]> {
        use std::io::{Error, ErrorKind};
        if let Some(i) = self.recent.iter().position(|(n, _)| *n == k) {
            if i > 0 {
                if let Some(hit) = self.recent.remove(i) {
                    self.recent.push_front(hit);
                }
            }
        } else {
            let bytes = part(&mut self.conn, &self.batch_id, k)
                .map_err(Error::other)?
                .ok_or_else(|| Error::new(ErrorKind::NotFound, "a part of the upload is gone"))?;
            if k < self.parts - 1 && bytes.len() as u64 != self.part_bytes {
                return Err(Error::new(
                    ErrorKind::InvalidData,
                    "a part of the upload has the wrong size",
                ));
            }
            if self.recent.len() == KEPT_PARTS {
                self.recent.pop_back();
            }
            self.recent.push_front((k, bytes));
        }
        Ok(self
            .recent
            .front()
            .map(|(_, b)| b.as_slice())
            .unwrap_or(&[]))
    }
}

impl std::io::Read for PartsReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let k = (self.pos / self.part_bytes) as i32;
        let offset = (self.pos % self.part_bytes) as usize;
        let part = self.fetch(k)?;
        let available = part.get(offset..).unwrap_or(&[]);
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for PartsReader {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            std::io::SeekFrom::Start(n) => Some(n),
            std::io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let Some(target) = target else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a seek before the start of the upload",
            ));
        };
        self.pos = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, SeekFrom};

    use super::*;
    use crate::models::testing::{at, conn, provider};

    /// A batch whose upload is `bytes` in parts of `part_bytes`.
    fn stored(bytes: &[u8], part_bytes: usize) -> (DbConnection, String) {
        let mut conn = conn();
        let (_, scope) = provider(&mut conn, "elena@example.com");
        let batch = crate::models::import_batch::create(
            &mut conn,
            &scope,
            "export.zip",
            "web",
            at("2026-12-02 10:00"),
        )
        .unwrap();
        for (k, part) in bytes.chunks(part_bytes).enumerate() {
            add_part(&mut conn, &batch.id, k as i32, part).unwrap();
        }
        (conn, batch.id.clone())
    }

    fn read_at(r: &mut PartsReader, from: SeekFrom, n: usize) -> Vec<u8> {
        r.seek(from).unwrap();
        let mut out = Vec::new();
        r.take(n as u64).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn an_upload_reads_back_as_the_file_it_was_across_its_parts_and_any_seek() {
        // Twelve parts of 10 bytes and one of 7: more than are kept at once.
        let bytes: Vec<u8> = (0..127u8).collect();
        let (conn, id) = stored(&bytes, 10);
        let mut r = PartsReader::open(conn, &id, 10).unwrap().expect("kept");
        assert_eq!(r.len(), 127);

        // Read whole in reads of 3 bytes, which never line up with the parts.
        let mut whole = Vec::new();
        let mut buf = [0u8; 3];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            whole.extend_from_slice(&buf[..n]);
        }
        assert_eq!(whole, bytes);

        // As an archive is read: its end first, then here and there.
        assert_eq!(read_at(&mut r, SeekFrom::End(-5), 100), &bytes[122..]);
        assert_eq!(read_at(&mut r, SeekFrom::Start(8), 5), &bytes[8..13]);
        assert_eq!(read_at(&mut r, SeekFrom::Current(-1), 4), &bytes[12..16]);
        assert_eq!(read_at(&mut r, SeekFrom::Start(0), 127), bytes);
        for start in [95u64, 3, 61, 118, 40, 0, 126] {
            assert_eq!(
                read_at(&mut r, SeekFrom::Start(start), 17),
                &bytes[start as usize..(start as usize + 17).min(127)]
            );
        }
        // Past the end reads nothing; before the start is refused.
        assert!(read_at(&mut r, SeekFrom::Start(500), 10).is_empty());
        assert!(r.seek(SeekFrom::Current(-1000)).is_err());
    }

    #[test]
    fn a_missing_or_cut_part_is_an_error_and_no_upload_is_none() {
        let bytes: Vec<u8> = (0..50u8).collect();
        let (mut conn, id) = stored(&bytes, 10);
        diesel::update(
            import_uploads::table
                .filter(import_uploads::batch_id.eq(&id))
                .filter(import_uploads::part.eq(1)),
        )
        .set(import_uploads::bytes.eq(&bytes[10..15]))
        .execute(&mut conn)
        .unwrap();
        // Part 3 is not where it should be (the count of parts still says five).
        diesel::update(
            import_uploads::table
                .filter(import_uploads::batch_id.eq(&id))
                .filter(import_uploads::part.eq(3)),
        )
        .set(import_uploads::part.eq(9))
        .execute(&mut conn)
        .unwrap();
        let mut r = PartsReader::open(conn, &id, 10).unwrap().expect("kept");
        let mut buf = [0u8; 4];
        r.seek(SeekFrom::Start(12)).unwrap();
        let cut = r.read(&mut buf).unwrap_err();
        assert_eq!(cut.kind(), std::io::ErrorKind::InvalidData);
        r.seek(SeekFrom::Start(31)).unwrap();
        let gone = r.read(&mut buf).unwrap_err();
        assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);
        // The parts that are there still read.
        assert_eq!(read_at(&mut r, SeekFrom::Start(2), 5), &bytes[2..7]);

        let (mut conn, id) = stored(&bytes, 10);
        delete(&mut conn, &id).unwrap();
        assert!(PartsReader::open(conn, &id, 10).unwrap().is_none());
    }
}
