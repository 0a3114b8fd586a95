//! Health information on disk is readable by the server's user alone: the data directory
//! is 0700 and every file in it (the SQLite database and its `-wal`/`-shm`, uploads waiting
//! for import, the session key) 0600, on a new install and on one made before this rule.

use std::io;
use std::path::{Path, PathBuf};

/// Files created from now on by this process are private: the process's umask drops
/// every group and other permission bit. SQLite, uploads and temporary files all create
/// their files through it, so none is ever readable by another local user, not even
/// between its creation and a later `chmod`.
pub fn restrict_new_files() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-mode creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Makes `dir` 0700 and everything below it private (directories 0700, files 0600),
/// creating `dir` if needed. Returns what had to be changed, for the log.
pub fn secure_dir(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut fixed = Vec::new();
    secure_tree(dir, &mut fixed)?;
    Ok(fixed)
}

/// An SQLite database kept outside the data directory: the file and its `-wal`/`-shm`.
pub fn secure_sqlite_files(db: &Path) -> io::Result<Vec<PathBuf>> {
    let mut fixed = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => restrict(&path, &m, 0o600, &mut fixed)?,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(fixed)
}

/// Makes one file private (0600): a backup, whatever the umask of the tool that wrote it.
pub fn restrict_file(path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    let mut fixed = Vec::new();
    restrict(path, &meta, 0o600, &mut fixed)
}

fn secure_tree(dir: &Path, fixed: &mut Vec<PathBuf>) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    restrict(dir, &meta, 0o700, fixed)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Links are left alone: following one could change a file outside the directory.
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            secure_tree(&path, fixed)?;
        } else if meta.is_file() {
            restrict(&path, &meta, 0o600, fixed)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(
    path: &Path,
    meta: &std::fs::Metadata,
    mode: u32,
    fixed: &mut Vec<PathBuf>,
) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o777 != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        fixed.push(path.to_path_buf());
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: &std::fs::Metadata, _: u32, _: &mut Vec<PathBuf>) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_old_data_dir_is_made_private_and_what_changed_is_named() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        std::fs::write(dir.join("caseload.db"), b"x").unwrap();
        std::fs::write(dir.join("tmp/upload"), b"x").unwrap();
        for (p, m) in [
            (dir.clone(), 0o755),
            (dir.join("tmp"), 0o755),
            (dir.join("caseload.db"), 0o644),
            (dir.join("tmp/upload"), 0o644),
        ] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
        }
        let outside = root.path().join("outside");
        std::fs::write(&outside, b"x").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();

        let fixed = secure_dir(&dir).unwrap();
        assert_eq!(fixed.len(), 4, "{fixed:?}");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("tmp")), 0o700);
        assert_eq!(mode(&dir.join("caseload.db")), 0o600);
        assert_eq!(mode(&dir.join("tmp/upload")), 0o600);
        assert_eq!(mode(&outside), 0o644, "a link's target is not touched");
        assert!(
            secure_dir(&dir).unwrap().is_empty(),
            "a second pass changes nothing"
        );
    }

    #[test]
    fn an_outside_database_and_its_wal_are_made_private() {
        let root = tempfile::tempdir().unwrap();
        let db = root.path().join("x.db");
        for p in [db.clone(), root.path().join("x.db-wal")] {
            std::fs::write(&p, b"x").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        assert_eq!(secure_sqlite_files(&db).unwrap().len(), 2);
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&root.path().join("x.db-wal")), 0o600);
    }
}
