//! The terminal inbox: watches `res/` and `face/` and delivers every finished file at least once,
//! until the consumer acknowledges it.
//!
//! # The delivery contract
//!
//! - Every file in `res/` and `face/` whose name is not temporary (`.…`, `…​.tmp`, `…​.part`,
//!   `…~`) is delivered as a [`WatchEvent`] with a [`FileKind`]; nothing is ignored silently.
//! - An event is done only when the consumer acknowledges it ([`Watcher::ack`],
//!   [`WatcherHandle::ack`]). Until then it is delivered again after a restart, or to the next
//!   watcher when this one is dropped. Within one watcher an event is delivered once.
//! - Each event has a stable [`WatchEvent::id`]: the content's SHA-256 and a hash of the folder
//!   and name. A repeat of an unacknowledged event carries the same id, so a consumer can dedupe.
//! - A file is keyed by its content, not its size and time: the same name re-sent with new content
//!   (even with the old size and mtime) is delivered again; a `touch` is not. One rewritten
//!   between its delivery and its acknowledgement is not moved to `done_dir` by that
//!   acknowledgement: it is delivered as the new version, and moved once that is acknowledged.
//!
//! Crash points (kill -9 right there):
//! - while a file is being written, settling or parsed: nothing recorded; found again at start.
//! - after delivery, before the consumer acts: not acknowledged; delivered again (same id).
//! - inside [`Watcher::ack`] before SQLite commits: not acknowledged; delivered again.
//! - after the commit, before the move to `done_dir`: acknowledged; the move is redone at start.
//! - between the new name's link in `done_dir` and the old name's removal: at start the name in
//!   `done_dir` is found to be the file itself, and only the removal is done (no second name).
//! - in the middle of a cross-filesystem move: the copy may exist twice in `done_dir` (unique
//!   names, never overwritten); the original is removed only after its copy is on disk. A
//!   temporary copy left behind is removed at a later start, once an hour old.
//! - a power cut during a move: the new name is synced (its folder) before the old one is
//!   removed, so the file is under one name or both, never under none.
//!
//! # When a file is ready
//!
//! The 連携アプリケーション gives no signal that a file is complete, so a file is read only when
//! its size, times and inode are unchanged over `settle`. A file that does not parse is read again
//! only when it changes; once it has not changed for `give_up_after` (measured from its mtime, so
//! a restart does not reset it, or by kohi's own clock since it saw this version, so an mtime
//! ahead of this clock cannot hold it back) it is delivered with its error. A writer that stalls
//! longer than that gets the failure first and the finished file later (another event, another id).

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use kohi::{Document, Error, ParseOptions, Personal, Result, parse_with};

use crate::archive::{ArchiveEntry, read_archive};
use crate::classify::{FileKind, Folder, is_temporary, kind_of, parses_as_xml};
use crate::folders::{refuse_a_folder_of_the_terminal, refuse_own_files_in_the_watch, same_folder};
use crate::os_watch::{OsWatch, Wake};
use crate::request::request_file_name_for;
use crate::store::Store;

/// The ledger's default file name in the watched folder.
pub const DEFAULT_STATE_FILE: &str = ".kohi-inbox.sqlite";
/// The lock that keeps a second watcher off the folder.
pub const LOCK_FILE: &str = ".kohi-inbox.lock";

/// How to watch.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WatchOptions {
    /// How each file is parsed (layout, aliases, limits).
    pub parse: ParseOptions,
    /// A file is read once its size, times and inode stay the same this long (10 ms – 1 h).
    pub settle: Duration,
    /// How often the folders are listed for new names (10 ms – 1 h); notify wakes the inbox
    /// sooner where the OS reports changes.
    pub poll_interval: Duration,
    /// How often every file is looked at again, for changes notify may have missed
    /// (at least `poll_interval`, at most 1 day).
    pub rescan_interval: Duration,
    /// A file that has not changed for this long and still does not parse is delivered with its
    /// error (at most 7 days).
    pub give_up_after: Duration,
    /// The ledger; default `<root>/.kohi-inbox.sqlite`. Not in `res/` or `face/`
    /// (`invalid_setting`): its files change with every acknowledgement.
    pub state_file: Option<PathBuf>,
    /// If set, each acknowledged file is moved into `<done_dir>/<res|face>/` (never deleted,
    /// never overwriting: a name already there gets a number). Not the watched folder itself
    /// (`invalid_setting`): a file moved there would be delivered again under its new name.
    pub done_dir: Option<PathBuf>,
    /// Acknowledgements of files gone from the folders are forgotten after this many days.
    pub prune_after_days: u32,
    /// How a PMH document (kind `pmh`) and a qualification result of the same patient are
    /// paired (`WatchEvent::related`), tried in this order; empty: never.
    pub pair_by: Vec<PairBy>,
}

/// A rule pairing a PMH document with a qualification result (kinds `result` and `face`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PairBy {
    /// Both headers carry the same `ArbitraryFileIdentifier` (the one the request set).
    ArbitraryFileIdentifier,
    /// Both names have the same free part, after `res_`: `OQSsiquc01res_0042.xml` and
    /// `PMHsimsm01res_0042.xml` (the request name's free part, which the terminal keeps).
    FreeName,
}

impl PairBy {
    /// The stable name (CLI `--pair-by`, Python `pair_by`, Node `pairBy`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ArbitraryFileIdentifier => "arbitrary_file_identifier",
            Self::FreeName => "free_name",
        }
    }

    /// The rule named `name` (`arbitrary_file_identifier` or `free_name`).
    pub fn from_name(name: &str) -> Option<PairBy> {
        [Self::ArbitraryFileIdentifier, Self::FreeName].into_iter().find(|p| p.as_str() == name)
    }

    /// Rules as the CLI's `--pair-by` and C's `kohi_options_set_pair_by` spell them: names
    /// separated by commas, in order, or `none` (or nothing) for no pairing. `Err` carries the
    /// first name that is not a rule.
    pub fn from_list(list: &str) -> Result<Vec<PairBy>, &str> {
        match list.trim() {
            "" | "none" => Ok(Vec::new()),
            list => list.split(',').map(|name| PairBy::from_name(name.trim()).ok_or(name)).collect(),
        }
    }
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            parse: ParseOptions::default(),
            settle: Duration::from_millis(300),
            poll_interval: Duration::from_secs(1),
            rescan_interval: Duration::from_secs(60),
            give_up_after: Duration::from_secs(30),
            state_file: None,
            done_dir: None,
            prune_after_days: 90,
            pair_by: vec![PairBy::ArbitraryFileIdentifier, PairBy::FreeName],
        }
    }
}

