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
