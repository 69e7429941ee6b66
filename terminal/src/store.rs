//! The delivery ledger: which (file name, content hash) pairs a consumer has acknowledged.
//!
//! SQLite in WAL mode with `synchronous=FULL`: an acknowledgement is one transaction, durable
//! when `ack` returns; a kill -9 at any point leaves either the old or the new ledger, never a
//! torn one. Only acknowledged pairs are stored, so everything not in the ledger is delivered
//! (again) after a restart: at least once by construction.
//!
//! Crash points (what a kill -9 right there does):
//! - before the transaction commits: the pair is not acknowledged; the file is delivered again.
//! - after it commits: the pair is acknowledged; it is never delivered again (same content).
//!
//! A ledger that cannot be opened or written is an error the caller sees; one that SQLite finds
//! corrupt is moved aside (`<file>.corrupt-<unix time>`) and rebuilt, which means every file still
//! in the folders is delivered again (never lost).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use kohi::{Error, Result};

pub(crate) struct Store {
    conn: Connection,
}

/// The ledger's format (SQLite's `user_version`): 1 is the `acked` table below. Raised, with a
/// migration from every earlier one, whenever the schema changes.
const LEDGER_FORMAT: u32 = 1;

/// The message of the SQLite error that stands for a ledger of a newer format.
const NEWER_FORMAT: &str = "kohi: a ledger of a newer format";

/// What a failed SQLite call maps to: the operation and a fixed description of the failure
/// (SQLite's own message can name the file, so it never reaches ours).
fn store_error(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| {
        let kind = match e.sqlite_error_code() {
            Some(ErrorCode::CannotOpen) if newer_format(&e) => "written by a newer kohi",
            Some(ErrorCode::DiskFull) => "disk full",
            Some(ErrorCode::ReadOnly) => "read-only",
            Some(ErrorCode::CannotOpen) => "cannot open",
            Some(ErrorCode::PermissionDenied) => "permission denied",
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => "corrupt",
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => "busy",
            Some(ErrorCode::SystemIoFailure) => "I/O failure",
            _ => "SQLite error",
        };
        Error::StateStore { operation, kind }
    }
}