impl WatchOptions {
    /// Refuses settings out of range with `invalid_setting` naming the setting.
    pub fn validate(&self) -> Result<()> {
        let ms = Duration::from_millis;
        let hour = Duration::from_secs(3600);
        let checks = [
            ("settle", (ms(10)..=hour).contains(&self.settle)),
            ("poll_interval", (ms(10)..=hour).contains(&self.poll_interval)),
            ("rescan_interval", (self.poll_interval..=hour * 24).contains(&self.rescan_interval)),
            ("give_up_after", self.give_up_after <= hour * 24 * 7),
            ("prune_after_days", (1..=3650).contains(&self.prune_after_days)),
        ];
        match checks.iter().find(|(_, ok)| !ok) {
            Some((name, _)) => Err(Error::InvalidSetting { name }),
            None => Ok(()),
        }
    }
}

/// What a delivered file holds.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The file parsed.
    Parsed(Box<Document>),
    /// Not usable: it never parsed within `give_up_after`, could not be read, is too large or
    /// is not a regular file (kind `skipped`).
    Failed(Error),
    /// The `.err` file's text (format not documented publicly: it may echo the refused request,
    /// so it is personal), when it decodes.
    Rejected {
        /// The `.err` file's text, when it could be read (may be personal).
        message: Option<Personal<String>>,
    },
    /// A `.zip` of bulk results (kind `bulk_archive`): every entry, each XML one parsed.
    Archive(Vec<ArchiveEntry>),
    /// Handed over without being read by kohi (kind `other` that is not XML): the consumer reads
    /// `path` itself.
    Unread,
}

/// One delivered file. Acknowledge it with [`Watcher::ack`] once it is safely stored.
#[derive(Debug)]
#[non_exhaustive]
pub struct WatchEvent {
    /// Stable across restarts for the same name and content: `<content SHA-256>-<name hash>`.
    pub id: String,
    /// Where the file was found.
    pub path: PathBuf,
    /// What the file is, by its name.
    pub kind: FileKind,
    /// What reading it gave.
    pub outcome: Outcome,
    /// The request this answers: by file name (`…res_X` ↔ `…req_X`), else by the header's
    /// `ArbitraryFileIdentifier` registered with [`WatcherHandle::expect`].
    pub request: Option<PathBuf>,
    /// The file of the same patient from the other side, delivered earlier: for a
    /// PMH document (kind `pmh`), the qualification result; for a result, the PMH document.
    /// Paired by [`WatchOptions::pair_by`], with the last 4,096 documents delivered, earlier runs'
    /// acknowledged ones included (remembered in the ledger).
    pub related: Option<PathBuf>,
}

/// What pairing remembers of a delivered document (no patient data: header id, name part),
/// in memory from its delivery and in the ledger from its acknowledgement, so that a restart
/// forgets nothing (an unacknowledged one is delivered again and remembered then).
#[derive(Clone)]
pub(crate) struct Seen {
    pub(crate) pmh: bool,
    pub(crate) id: Option<String>,
    pub(crate) free_name: Option<String>,
    pub(crate) path: PathBuf,
}

/// Documents remembered for pairing: a PMH document and its result arrive close together.
pub(crate) const PAIRING_MEMORY: usize = 4096;

/// Requests registered with `expect` that are kept: a result comes minutes after its request.
pub(crate) const EXPECT_MEMORY: usize = 4096;

/// The requests registered with `expect`, by `ArbitraryFileIdentifier`, the last
/// `EXPECT_MEMORY`; in the ledger too (see [`WatcherHandle::expect`]).
#[derive(Default)]
pub(crate) struct Expected {
    requests: HashMap<String, PathBuf>,
    /// Oldest first: who is forgotten past `EXPECT_MEMORY`.
    order: VecDeque<String>,
    /// Registered before the ledger was open: written when it opens. A set of ids still in
    /// `order`, so it is bounded by `EXPECT_MEMORY` however often the caller registers.
    unsaved: HashSet<String>,
}

impl Expected {
    fn insert(&mut self, id: String, request: PathBuf, saved: bool) {
        if saved {
            self.unsaved.remove(&id);
        } else {
            self.unsaved.insert(id.clone());
        }
        if self.requests.insert(id.clone(), request).is_some() {
            self.order.retain(|earlier| *earlier != id);
        }
        self.order.push_back(id);
        if self.order.len() > EXPECT_MEMORY
            && let Some(oldest) = self.order.pop_front()
        {
            self.requests.remove(&oldest);
            self.unsaved.remove(&oldest);
        }
    }

    fn get(&self, id: &str) -> Option<PathBuf> {
        self.requests.get(id).cloned()
    }

    /// At the ledger's opening: writes what was registered before it, then holds earlier runs'
    /// registrations under this run's. On an error nothing is forgotten (tried again at the
    /// next opening).
    fn open(&mut self, store: &mut Store) -> Result<()> {
        // Oldest first, so that the ledger's order (and what it forgets first) is this run's.
        for id in self.order.iter().filter(|id| self.unsaved.contains(*id)) {
            if let Some(request) = self.requests.get(id).and_then(|r| r.to_str()) {
                store.expect(id, request)?;
            }
        }
        self.unsaved.clear();
        let earlier = store.expected()?;
        let this_run = std::mem::take(self);
        for (id, request) in earlier {
            self.insert(id, request, true);
        }
        for id in this_run.order {
            if let Some(request) = this_run.requests.get(&id) {
                self.insert(id, request.clone(), true);
            }
        }
        Ok(())
    }
}

/// Delivered and not yet acknowledged.
struct Pending {
    /// `res/<name>` or `face/<name>`, the name's exact bytes: the ledger key with the hash.
    key: Vec<u8>,
    hash: String,
    path: PathBuf,
    folder: Folder,
    /// The file as it was read for delivery: what the acknowledgement may move to `done_dir`.
    fingerprint: Fingerprint,
    /// What pairing remembers of it, written with its acknowledgement.
    seen: Option<Seen>,
}

/// What acknowledgements need, shared with [`WatcherHandle`]s on other threads.
struct Ledger {
    store: Option<Store>,
    pending: HashMap<String, Pending>,
    done_dir: Option<PathBuf>,
    /// The watcher was dropped: the ledger is closed, so the next watcher can open it while
    /// events (and their handles) live on.
    closed: bool,
}

