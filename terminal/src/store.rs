//! The delivery ledger: which (file name, content hash) pairs a consumer has acknowledged.
//!
//! SQLite in WAL mode with `synchronous=FULL`: an acknowledgement is one transaction, durable
//! when `ack` returns; a kill -9 at any point leaves either the old or the new ledger, never a
//! torn one. Only acknowledged pairs are stored, so everything not in the ledger is delivered
//! (again) after a restart: at least once by construction. With each acknowledged document, in
//! the same transaction, goes what pairing remembers of it (`remembered`: header id, free part
//! of the name, path; the last 4,096), so `related` outlives a restart. Requests registered with
//! `expect` (`expected`: `ArbitraryFileIdentifier`, request path; the last 4,096) are written
//! when `expect` returns, so `request` outlives a restart too.
//!
//! Crash points (what a kill -9 right there does):
//! - before the transaction commits: the pair is not acknowledged nor the document remembered;
//!   the file is delivered again (and remembered at its next acknowledgement).
//! - after it commits: the pair is acknowledged and the document remembered; it is never
//!   delivered again (same content), and a later document still pairs with it.
//! - registering a request (`expect`), before its transaction commits: `expect` has not
//!   returned, so the caller has no success to rely on (nothing is registered); after: the
//!   registration holds in every later run until 4,096 newer ones replace it.
//!
//! A ledger that cannot be opened or written is an error the caller sees; one that SQLite finds
//! corrupt is moved aside (`<file>.corrupt-<unix time>`) and rebuilt, which means every file still
//! in the folders is delivered again (never lost).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use kohi::{Error, Result};

use crate::watch::{EXPECT_MEMORY, PAIRING_MEMORY, Seen};

pub(crate) struct Store {
    conn: Connection,
}

/// The ledger's format (SQLite's `user_version`): 1 is the `acked` table below, 2 adds
/// `remembered`, 3 `expected`. Raised, with a migration from every earlier one, whenever the
/// schema changes.
const LEDGER_FORMAT: u32 = 3;

/// What a failed SQLite call maps to: the operation and a fixed description of the failure
/// (SQLite's own message can name the file, so it never reaches ours).
fn store_error(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| {
        let kind = match e.sqlite_error_code() {
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

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase))
}

/// Why a ledger did not open: SQLite's error, or a format this build does not know.
enum OpenError {
    Sqlite(rusqlite::Error),
    Newer,
}

impl From<rusqlite::Error> for OpenError {
    fn from(e: rusqlite::Error) -> Self {
        OpenError::Sqlite(e)
    }
}