fn newer_format(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(_, Some(message)) if message == NEWER_FORMAT)
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Store {
    /// Opens (or creates) the ledger. The second value is where a corrupt ledger was moved.
    pub(crate) fn open(path: &Path) -> Result<(Store, Option<PathBuf>)> {
        match Self::open_checked(path) {
            Ok(store) => Ok((store, None)),
            Err(e) if is_corruption(&e) => {
                let aside = move_aside(path)?;
                let store = Self::open_checked(path).map_err(store_error("rebuild"))?;
                Ok((store, Some(aside)))
            }
            Err(e) => Err(store_error("open")(e)),
        }
    }

    fn open_checked(path: &Path) -> rusqlite::Result<Store> {
        let conn = Connection::open(path)?;
        // EXCLUSIVE before WAL: one connection owns the file, and SQLite then keeps the WAL index
        // in its own memory instead of a shared-memory file, so WAL also works when the ledger
        // lives on a network share (the watched folder often is one). WAL: a commit is one
        // append; FULL: it is on disk when the call returns.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
        if check != "ok" {
            return Err(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT), None));
        }
        // The ledger's format, for the versions to come: one that finds an older format
        // migrates it; this one refuses a newer one rather than misread it (an error the
        // caller sees: nothing is delivered or marked, and the file is left as it is).
        let format: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if format > LEDGER_FORMAT {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(NEWER_FORMAT.into()),
            ));
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS acked (
                 name BLOB NOT NULL,      -- folder/name, the name's exact bytes
                 hash TEXT NOT NULL,      -- SHA-256 of the content, hex
                 acked_at INTEGER NOT NULL,
                 PRIMARY KEY (name, hash)
             ) WITHOUT ROWID;",
        )?;
        if format < LEDGER_FORMAT {
            // 0: new, or written before the format was recorded (the same table).
            conn.pragma_update(None, "user_version", LEDGER_FORMAT)?;
        }
        Ok(Store { conn })
    }

    pub(crate) fn is_acked(&self, name: &[u8], hash: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT 1 FROM acked WHERE name = ?1 AND hash = ?2", params![name, hash], |_| Ok(()))
            .optional()
            .map(|row| row.is_some())
            .map_err(store_error("read"))
    }

    /// Records an acknowledgement: one transaction, durable on return.
    pub(crate) fn ack(&mut self, name: &[u8], hash: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO acked (name, hash, acked_at) VALUES (?1, ?2, ?3)",
                params![name, hash, now_secs()],
            )
            .map(drop)
            .map_err(store_error("write"))
    }

    /// Forgets acknowledgements older than `days` whose file is gone (`present` says whether a
    /// name still exists): the ledger stays as small as the folders. A pruned file that came
    /// back with the same content would be delivered again, never lost.
    pub(crate) fn prune(&mut self, days: u32, present: impl Fn(&[u8]) -> bool) -> Result<usize> {
        let cutoff = now_secs() - i64::from(days) * 86_400;
        let tx = self.conn.transaction().map_err(store_error("prune"))?;
        let old: Vec<(Vec<u8>, String)> = {
            let mut statement =
                tx.prepare("SELECT name, hash FROM acked WHERE acked_at < ?1").map_err(store_error("prune"))?;
            let rows = statement
                .query_map(params![cutoff], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(store_error("prune"))?;
            rows.collect::<rusqlite::Result<_>>().map_err(store_error("prune"))?
        };
        let mut pruned = 0;
        for (name, hash) in old.iter().filter(|(name, _)| !present(name)) {
            pruned += tx
                .execute("DELETE FROM acked WHERE name = ?1 AND hash = ?2", params![name, hash])
                .map_err(store_error("prune"))?;
        }
        tx.commit().map_err(store_error("prune"))?;
        Ok(pruned)
    }

    #[cfg(test)]
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Moves a corrupt ledger and its WAL files aside; returns the new name of the ledger.
fn move_aside(path: &Path) -> Result<PathBuf> {
    let stamp = now_secs();
    let with_suffix = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let aside = with_suffix(&format!(".corrupt-{stamp}"));
    std::fs::rename(path, &aside).map_err(Error::io)?;
    for wal in ["-wal", "-shm"] {
        let from = with_suffix(wal);
        if from.exists() {
            let _ = std::fs::rename(&from, with_suffix(&format!(".corrupt-{stamp}{wal}")));
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kohi-store-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn acknowledgements_survive_reopening() {
        let dir = temp("reopen");
        let path = dir.join("ledger.sqlite");
        let (mut store, aside) = Store::open(&path).unwrap();
        assert!(aside.is_none());
        assert!(!store.is_acked(b"res/a.xml", "11").unwrap());
        store.ack(b"res/a.xml", "11").unwrap();
        store.ack(b"res/a.xml", "11").unwrap(); // twice is once
        drop(store);
        let (store, _) = Store::open(&path).unwrap();
        assert!(store.is_acked(b"res/a.xml", "11").unwrap());
        assert!(!store.is_acked(b"res/a.xml", "22").unwrap(), "same name, other content");
        assert!(!store.is_acked(b"res/b.xml", "11").unwrap(), "same content, other name");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_ledger_records_its_format_and_refuses_a_newer_one() {
        let dir = temp("format");
        let path = dir.join("ledger.sqlite");
        let (store, _) = Store::open(&path).unwrap();
        let format: u32 = store.connection().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(format, LEDGER_FORMAT);
        drop(store);
        // A ledger of an earlier build (no format recorded) is the same table: opened, kept.
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 0).unwrap();
        conn.execute("INSERT INTO acked VALUES (x'72', '11', 0)", []).unwrap();
        drop(conn);
        let (store, aside) = Store::open(&path).unwrap();
        assert!(aside.is_none() && store.is_acked(b"r", "11").unwrap());
        drop(store);
        // A newer one is refused, typed, and left as it was (not moved aside, not rewritten).
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", LEDGER_FORMAT + 1).unwrap();
        drop(conn);
        match Store::open(&path) {
            Err(Error::StateStore { operation: "open", kind }) => assert_eq!(kind, "written by a newer kohi"),
            other => panic!("{:?}", other.map(|_| ())),
        }
        let conn = Connection::open(&path).unwrap();
        let format: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        let rows: u32 = conn.query_row("SELECT count(*) FROM acked", [], |row| row.get(0)).unwrap();
        assert_eq!((format, rows), (LEDGER_FORMAT + 1, 1));
        let names: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(names.iter().all(|n| !n.contains("corrupt")), "nothing moved aside: {names:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_corrupt_ledger_is_moved_aside_and_rebuilt() {
        let dir = temp("corrupt");
        let path = dir.join("ledger.sqlite");
        std::fs::write(&path, b"this is not an SQLite database, only a stray line\n".repeat(200)).unwrap();
        let (mut store, aside) = Store::open(&path).unwrap();
        let aside = aside.expect("moved aside");
        assert!(aside.exists());
        assert!(aside.file_name().unwrap().to_string_lossy().starts_with("ledger.sqlite.corrupt-"));
        store.ack(b"res/a.xml", "11").unwrap();
        assert!(store.is_acked(b"res/a.xml", "11").unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_ledger_that_cannot_be_created_is_an_error() {
        let dir = temp("unwritable");
        std::fs::write(dir.join("file"), b"").unwrap();
        // The parent is a regular file: no process, root included, can create the ledger there.
        let e = Store::open(&dir.join("file").join("ledger.sqlite")).err().unwrap();
        assert_eq!((e.code(), e.number()), ("state_store", 16));
        assert_eq!(e.to_string(), "the watcher's state store failed (open): cannot open");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_full_disk_fails_the_acknowledgement_and_keeps_the_ledger() {
        let dir = temp("full");
        let path = dir.join("ledger.sqlite");
        let (mut store, _) = Store::open(&path).unwrap();
        store.ack(b"res/first.xml", "00").unwrap();
        // Injected "disk full": the database may not grow past its current pages.
        let pages: i64 = store.connection().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        store.connection().pragma_update(None, "max_page_count", pages).unwrap();
        let long_name = vec![b'x'; 3000];
        let failure = (0..1000).find_map(|i| store.ack(&long_name, &format!("{i:064}")).err()).expect("disk full");
        assert_eq!(failure.to_string(), "the watcher's state store failed (write): disk full");
        drop(store);
        let (store, aside) = Store::open(&path).unwrap();
        assert!(aside.is_none(), "a full disk is not corruption");
        assert!(store.is_acked(b"res/first.xml", "00").unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn pruning_keeps_recent_and_present_names() {
        let dir = temp("prune");
        let (mut store, _) = Store::open(&dir.join("ledger.sqlite")).unwrap();
        store.ack(b"res/gone.xml", "1").unwrap();
        store.ack(b"res/here.xml", "2").unwrap();
        store.ack(b"res/recent-gone.xml", "3").unwrap();
        store
            .connection()
            .execute("UPDATE acked SET acked_at = 0 WHERE name != ?1", [&b"res/recent-gone.xml"[..]])
            .unwrap();
        assert_eq!(store.prune(30, |name| name == b"res/here.xml").unwrap(), 1);
        assert!(!store.is_acked(b"res/gone.xml", "1").unwrap());
        assert!(store.is_acked(b"res/here.xml", "2").unwrap());
        assert!(store.is_acked(b"res/recent-gone.xml", "3").unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