impl Ledger {
    fn ack(&mut self, id: &str) -> Result<bool> {
        if self.closed {
            // The watcher is gone: the event is pending for the next one, which delivers it again.
            return Err(Error::StateStore { operation: "write", kind: "watcher closed" });
        }
        let Some(pending) = self.pending.get(id) else { return Ok(false) };
        let Some(store) = self.store.as_mut() else { return Ok(false) };
        store.ack_remembering(&pending.key, &pending.hash, pending.seen.as_ref())?;
        let pending = self.pending.remove(id).expect("looked up above");
        if let Some(done) = &self.done_dir
            && still_as_delivered(&pending)
        {
            match move_to_done(&pending.path, &done.join(pending.folder.name())) {
                // Gone already (the consumer moved it itself): nothing to move.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                moved => moved.map_err(Error::io)?,
            }
        }
        Ok(true)
    }
}

/// Whether the file at a pending event's path is still the one delivered (same size, times and
/// inode; on Unix its status-change time too, which a rewrite always moves, `cp -p` included).
/// If not, the terminal rewrote it after the delivery: moving it now would take a version
/// nobody received out of the watch. It stays, and the inbox's next look delivers it if its
/// content is new, or moves it (as acknowledged) if it is not. A missing file is "as
/// delivered": the move then finds nothing to move.
fn still_as_delivered(pending: &Pending) -> bool {
    match std::fs::metadata(&pending.path) {
        Ok(meta) => Fingerprint::of(&meta) == pending.fingerprint,
        Err(_) => true,
    }
}

/// A cheap, cloneable handle for other threads: acknowledge, pair, cancel. None of its calls
/// waits for a thread blocked in [`Watcher::next_event`].
#[derive(Clone)]
pub struct WatcherHandle {
    ledger: Arc<Mutex<Ledger>>,
    expected: Arc<Mutex<Expected>>,
    wake: Arc<Wake>,
}

impl WatcherHandle {
    /// Marks a delivered event done: recorded durably (one SQLite transaction) before this
    /// returns, then moved to `done_dir` if one is set. `Ok(false)` if no pending event has this
    /// id (already acknowledged, or delivered by another watcher). On an error (the ledger
    /// cannot be written, or the watcher was dropped) the event stays pending and is delivered
    /// again after a restart; if only the move failed, the acknowledgement holds and the move is
    /// retried at the next start. The two are told apart by the code: the ledger's failures are
    /// `state_store` (not acknowledged), the move's `io` (acknowledged, not moved).
    pub fn ack(&self, id: &str) -> Result<bool> {
        lock(&self.ledger).ack(id)
    }

    /// Pairs a future result carrying this `ArbitraryFileIdentifier` with its request file
    /// (`WatchEvent::request`), in this run and every later one: the registration is in the
    /// ledger when this returns (one SQLite transaction), or, while the watched folder does not
    /// exist yet, written when the ledger opens. The last 4,096 registrations are kept; one for
    /// an id registered before replaces it. A request path that is not Unicode is kept for this
    /// run only. On an error (the ledger cannot be written, or the watcher was dropped) nothing
    /// is registered: call again.
    pub fn expect(&self, arbitrary_file_identifier: &str, request: impl Into<PathBuf>) -> Result<()> {
        let request = request.into();
        let mut ledger = lock(&self.ledger);
        if ledger.closed {
            return Err(Error::StateStore { operation: "write", kind: "watcher closed" });
        }
        let saved = match (ledger.store.as_mut(), request.to_str()) {
            (Some(store), Some(path)) => store.expect(arbitrary_file_identifier, path).map(|()| true)?,
            (Some(_), None) => true,
            (None, _) => false,
        };
        lock(&self.expected).insert(arbitrary_file_identifier.to_owned(), request, saved);
        Ok(())
    }

    /// Wakes a thread blocked in [`Watcher::next_event`]; it and every later call return
    /// `Ok(None)` at once. Safe from any thread.
    pub fn cancel(&self) {
        self.wake.cancel();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.wake.is_cancelled()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these leaves consistent data (every update is one insert).
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// What identifies a file's current version without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    /// Status-change time and inode where the OS has them: `cp -p` keeps size and mtime but not
    /// these, so a re-send is looked at again.
    changed: i128,
    inode: u64,
    regular: bool,
}

impl Fingerprint {
    fn of(meta: &Metadata) -> Fingerprint {
        #[cfg(unix)]
        let (changed, inode) = {
            use std::os::unix::fs::MetadataExt;
            (i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()), meta.ino())
        };
        #[cfg(not(unix))]
        let (changed, inode) = (
            meta.created()
                .ok()
                .and_then(|c| c.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i128),
            0,
        );
        Fingerprint { len: meta.len(), modified: meta.modified().ok(), changed, inode, regular: meta.is_file() }
    }
}

/// A file seen and not yet delivered.
struct Candidate {
    folder: Folder,
    fingerprint: Fingerprint,
    /// When kohi first saw this version of the file (its fingerprint): patience by kohi's own
    /// clock, whatever the file's mtime says.
    unchanged_since: Instant,
    /// When to look at it next.
    due: Instant,
    /// It was read unchanged and did not parse: its hash and error, kept so that it is not read
    /// again until it changes or `give_up_after` passes.
    failure: Option<(String, Error)>,
}

/// Watches a terminal folder (the one holding `req/`, `res/` and `face/`).
pub struct Watcher {
    root: PathBuf,
    options: WatchOptions,
    state_file: PathBuf,
    ledger: Arc<Mutex<Ledger>>,
    expected: Arc<Mutex<Expected>>,
    wake: Arc<Wake>,
    /// Held while the watcher lives: the OS releases it on any exit, kill -9 included.
    lock: Option<File>,
    recovered: Option<PathBuf>,
    os: Option<OsWatch>,
    candidates: HashMap<PathBuf, Candidate>,
    /// Files delivered or acknowledged in their current version: not looked at until they change.
    known: HashMap<PathBuf, Fingerprint>,
    queue: VecDeque<WatchEvent>,
    last_list: Option<Instant>,
    last_rescan: Option<Instant>,
    seen: VecDeque<Seen>,
}