impl OpenError {
    fn into_error(self, operation: &'static str) -> Error {
        match self {
            OpenError::Sqlite(e) => store_error(operation)(e),
            OpenError::Newer => Error::StateStore { operation, kind: "written by a newer kohi" },
        }
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Store {
    /// Opens (or creates) the ledger. The second value is where a corrupt ledger was moved.
    pub(crate) fn open(path: &Path) -> Result<(Store, Option<PathBuf>)> {
        match Self::open_checked(path) {
            Ok(store) => Ok((store, None)),
            Err(OpenError::Sqlite(e)) if is_corruption(&e) => {
                let aside = move_aside(path)?;
                let store = Self::open_checked(path).map_err(|e| e.into_error("rebuild"))?;
                Ok((store, Some(aside)))
            }
            Err(e) => Err(e.into_error("open")),
        }
    }

    fn open_checked(path: &Path) -> std::result::Result<Store, OpenError> {
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
            return Err(
                rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT), None).into()
            );
        }
        // The ledger's format, for the versions to come: one that finds an older format
        // migrates it; this one refuses a newer one rather than misread it (an error the
        // caller sees: nothing is delivered or marked, and the file is left as it is).
        let format: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if format > LEDGER_FORMAT {
            return Err(OpenError::Newer);
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS acked (
                 name BLOB NOT NULL,      -- folder/name, the name's exact bytes
                 hash TEXT NOT NULL,      -- SHA-256 of the content, hex
                 acked_at INTEGER NOT NULL,
                 PRIMARY KEY (name, hash)
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS remembered (
                 seq INTEGER PRIMARY KEY, -- in the order of acknowledgement
                 pmh INTEGER NOT NULL,    -- 1: a PMH document; 0: a qualification result
                 id TEXT,                 -- the header's ArbitraryFileIdentifier
                 free_name TEXT,          -- the free part of the file's name
                 path TEXT NOT NULL       -- the file as it was delivered
             );
             CREATE TABLE IF NOT EXISTS expected (
                 seq INTEGER PRIMARY KEY, -- in the order of registration
                 id TEXT NOT NULL UNIQUE, -- the ArbitraryFileIdentifier a result will carry
                 request TEXT NOT NULL    -- the request file it answers
             );",
        )?;
        if format < LEDGER_FORMAT {
            // 0: new, or written before the format was recorded; 1: without `remembered`; 2:
            // without `expected`. All are migrated by the CREATEs above (an upgrade remembers
            // nothing of earlier runs). A kill -9 between the CREATEs and this line leaves the
            // tables with the old number: the next open runs both again (IF NOT EXISTS).
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
    #[cfg(test)]
    pub(crate) fn ack(&mut self, name: &[u8], hash: &str) -> Result<()> {
        self.ack_remembering(name, hash, None)
    }

    /// Records an acknowledgement and, in the same transaction, what pairing remembers of the
    /// document (the last `PAIRING_MEMORY` are kept): durable on return. A kill -9 before the
    /// commit leaves neither (the file is delivered again and remembered then), after it both.
    /// A path that is not Unicode is remembered for this run only.
    pub(crate) fn ack_remembering(&mut self, name: &[u8], hash: &str, seen: Option<&Seen>) -> Result<()> {
        let mut write = || -> rusqlite::Result<()> {
            let tx = self.conn.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO acked (name, hash, acked_at) VALUES (?1, ?2, ?3)",
                params![name, hash, now_secs()],
            )?;
            if let Some((seen, path)) = seen.and_then(|seen| Some((seen, seen.path.to_str()?))) {
                tx.execute(
                    "INSERT INTO remembered (pmh, id, free_name, path) VALUES (?1, ?2, ?3, ?4)",
                    params![seen.pmh, seen.id, seen.free_name, path],
                )?;
                let forget_before = tx.last_insert_rowid() - PAIRING_MEMORY as i64;
                tx.execute("DELETE FROM remembered WHERE seq <= ?1", params![forget_before])?;
            }
            tx.commit()
        };
        write().map_err(store_error("write"))
    }

    /// The documents remembered for pairing, oldest first.
    pub(crate) fn remembered(&self) -> Result<Vec<Seen>> {
        let mut statement = self
            .conn
            .prepare("SELECT pmh, id, free_name, path FROM remembered ORDER BY seq DESC LIMIT ?1")
            .map_err(store_error("read"))?;
        let rows = statement
            .query_map(params![PAIRING_MEMORY as i64], |row| {
                Ok(Seen {
                    pmh: row.get(0)?,
                    id: row.get(1)?,
                    free_name: row.get(2)?,
                    path: PathBuf::from(row.get::<_, String>(3)?),
                })
            })
            .map_err(store_error("read"))?;
        let mut seen = rows.collect::<rusqlite::Result<Vec<Seen>>>().map_err(store_error("read"))?;
        seen.reverse();
        Ok(seen)
    }

    /// Registers the request a result carrying `id` answers (replacing an earlier registration
    /// of the same id), keeping the last `EXPECT_MEMORY`: one transaction, durable on return.
    pub(crate) fn expect(&mut self, id: &str, request: &str) -> Result<()> {
        let mut write = || -> rusqlite::Result<()> {
            let tx = self.conn.transaction()?;
            tx.execute("INSERT OR REPLACE INTO expected (id, request) VALUES (?1, ?2)", params![id, request])?;
            tx.execute(
                "DELETE FROM expected WHERE seq NOT IN (SELECT seq FROM expected ORDER BY seq DESC LIMIT ?1)",
                params![EXPECT_MEMORY as i64],
            )?;
            tx.commit()
        };
        write().map_err(store_error("write"))
    }

    /// The registered requests (id, request), oldest first.
    pub(crate) fn expected(&self) -> Result<Vec<(String, PathBuf)>> {
        let mut statement =
            self.conn.prepare("SELECT id, request FROM expected ORDER BY seq").map_err(store_error("read"))?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, PathBuf::from(row.get::<_, String>(1)?))))
            .map_err(store_error("read"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(store_error("read"))
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
    use crate::watch::EXPECT_MEMORY;

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
    fn pairing_memory_is_written_with_the_acknowledgement_and_bounded() {
        let dir = temp("remembered");
        let path = dir.join("ledger.sqlite");
        let (mut store, _) = Store::open(&path).unwrap();
        // 4,100 durable commits would take minutes on a slow disk; durability is SQLite's.
        store.connection().pragma_update(None, "synchronous", "OFF").unwrap();
        let seen = |i: usize| Seen {
            pmh: i.is_multiple_of(2),
            id: i.is_multiple_of(3).then(|| format!("id-{i}")),
            free_name: Some(format!("{i:04}")),
            path: PathBuf::from(format!("/terminal/res/{i}.xml")),
        };
        let total = PAIRING_MEMORY + 5;
        for i in 0..total {
            store.ack_remembering(format!("res/{i}.xml").as_bytes(), "00", Some(&seen(i))).unwrap();
        }
        store.ack(b"res/other.xml", "00").unwrap(); // acknowledged, nothing to remember
        drop(store);
        let (store, _) = Store::open(&path).unwrap();
        let kept = store.remembered().unwrap();
        assert_eq!(kept.len(), PAIRING_MEMORY, "the oldest forgotten");
        assert!(store.is_acked(b"res/0.xml", "00").unwrap() && store.is_acked(b"res/other.xml", "00").unwrap());
        for (k, i) in kept.iter().zip(total - PAIRING_MEMORY..) {
            let want = seen(i);
            assert_eq!((k.pmh, &k.id, &k.free_name, &k.path), (want.pmh, &want.id, &want.free_name, &want.path));
        }
        let rows: usize = store.connection().query_row("SELECT count(*) FROM remembered", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, PAIRING_MEMORY, "the table does not grow");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_ledger_of_format_1_gains_the_pairing_memory_and_keeps_its_acknowledgements() {
        let dir = temp("format-1");
        let path = dir.join("ledger.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE acked (name BLOB NOT NULL, hash TEXT NOT NULL, acked_at INTEGER NOT NULL,
                 PRIMARY KEY (name, hash)) WITHOUT ROWID;
             INSERT INTO acked VALUES (x'72', '11', 0);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(conn);
        let (mut store, aside) = Store::open(&path).unwrap();
        assert!(aside.is_none() && store.is_acked(b"r", "11").unwrap());
        let format: u32 = store.connection().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(format, LEDGER_FORMAT);
        assert!(store.remembered().unwrap().is_empty() && store.expected().unwrap().is_empty());
        let seen = Seen { pmh: true, id: None, free_name: Some("0042".into()), path: PathBuf::from("res/p.xml") };
        store.ack_remembering(b"res/p.xml", "22", Some(&seen)).unwrap();
        assert_eq!(store.remembered().unwrap()[0].free_name.as_deref(), Some("0042"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_ledger_of_format_2_gains_the_registrations_and_keeps_its_memory() {
        let dir = temp("format-2");
        let path = dir.join("ledger.sqlite");
        let (mut store, _) = Store::open(&path).unwrap();
        let seen = Seen { pmh: false, id: Some("ID".into()), free_name: None, path: PathBuf::from("res/r.xml") };
        store.ack_remembering(b"res/r.xml", "33", Some(&seen)).unwrap();
        store.connection().execute_batch("DROP TABLE expected; PRAGMA user_version = 2;").unwrap();
        drop(store);
        let (mut store, _) = Store::open(&path).unwrap();
        let format: u32 = store.connection().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(format, LEDGER_FORMAT);
        assert!(store.is_acked(b"res/r.xml", "33").unwrap());
        assert_eq!(store.remembered().unwrap()[0].id.as_deref(), Some("ID"));
        store.expect("AFI", "/terminal/req/a.xml").unwrap();
        assert_eq!(store.expected().unwrap(), [("AFI".to_owned(), PathBuf::from("/terminal/req/a.xml"))]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn registered_requests_are_kept_replaced_and_bounded() {
        let dir = temp("expected");
        let path = dir.join("ledger.sqlite");
        let (mut store, _) = Store::open(&path).unwrap();
        store.connection().pragma_update(None, "synchronous", "OFF").unwrap();
        let total = EXPECT_MEMORY + 5;
        for i in 0..total {
            store.expect(&format!("r-{i}"), &format!("/terminal/req/{i}.xml")).unwrap();
        }
        // A new registration of an id replaces the old one and counts as the newest.
        store.expect("r-7", "/terminal/req/again.xml").unwrap();
        drop(store);
        let (store, _) = Store::open(&path).unwrap();
        let kept = store.expected().unwrap();
        assert_eq!(kept.len(), EXPECT_MEMORY, "the oldest forgotten, the table does not grow");
        assert_eq!(kept[0], ("r-5".to_owned(), PathBuf::from("/terminal/req/5.xml")));
        assert_eq!(kept[2], ("r-8".to_owned(), PathBuf::from("/terminal/req/8.xml")));
        assert_eq!(kept[EXPECT_MEMORY - 1], ("r-7".to_owned(), PathBuf::from("/terminal/req/again.xml")));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_full_disk_fails_a_registration_and_keeps_the_earlier_ones() {
        let dir = temp("full-expect");
        let path = dir.join("ledger.sqlite");
        let (mut store, _) = Store::open(&path).unwrap();
        store.expect("first", "/terminal/req/first.xml").unwrap();
        let pages: i64 = store.connection().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        store.connection().pragma_update(None, "max_page_count", pages + 8).unwrap();
        let long = "x".repeat(3000);
        let failure = (0..1000).find_map(|i| store.expect(&format!("{i}{long}"), &long).err()).expect("disk full");
        assert_eq!(failure.to_string(), "the watcher's state store failed (write): disk full");
        drop(store);
        let (store, _) = Store::open(&path).unwrap();
        let kept = store.expected().unwrap();
        assert_eq!(kept[0].0, "first");
        assert!(
            kept.len() > 1
                && kept[1..].iter().all(|(id, request)| id.ends_with(&long) && request.as_os_str() == long.as_str())
        );
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
        // Injected "disk full": the database may grow by a few pages, no more.
        let pages: i64 = store.connection().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        store.connection().pragma_update(None, "max_page_count", pages + 8).unwrap();
        let long_name = vec![b'x'; 3000];
        let seen = Seen { pmh: false, id: None, free_name: None, path: PathBuf::from("x".repeat(3000)) };
        let failure = (0..1000)
            .find_map(|i| store.ack_remembering(&long_name, &format!("{i:064}"), Some(&seen)).err())
            .expect("disk full");
        assert_eq!(failure.to_string(), "the watcher's state store failed (write): disk full");
        drop(store);
        let (store, aside) = Store::open(&path).unwrap();
        assert!(aside.is_none(), "a full disk is not corruption");
        assert!(store.is_acked(b"res/first.xml", "00").unwrap());
        let count = |sql: &str| -> i64 { store.connection().query_row(sql, [], |r| r.get(0)).unwrap() };
        let acked = count("SELECT count(*) FROM acked WHERE length(name) = 3000");
        assert!(acked > 0);
        assert_eq!(
            count("SELECT count(*) FROM remembered"),
            acked,
            "each with its memory, the failed one with neither"
        );
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