impl Watcher {
    /// Starts watching `root`. If it exists, the ledger is opened (or created) and the folder
    /// locked now: `already_watched` if another watcher holds it, `state_store` if the ledger
    /// cannot be opened. A folder that does not exist yet is opened when it appears. An existing
    /// one without `res/` or `face/` that is one of them or holds the terminal folder is
    /// `not_a_terminal_folder`; an empty one is watched until its folders appear.
    pub fn new(root: impl Into<PathBuf>, options: WatchOptions) -> Result<Watcher> {
        options.validate()?;
        let root = root.into();
        refuse_own_files_in_the_watch(&root, &options)?;
        let state_file = options.state_file.clone().unwrap_or_else(|| root.join(DEFAULT_STATE_FILE));
        let ledger = Ledger { store: None, pending: HashMap::new(), done_dir: options.done_dir.clone(), closed: false };
        let mut watcher = Watcher {
            root,
            options,
            state_file,
            ledger: Arc::new(Mutex::new(ledger)),
            expected: Arc::default(),
            wake: Arc::default(),
            lock: None,
            recovered: None,
            os: None,
            candidates: HashMap::new(),
            known: HashMap::new(),
            queue: VecDeque::new(),
            last_list: None,
            last_rescan: None,
            seen: VecDeque::new(),
        };
        if watcher.root.is_dir() {
            refuse_a_folder_of_the_terminal(&watcher.root, watcher.options.done_dir.as_deref())?;
            watcher.open()?;
        }
        Ok(watcher)
    }

    /// A handle for acknowledging, pairing and cancelling from any thread.
    pub fn handle(&self) -> WatcherHandle {
        WatcherHandle { ledger: self.ledger.clone(), expected: self.expected.clone(), wake: self.wake.clone() }
    }

    /// See [`WatcherHandle::ack`].
    pub fn ack(&self, id: &str) -> Result<bool> {
        lock(&self.ledger).ack(id)
    }

    /// See [`WatcherHandle::expect`].
    pub fn expect(&self, arbitrary_file_identifier: &str, request: impl Into<PathBuf>) -> Result<()> {
        self.handle().expect(arbitrary_file_identifier, request)
    }

    /// Where a ledger SQLite found corrupt was moved before it was rebuilt (every file still in
    /// the folders is then delivered again).
    pub fn recovered_store(&self) -> Option<&Path> {
        self.recovered.as_deref()
    }

    /// How many delivered events wait for an acknowledgement.
    pub fn pending(&self) -> usize {
        lock(&self.ledger).pending.len()
    }

    /// How many files were seen and are not delivered yet: settling, or not parsing and waiting
    /// for `give_up_after`, or read and queued. A watch that stops "when idle" waits for these
    /// to be none (each is delivered within `settle` + `give_up_after` of its last change).
    pub fn waiting(&self) -> usize {
        self.candidates.len() + self.queue.len()
    }

    fn open(&mut self) -> Result<()> {
        if self.lock.is_none() {
            self.lock = Some(take_lock(&self.root, &self.state_file)?);
        }
        let mut ledger = lock(&self.ledger);
        if ledger.store.is_none() {
            let (mut store, recovered) = Store::open(&self.state_file)?;
            let present = present_keys(&self.root);
            store.prune(self.options.prune_after_days, |key| present.contains(key))?;
            // Read before anything of this run's is touched: a failure here leaves it as it was
            // (the opening is tried again).
            let remembered = store.remembered()?;
            lock(&self.expected).open(&mut store)?;
            // Earlier runs' documents, before any of this run's.
            let delivered = std::mem::take(&mut self.seen);
            for seen in remembered.into_iter().chain(delivered) {
                remember(&mut self.seen, seen);
            }
            ledger.store = Some(store);
            self.recovered = recovered;
            if let Some(done) = &self.options.done_dir {
                sweep_copies(done);
            }
        }
        Ok(())
    }

    /// The next delivered file, waiting up to `timeout`; `Ok(None)` if none is ready in time or
    /// the watcher was cancelled. An error is the ledger's or the lock's (the folder's files
    /// are untouched; nothing is lost).
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<WatchEvent>> {
        let deadline =
            Instant::now().checked_add(timeout).unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Ok(Some(event));
            }
            if self.wake.is_cancelled() {
                return Ok(None);
            }
            let now = Instant::now();
            self.look(now)?;
            if !self.queue.is_empty() {
                continue;
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let wake_at = self.next_wake(now).min(deadline);
            let changes = self.wake.wait_and_take(wake_at.saturating_duration_since(now));
            if changes.rescan {
                self.last_rescan = None;
            }
            for path in changes.paths {
                self.changed(path);
            }
        }
    }

    /// Lists, rescans and examines whatever is due.
    fn look(&mut self, now: Instant) -> Result<()> {
        if !self.root.is_dir() {
            // The share vanished: forget the OS watch and what was settling; the ledger stays.
            self.os = None;
            self.candidates.clear();
            self.last_list = Some(now);
            return Ok(());
        }
        if lock(&self.ledger).store.is_none() {
            self.open()?;
        }
        let rescan = self.last_rescan.is_none_or(|last| now >= last + self.options.rescan_interval);
        let list = self.last_list.is_none_or(|last| now >= last + self.options.poll_interval);
        if rescan || list {
            if self.os.is_none() && rescan {
                let watched = Folder::ALL.iter().map(|f| self.root.join(f.name())).collect();
                self.os = OsWatch::start(&self.root, watched, self.wake.clone());
            }
            self.scan(rescan, now);
            self.last_list = Some(now);
            if rescan {
                self.last_rescan = Some(now);
            }
        }
        let mut due: Vec<PathBuf> =
            self.candidates.iter().filter(|(_, c)| c.due <= now).map(|(p, _)| p.clone()).collect();
        due.sort();
        for path in due {
            self.examine(&path)?;
        }
        Ok(())
    }

    fn next_wake(&self, now: Instant) -> Instant {
        let list = self.last_list.map_or(now, |last| last + self.options.poll_interval);
        let rescan = self.last_rescan.map_or(now, |last| last + self.options.rescan_interval);
        self.candidates.values().map(|c| c.due).fold(list.min(rescan), Instant::min)
    }

    /// Lists both folders. A rescan looks at every file; a listing only at names it does not
    /// know (no stat of old files every second).
    fn scan(&mut self, rescan: bool, now: Instant) {
        let mut present = HashSet::new();
        for folder in Folder::ALL {
            let Ok(entries) = std::fs::read_dir(self.root.join(folder.name())) else { continue };
            for entry in entries.filter_map(|e| e.ok()) {
                if is_temporary(&entry.file_name()) {
                    continue;
                }
                let path = entry.path();
                let new = !self.known.contains_key(&path) && !self.candidates.contains_key(&path);
                if rescan || new {
                    self.consider(&path, folder, now);
                }
                present.insert(path);
            }
        }
        self.known.retain(|path, _| present.contains(path));
        self.candidates.retain(|path, _| present.contains(path));
    }

    /// A path notify reported.
    fn changed(&mut self, path: PathBuf) {
        let folder = Folder::ALL.into_iter().find(|f| path.parent() == Some(&self.root.join(f.name())));
        let (Some(folder), Some(name)) = (folder, path.file_name()) else { return };
        if !is_temporary(name) {
            self.consider(&path, folder, Instant::now());
        }
    }

    /// Starts (or restarts) settling a file whose fingerprint is new.
    fn consider(&mut self, path: &Path, folder: Folder, now: Instant) {
        let Ok(meta) = std::fs::metadata(path) else {
            // Gone (or a dangling link): nothing to deliver.
            self.candidates.remove(path);
            self.known.remove(path);
            return;
        };
        let is_xml_name = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml"));
        if meta.is_dir() && !is_xml_name {
            return; // a subfolder (trash/, done/), not a file
        }
        let fingerprint = Fingerprint::of(&meta);
        if self.known.get(path) == Some(&fingerprint) {
            return;
        }
        self.known.remove(path);
        match self.candidates.get(path) {
            Some(c) if c.fingerprint == fingerprint => {}
            _ => {
                let candidate = Candidate {
                    folder,
                    fingerprint,
                    unchanged_since: now,
                    due: now + self.options.settle,
                    failure: None,
                };
                self.candidates.insert(path.to_owned(), candidate);
            }
        }
    }

    /// Looks at a candidate whose time came: settled → read, hash, parse, deliver.
    fn examine(&mut self, path: &Path) -> Result<()> {
        let now = Instant::now();
        let Some(mut candidate) = self.candidates.remove(path) else { return Ok(()) };
        let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
        let fingerprint = Fingerprint::of(&meta);
        if fingerprint != candidate.fingerprint {
            candidate.fingerprint = fingerprint;
            candidate.unchanged_since = now;
            candidate.due = now + self.options.settle;
            candidate.failure = None;
            self.candidates.insert(path.to_owned(), candidate);
            return Ok(());
        }
        let name = path.file_name().unwrap_or_default();
        let key = ledger_key(candidate.folder, name);
        let fp = &candidate.fingerprint;
        let limit = self.options.parse.max_input_bytes();
        let given_up = self.given_up(&candidate);

        if !fp.regular {
            let hash = marker_hash("not a regular file", fp);
            let error = Error::io(std::io::Error::from(std::io::ErrorKind::Unsupported));
            return self.deliver(path, candidate, key, hash, FileKind::Skipped, Outcome::Failed(error));
        }
        if fp.len > limit as u64 {
            let hash = marker_hash("too large", fp);
            let error = Error::InputTooLarge { size: usize::try_from(fp.len).unwrap_or(usize::MAX), limit };
            return self.deliver(path, candidate, key, hash, FileKind::Skipped, Outcome::Failed(error));
        }
        let kind = kind_of(candidate.folder, name, self.options.parse.layout().file_prefixes());
        if let Some((hash, error)) = candidate.failure.take() {
            // Unchanged since it failed to parse: deliver the failure once patience is over.
            if given_up {
                // Checked against the ledger when it was read.
                self.push_event(path, candidate, key, hash, kind, Outcome::Failed(error));
                return Ok(());
            }
            candidate.failure = Some((hash, error));
            candidate.due = self.give_up_at(&candidate, now);
            self.candidates.insert(path.to_owned(), candidate);
            return Ok(());
        }
        let bytes = match kohi::read_file(path, limit) {
            Ok(bytes) if bytes.len() as u64 == fp.len => bytes,
            Ok(_) | Err(Error::InputTooLarge { .. }) => {
                // It changed while being read: the next look sees a new fingerprint.
                candidate.due = now + self.options.settle;
                self.candidates.insert(path.to_owned(), candidate);
                return Ok(());
            }
            Err(e) if given_up => {
                let hash = marker_hash("unreadable", fp);
                return self.deliver(path, candidate, key, hash, kind, Outcome::Failed(e));
            }
            Err(_) => {
                // Locked by its writer (Windows) or a share hiccup: later, not in a tight loop.
                candidate.due = now + self.options.settle.max(Duration::from_secs(1));
                self.candidates.insert(path.to_owned(), candidate);
                return Ok(());
            }
        };
        let hash = hex(&Sha256::digest(&bytes));
        if self.already_delivered(&key, &hash)? {
            self.set_aside(path, candidate);
            return Ok(());
        }
        let read = match kind {
            FileKind::Rejected => {
                let message = kohi::decode(&bytes).ok().map(|d| Personal::new(d.text.trim().to_owned()));
                Ok(Outcome::Rejected { message })
            }
            FileKind::BulkArchive => read_archive(&bytes, &self.options.parse).map(Outcome::Archive),
            _ if parses_as_xml(kind, name) => {
                parse_with(&bytes, &self.options.parse).map(|d| Outcome::Parsed(Box::new(d)))
            }
            _ => Ok(Outcome::Unread),
        };
        let outcome = match read {
            Ok(outcome) => outcome,
            Err(e) if given_up => Outcome::Failed(e),
            Err(e) => {
                // Perhaps still being written: wait for a change or for patience to run out.
                candidate.failure = Some((hash, e));
                candidate.due = self.give_up_at(&candidate, now);
                self.candidates.insert(path.to_owned(), candidate);
                return Ok(());
            }
        };
        self.push_event(path, candidate, key, hash, kind, outcome);
        Ok(())
    }

    /// Whether `give_up_after` has passed since the file last changed: by its mtime (which a
    /// restart does not reset), or by kohi's own clock since it saw this version, whichever
    /// comes first. The second bounds the wait when the mtime is ahead of this clock (a share's
    /// or the terminal's clock or time zone off: UTC read as JST is 9 hours ahead).
    fn given_up(&self, candidate: &Candidate) -> bool {
        self.patience_left(candidate).is_zero()
    }

    fn patience_left(&self, candidate: &Candidate) -> Duration {
        let watched = self.options.give_up_after.saturating_sub(candidate.unchanged_since.elapsed());
        let by_mtime = candidate.fingerprint.modified.map(|modified| {
            (modified + self.options.give_up_after).duration_since(SystemTime::now()).unwrap_or_default()
        });
        by_mtime.map_or(watched, |left| left.min(watched))
    }

    fn give_up_at(&self, candidate: &Candidate, now: Instant) -> Instant {
        let left = self.patience_left(candidate);
        // Never sooner than a settle from now: no tight loop around the deadline.
        now + left.max(self.options.settle)
    }

    fn already_delivered(&self, key: &[u8], hash: &str) -> Result<bool> {
        let ledger = lock(&self.ledger);
        if ledger.pending.contains_key(&event_id(hash, key)) {
            return Ok(true);
        }
        ledger.store.as_ref().map_or(Ok(false), |store| store.is_acked(key, hash))
    }

    /// An acknowledged file still in the folder: a kill came between the acknowledgement and the
    /// move to `done_dir`. Moved now; a failure leaves it where it is (it is not delivered again).
    fn finish_interrupted_move(&self, path: &Path, folder: Folder) {
        if let Some(done) = &self.options.done_dir {
            let _ = move_to_done(path, &done.join(folder.name()));
        }
    }

    /// A file whose current version was delivered already: not looked at until it changes.
    fn set_aside(&mut self, path: &Path, candidate: Candidate) {
        self.finish_interrupted_move(path, candidate.folder);
        self.known.insert(path.to_owned(), candidate.fingerprint);
    }

    /// Delivers unless this (name, hash) is pending or acknowledged already.
    fn deliver(
        &mut self,
        path: &Path,
        candidate: Candidate,
        key: Vec<u8>,
        hash: String,
        kind: FileKind,
        outcome: Outcome,
    ) -> Result<()> {
        if self.already_delivered(&key, &hash)? {
            self.set_aside(path, candidate);
            return Ok(());
        }
        self.push_event(path, candidate, key, hash, kind, outcome);
        Ok(())
    }

    /// Delivers a version already checked against the ledger (one query per file, not two).
    fn push_event(
        &mut self,
        path: &Path,
        candidate: Candidate,
        key: Vec<u8>,
        hash: String,
        kind: FileKind,
        outcome: Outcome,
    ) {
        let id = event_id(&hash, &key);
        let request = self.pair(path, kind, &outcome);
        let (related, seen) = self.relate(path, kind, &outcome);
        let fingerprint = candidate.fingerprint.clone();
        let pending = Pending { key, hash, path: path.to_owned(), folder: candidate.folder, fingerprint, seen };
        lock(&self.ledger).pending.insert(id.clone(), pending);
        self.known.insert(path.to_owned(), candidate.fingerprint);
        self.queue.push_back(WatchEvent { id, path: path.to_owned(), kind, outcome, request, related });
    }

    /// Pairs a PMH document with a qualification result (either may come first) by the rules
    /// of `pair_by`, in order, and remembers this one for the files still to come (returned too,
    /// for the ledger to remember once it is acknowledged).
    fn relate(&mut self, path: &Path, kind: FileKind, outcome: &Outcome) -> (Option<PathBuf>, Option<Seen>) {
        let pmh = match kind {
            FileKind::Pmh => true,
            FileKind::Result | FileKind::Face => false,
            _ => return (None, None),
        };
        let Outcome::Parsed(doc) = outcome else { return (None, None) };
        let free_name = path.file_name().and_then(|n| n.to_str()).and_then(free_name);
        let this = Seen {
            pmh,
            id: doc.header.arbitrary_file_identifier.as_deref().map(String::from),
            free_name,
            path: path.to_owned(),
        };
        let matches = |rule: PairBy, other: &Seen| match rule {
            PairBy::ArbitraryFileIdentifier => this.id.is_some() && other.id == this.id,
            PairBy::FreeName => this.free_name.is_some() && other.free_name == this.free_name,
        };
        let related = self.options.pair_by.iter().find_map(|&rule| {
            self.seen
                .iter()
                .rev()
                .find(|other| other.pmh != pmh && matches(rule, other))
                .map(|other| other.path.clone())
        });
        remember(&mut self.seen, this.clone());
        (related, Some(this))
    }

    fn pair(&self, path: &Path, kind: FileKind, outcome: &Outcome) -> Option<PathBuf> {
        let name = path.file_name()?.to_str()?;
        if kind == FileKind::Rejected {
            // The terminal puts the refused request back beside its `.err`; else it is in req/.
            let request = path.with_extension("xml");
            return Some(if request.exists() { request } else { self.root.join("req").join(request.file_name()?) });
        }
        if let Some(request) = request_file_name_for(name) {
            return Some(self.root.join("req").join(request));
        }
        match outcome {
            Outcome::Parsed(doc) => {
                doc.header.arbitrary_file_identifier.as_deref().and_then(|id| lock(&self.expected).get(id))
            }
            _ => None,
        }
    }
}

/// Remembers a document for pairing, forgetting the oldest past `PAIRING_MEMORY`.
fn remember(memory: &mut VecDeque<Seen>, seen: Seen) {
    if memory.len() == PAIRING_MEMORY {
        memory.pop_front();
    }
    memory.push_back(seen);
}

/// The free part of a result name: `OQSsiquc01res_0042.xml` → `0042` (no extension).
fn free_name(name: &str) -> Option<String> {
    let (_, direction, rest) = crate::request::split_interface_name(name)?;
    if direction != "res" {
        return None;
    }
    let stem = rest.rsplit_once('.').map_or(rest, |(stem, _)| stem);
    (!stem.is_empty()).then(|| stem.to_owned())
}

impl Drop for Watcher {
    /// Closes the ledger (before the folder lock goes with the fields), so that handles still
    /// held by events keep nothing open: acknowledging through them is then a `state_store`
    /// error, and the next watcher delivers those events again.
    fn drop(&mut self) {
        let mut ledger = lock(&self.ledger);
        ledger.store = None;
        ledger.pending.clear();
        ledger.closed = true;
    }
}

impl Iterator for Watcher {
    type Item = Result<WatchEvent>;

    /// Blocks until the next delivered file; ends when the watcher is cancelled.
    fn next(&mut self) -> Option<Result<WatchEvent>> {
        loop {
            match self.next_event(Duration::from_secs(3600)) {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) if self.wake.is_cancelled() => return None,
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// `res/<name>` as exact bytes (a name that is not UTF-8 keeps its bytes: no two collide).
fn ledger_key(folder: Folder, name: &OsStr) -> Vec<u8> {
    let mut key = format!("{}/", folder.name()).into_bytes();
    key.extend_from_slice(name.as_encoded_bytes());
    key
}

fn present_keys(root: &Path) -> HashSet<Vec<u8>> {
    let mut keys = HashSet::new();
    for folder in Folder::ALL {
        if let Ok(entries) = std::fs::read_dir(root.join(folder.name())) {
            keys.extend(entries.filter_map(|e| e.ok()).map(|e| ledger_key(folder, &e.file_name())));
        }
    }
    keys
}

/// `<content SHA-256>-<first 16 hex of the name's SHA-256>`: the name is hashed so that an id
/// in a log says nothing about the patient a file name might carry.
fn event_id(hash: &str, key: &[u8]) -> String {
    format!("{hash}-{}", &hex(&Sha256::digest(key))[..16])
}

/// The ledger hash of a file kohi does not read: stable while the file is unchanged.
fn marker_hash(reason: &str, fp: &Fingerprint) -> String {
    let modified = fp.modified.and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    hex(&Sha256::digest(format!("kohi:{reason}:{}:{modified}", fp.len)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The lock on the folder (`<root>/.kohi-inbox.lock`, else beside the ledger when the folder is
/// read-only). A file system without locks (some shares) is accepted unlocked.
fn take_lock(root: &Path, state_file: &Path) -> Result<File> {
    let open = |path: PathBuf| std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path);
    let file = open(root.join(LOCK_FILE))
        .or_else(|_| {
            let mut beside = state_file.as_os_str().to_owned();
            beside.push(".lock");
            open(PathBuf::from(beside))
        })
        .map_err(|e| Error::StateStore { operation: "lock", kind: io_kind(&e) })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::AlreadyWatched),
        Err(std::fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => Ok(file),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::StateStore { operation: "lock", kind: io_kind(&e) }),
    }
}

fn io_kind(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied",
        std::io::ErrorKind::NotFound => "not found",
        std::io::ErrorKind::ReadOnlyFilesystem => "read-only",
        std::io::ErrorKind::StorageFull => "disk full",
        _ => "I/O failure",
    }
}

/// Moves `path` into `folder` without ever overwriting: `x.xml`, then `x.2.xml`, `x.3.xml`, …
/// Across file systems: copy to a temporary name, flush it to disk, link it into place, and only
/// then remove the original.
fn move_to_done(path: &Path, folder: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    if path.parent().is_some_and(|from| same_folder(from, folder)) {
        // `done_dir` became the watched folder after the start (a link made since): moved
        // "there", the file would come back under a new name and be delivered again, without
        // end. It stays where it is, acknowledged, and is not delivered again.
        return Ok(());
    }
    let name = path.file_name().ok_or(std::io::ErrorKind::InvalidInput)?;
    for n in 1..10_000u32 {
        let target = folder.join(numbered(name, n));
        match move_no_replace(path, &target) {
            // The file itself under this name: a kill came between the link and the removal
            // of the old name. Only the removal is left (a second name would be a duplicate).
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && same_file(path, &target) => {
                // The kill may have come before the new name was synced: synced first.
                crate::durable::sync_dir(folder);
                return std::fs::remove_file(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            other => return other,
        }
    }
    Err(std::io::ErrorKind::AlreadyExists.into())
}

/// Whether two names are links to one file (its device and inode; on other systems than Unix,
/// never: a name already taken there gets the next number, as before).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) {
            (Ok(a), Ok(b)) => a.is_file() && (a.dev(), a.ino()) == (b.dev(), b.ino()),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

fn numbered(name: &OsStr, n: u32) -> std::ffi::OsString {
    if n == 1 {
        return name.to_owned();
    }
    let path = Path::new(name);
    let mut numbered = path.file_stem().unwrap_or(name).to_owned();
    numbered.push(format!(".{n}"));
    if let Some(extension) = path.extension() {
        numbered.push(".");
        numbered.push(extension);
    }
    numbered
}

/// The temporary name of a cross-filesystem copy into `done_dir`: the target's name and this.
const COPY_SUFFIX: &str = ".kohi-copy.tmp";

/// A temporary copy unchanged for this long was left by a kill, not being written now.
const STALE_COPY: Duration = Duration::from_secs(3600);

/// Removes temporary copies a kill -9 left in `done_dir`'s folders. Such a copy holds nothing of
/// its own: the kill came before its file was placed (the original is still in the terminal's
/// folder and is moved again) or after (the file is placed). Only those unchanged for an hour go,
/// as another watcher sharing `done_dir` may be copying right now; a failure leaves the litter.
fn sweep_copies(done: &Path) {
    for folder in Folder::ALL {
        let Ok(entries) = std::fs::read_dir(done.join(folder.name())) else { continue };
        for entry in entries.flatten() {
            let stale = entry.file_name().as_encoded_bytes().ends_with(COPY_SUFFIX.as_bytes())
                && entry.metadata().is_ok_and(|meta| {
                    meta.is_file()
                        && meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age > STALE_COPY)
                });
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The new name is synced (its folder) before the old one is removed, so that a power cut
/// leaves the file under one name or both, never under none.
fn move_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    let folder = to.parent().unwrap_or(Path::new("."));
    match std::fs::hard_link(from, to) {
        Ok(()) => {
            crate::durable::sync_dir(folder);
            return std::fs::remove_file(from);
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
        Err(_) if to.exists() => return Err(std::io::ErrorKind::AlreadyExists.into()),
        Err(_) => {}
    }
    // Another file system (or one without hard links).
    let mut temp = to.as_os_str().to_owned();
    temp.push(COPY_SUFFIX);
    let temp = PathBuf::from(temp);
    std::fs::copy(from, &temp)?;
    File::open(&temp)?.sync_all()?;
    let placed = match std::fs::hard_link(&temp, to) {
        Ok(()) => std::fs::remove_file(&temp),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if to.exists() => Err(std::io::ErrorKind::AlreadyExists.into()),
        Err(_) => std::fs::rename(&temp, to),
    };
    if placed.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    placed?;
    crate::durable::sync_dir(folder);
    std::fs::remove_file(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In memory as in the ledger: the last `EXPECT_MEMORY`, a new registration of an id
    /// replacing the old one as the newest; those made before the ledger opened are written then.
    #[test]
    fn registrations_in_memory_are_bounded_and_replaced() {
        let mut expected = Expected::default();
        for i in 0..EXPECT_MEMORY + 2 {
            expected.insert(format!("r-{i}"), PathBuf::from(format!("{i}.xml")), true);
        }
        expected.insert("r-2".into(), PathBuf::from("again.xml"), false);
        expected.insert(format!("r-{}", EXPECT_MEMORY + 2), PathBuf::from("last.xml"), true);
        assert_eq!((expected.requests.len(), expected.order.len()), (EXPECT_MEMORY, EXPECT_MEMORY));
        assert_eq!(expected.get("r-0").or(expected.get("r-1")).or(expected.get("r-3")), None);
        assert_eq!(expected.get("r-2"), Some(PathBuf::from("again.xml")));
        assert_eq!(expected.get("r-4"), Some(PathBuf::from("4.xml")));
        assert_eq!(expected.unsaved, HashSet::from(["r-2".to_owned()]));
    }

    /// Before the ledger opens, a caller registering again and again (the same ids, or more
    /// than are kept) leaves at most `EXPECT_MEMORY` to write, never one forgotten since.
    #[test]
    fn registrations_waiting_for_the_ledger_are_bounded() {
        let mut expected = Expected::default();
        for round in 0..3 {
            for i in 0..EXPECT_MEMORY {
                expected.insert(format!("r-{i}"), PathBuf::from(format!("{round}.xml")), false);
            }
        }
        assert_eq!(expected.unsaved.len(), EXPECT_MEMORY);
        for i in 0..EXPECT_MEMORY / 2 {
            expected.insert(format!("new-{i}"), PathBuf::from("new.xml"), false);
        }
        assert_eq!(expected.unsaved.len(), EXPECT_MEMORY);
        assert!(
            !expected.unsaved.contains("r-0")
                && expected.unsaved.contains("r-2048")
                && expected.unsaved.contains("new-0")
        );
        expected.insert("new-0".into(), PathBuf::from("saved.xml"), true);
        assert!(!expected.unsaved.contains("new-0"), "written since: not written again");
    }

    #[test]
    fn pairing_rules_read_from_their_list_form() {
        use PairBy::{ArbitraryFileIdentifier as Afi, FreeName};
        assert_eq!(PairBy::from_list("arbitrary_file_identifier,free_name"), Ok(vec![Afi, FreeName]));
        assert_eq!(PairBy::from_list(" free_name , arbitrary_file_identifier "), Ok(vec![FreeName, Afi]));
        assert_eq!(PairBy::from_list("none"), Ok(vec![]));
        assert_eq!(PairBy::from_list(""), Ok(vec![]));
        assert_eq!(PairBy::from_list("free_name,by_guess"), Err("by_guess"));
    }

    #[test]
    fn settings_out_of_range_are_refused_by_name() {
        assert!(WatchOptions::default().validate().is_ok());
        let bad = |change: fn(&mut WatchOptions)| {
            let mut options = WatchOptions::default();
            change(&mut options);
            match options.validate() {
                Err(Error::InvalidSetting { name }) => name,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(bad(|o| o.settle = Duration::ZERO), "settle");
        assert_eq!(bad(|o| o.settle = Duration::from_secs(86_400 * 50)), "settle");
        assert_eq!(bad(|o| o.poll_interval = Duration::from_millis(1)), "poll_interval");
        assert_eq!(bad(|o| o.give_up_after = Duration::from_secs(u64::MAX)), "give_up_after");
        assert_eq!(bad(|o| o.rescan_interval = Duration::from_millis(10)), "rescan_interval");
        assert_eq!(bad(|o| o.prune_after_days = 0), "prune_after_days");
    }

    /// An empty terminal folder with `face/`, and a face result to put in it.
    fn face_folder(test: &str) -> (PathBuf, Vec<u8>) {
        let root = std::env::temp_dir().join(format!("kohi-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("face")).unwrap();
        let xml = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml")).unwrap();
        (root, xml)
    }

    /// Disk full, injected: the ledger may not grow. The acknowledgement fails loudly, the event
    /// stays pending, and the next watcher delivers it again with the same id.
    #[test]
    fn a_failed_acknowledgement_keeps_the_event_and_it_comes_again() {
        let (root, xml) = face_folder("ack-full");
        for i in 0..100 {
            std::fs::write(root.join("face").join(format!("OQSsiquc01res_face_{}_{i:03}.xml", "x".repeat(180))), &xml)
                .unwrap();
        }
        let options = WatchOptions {
            settle: Duration::from_millis(10),
            poll_interval: Duration::from_millis(10),
            ..WatchOptions::default()
        };
        let mut watcher = Watcher::new(&root, options.clone()).unwrap();
        {
            let ledger = lock(&watcher.ledger);
            let connection = ledger.store.as_ref().unwrap().connection();
            let pages: i64 = connection.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
            connection.pragma_update(None, "max_page_count", pages).unwrap();
        }
        let mut failed = None;
        while let Some(event) = watcher.next_event(Duration::from_secs(2)).unwrap() {
            match watcher.ack(&event.id) {
                Ok(acked) => assert!(acked),
                Err(e) => {
                    assert_eq!(e.to_string(), "the watcher's state store failed (write): disk full");
                    failed = Some(event.id);
                    break;
                }
            }
        }
        let failed = failed.expect("the ledger filled up");
        assert!(lock(&watcher.ledger).pending.contains_key(&failed), "still pending");
        drop(watcher);
        let mut watcher = Watcher::new(&root, options).unwrap();
        let mut again = Vec::new();
        while let Some(event) = watcher.next_event(Duration::from_millis(500)).unwrap() {
            again.push(event.id);
        }
        assert!(again.contains(&failed), "delivered again with the same id");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_handle_outliving_its_watcher_holds_nothing_open() {
        let (root, xml) = face_folder("handle");
        std::fs::write(root.join("face/OQSsiquc01res_face_x_1.xml"), xml).unwrap();
        let options = WatchOptions { settle: Duration::from_millis(10), ..WatchOptions::default() };
        let mut watcher = Watcher::new(&root, options.clone()).unwrap();
        let event = watcher.next_event(Duration::from_secs(5)).unwrap().unwrap();
        let handle = watcher.handle();
        drop(watcher);
        let e = handle.ack(&event.id).unwrap_err();
        assert_eq!(e.to_string(), "the watcher's state store failed (write): watcher closed");
        let mut next = Watcher::new(&root, options).expect("the ledger and the folder are free");
        let again = next.next_event(Duration::from_secs(5)).unwrap().unwrap();
        assert_eq!(again.id, event.id);
        assert!(next.ack(&again.id).unwrap());
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered(OsStr::new("a.xml"), 1), "a.xml");
        assert_eq!(numbered(OsStr::new("a.xml"), 2), "a.2.xml");
        assert_eq!(numbered(OsStr::new("noext"), 3), "noext.3");
    }

    #[test]
    fn ids_are_stable_and_depend_on_name_and_content() {
        let a = event_id("ab", b"res/x.xml");
        assert_eq!(a, event_id("ab", b"res/x.xml"));
        assert_ne!(a, event_id("ab", b"res/y.xml"));
        assert_ne!(a, event_id("cd", b"res/x.xml"));
        assert!(!a.contains("x.xml"));
    }
}
