//! The terminal workflow: watch `res/` and `face/` and hand each finished result over exactly once.
//!
//! The 連携アプリケーション gives no signal that a file is complete (domain §1.3), so a file is
//! ready only when a check made at least `settle` after its current size and mtime were first
//! seen finds them unchanged, and it parses. `notify` wakes the watcher early; a periodic scan is
//! the fallback and the only mechanism when notify cannot watch (or the folder vanished).
//! A file that stays unchanged and unparseable for `give_up_after` is reported with its error:
//! nothing is silently dropped. What was reported is recorded in a state file (and, if asked,
//! the file is moved to a `done/` folder), so a restart reports nothing twice. Originals are
//! never deleted.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use notify::Watcher as _;

use crate::error::{Error, Result};
use crate::model::Document;
use crate::parse::{ParseOptions, parse_with};
use crate::personal::Personal;
use crate::request::request_file_name_for;

/// How to watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub parse: ParseOptions,
    /// The two checks that decide a file is complete are at least this far apart.
    pub settle: Duration,
    /// Fallback scan period (and the only one if notify is unavailable).
    pub poll_interval: Duration,
    /// A complete-looking file that still does not parse after this long is reported as an error.
    pub give_up_after: Duration,
    /// Where reported files are recorded; default `<root>/.kohi-watch-state`.
    pub state_file: Option<PathBuf>,
    /// If set, each reported file is moved into `<done_dir>/<res|face>/` (never deleted).
    pub done_dir: Option<PathBuf>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            parse: ParseOptions::default(),
            settle: Duration::from_millis(300),
            poll_interval: Duration::from_secs(1),
            give_up_after: Duration::from_secs(10),
            state_file: None,
            done_dir: None,
        }
    }
}

/// Which folder a file came from, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An answer in `res/` to a request from `req/`.
    Result,
    /// A result pushed into `face/` after a マイナンバーカード check.
    Face,
    /// A `.err` file in `res/`: the terminal refused a request.
    Rejected,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Result => "result",
            Self::Face => "face",
            Self::Rejected => "rejected",
        }
    }
}

/// What a reported file holds.
#[derive(Debug)]
pub enum Outcome {
    Parsed(Box<Document>),
    /// The file never parsed (or could not be read) within `give_up_after`.
    Failed(Error),
    /// The `.err` file's text (format not documented publicly: it may echo the refused request,
    /// so it is personal), when it decodes.
    Rejected {
        message: Option<Personal<String>>,
    },
}

/// One finished file.
#[derive(Debug)]
pub struct WatchEvent {
    /// Where the file was found (it may have been moved to `done_dir` since).
    pub path: PathBuf,
    pub kind: FileKind,
    pub outcome: Outcome,
    /// The request this answers: by file name (`…res_X` ↔ `…req_X`), else by the header's
    /// `ArbitraryFileIdentifier` registered with [`Watcher::expect`].
    pub request: Option<PathBuf>,
}

struct Track {
    len: u64,
    modified: Option<SystemTime>,
    /// When the current (len, modified) was first seen.
    seen_at: Instant,
}

/// Watches a terminal folder (the one holding `req/`, `res/` and `face/`).
pub struct Watcher {
    root: PathBuf,
    options: WatchOptions,
    state_file: PathBuf,
    reported: HashSet<String>,
    tracks: HashMap<PathBuf, Track>,
    queue: VecDeque<WatchEvent>,
    expected: HashMap<String, PathBuf>,
    /// The OS watcher (on a thread of its own) and the flag it raises.
    notify: Option<OsWatch>,
    last_scan: Option<Instant>,
}

const FOLDERS: [(&str, FileKind); 2] = [("res", FileKind::Result), ("face", FileKind::Face)];

impl Watcher {
    /// Starts watching `root`. The folders need not exist yet.
    pub fn new(root: impl Into<PathBuf>, options: WatchOptions) -> Result<Watcher> {
        let root = root.into();
        let state_file = options.state_file.clone().unwrap_or_else(|| root.join(".kohi-watch-state"));
        let reported = match std::fs::read_to_string(&state_file) {
            Ok(text) => text.lines().map(str::to_owned).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
            Err(e) => return Err(Error::io(e)),
        };
        let mut watcher = Watcher {
            root,
            options,
            state_file,
            reported,
            tracks: HashMap::new(),
            queue: VecDeque::new(),
            expected: HashMap::new(),
            notify: None,
            last_scan: None,
        };
        watcher.start_notify();
        Ok(watcher)
    }

    /// Pairs a future result carrying this `ArbitraryFileIdentifier` with its request file.
    pub fn expect(&mut self, arbitrary_file_identifier: &str, request: impl Into<PathBuf>) {
        self.expected.insert(arbitrary_file_identifier.to_owned(), request.into());
    }

    /// The next finished file, waiting up to `timeout`; `None` if none finished in time.
    pub fn next_event(&mut self, timeout: Duration) -> Option<WatchEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(event);
            }
            let now = Instant::now();
            if self.scan_due(now) {
                self.scan();
                if !self.queue.is_empty() {
                    continue;
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let wait = self.next_wake(now).min(deadline).saturating_duration_since(now).max(Duration::from_millis(1));
            self.wait(wait);
        }
    }

    fn scan_due(&self, now: Instant) -> bool {
        self.last_scan.is_none_or(|last| now >= last + self.options.poll_interval)
            || self.tracks.values().any(|t| now >= t.seen_at + self.options.settle)
    }

    fn next_wake(&self, now: Instant) -> Instant {
        let poll = self.last_scan.map_or(now, |last| last + self.options.poll_interval);
        self.tracks.values().map(|t| t.seen_at + self.options.settle).fold(poll, Instant::min)
    }

    /// Sleeps until `wait` passes, or notify reports a change (then the next loop scans).
    fn wait(&mut self, wait: Duration) {
        match &self.notify {
            Some(os) => {
                if os.changed.wait(wait) {
                    // A change: scan now rather than at the next poll.
                    self.last_scan = None;
                }
            }
            None => std::thread::sleep(wait),
        }
    }

    fn start_notify(&mut self) {
        if self.notify.is_some() || !self.root.is_dir() {
            return;
        }
        // Polling covers every failure here.
        self.notify = OsWatch::start(&self.root);
    }

    fn scan(&mut self) {
        let now = Instant::now();
        self.last_scan = Some(now);
        if !self.root.is_dir() {
            // The share vanished: forget the inotify watch, pick it up again when it returns.
            self.notify = None;
            self.tracks.clear();
            return;
        }
        self.start_notify();
        let mut present = HashSet::new();
        let mut ready = Vec::new();
        for (folder, kind) in FOLDERS {
            let Ok(entries) = std::fs::read_dir(self.root.join(folder)) else { continue };
            let mut names: Vec<(String, PathBuf)> = entries
                .filter_map(|e| e.ok())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .filter_map(|(name, path)| file_kind(folder, kind, &name).map(|_| (name, path)))
                .collect();
            names.sort();
            for (name, path) in names {
                let Some(kind) = file_kind(folder, kind, &name) else { continue };
                let Ok(meta) = std::fs::metadata(&path) else { continue };
                let key = state_key(folder, &name, &meta);
                if self.reported.contains(&key) {
                    continue;
                }
                present.insert(path.clone());
                let modified = meta.modified().ok();
                match self.tracks.get_mut(&path) {
                    Some(t) if t.len == meta.len() && t.modified == modified => {
                        if now >= t.seen_at + self.options.settle {
                            ready.push((path, kind, key, folder));
                        }
                    }
                    _ => {
                        self.tracks.insert(path, Track { len: meta.len(), modified, seen_at: now });
                    }
                }
            }
        }
        self.tracks.retain(|path, _| present.contains(path));
        for (path, kind, key, folder) in ready {
            if let Some(event) = self.examine(&path, kind) {
                self.report(event, key, folder);
            }
        }
    }

    /// Reads a stable file; `None` means "not yet" (it does not parse, and it is not old enough
    /// to give up on).
    fn examine(&self, path: &Path, kind: FileKind) -> Option<WatchEvent> {
        let patience_over = self.tracks.get(path).is_some_and(|t| t.seen_at.elapsed() >= self.options.give_up_after);
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            // Locked or vanished mid-read: try again later, unless we have waited long enough.
            Err(e) if patience_over => {
                return Some(WatchEvent {
                    path: path.to_owned(),
                    kind,
                    outcome: Outcome::Failed(Error::io(e)),
                    request: None,
                });
            }
            Err(_) => return None,
        };
        // The file may have grown between the check and the read: then what was read is not what
        // was judged stable (and would be recorded under the old size). Wait for the next check.
        let unchanged = self.tracks.get(path).is_some_and(|t| {
            bytes.len() as u64 == t.len
                && std::fs::metadata(path).is_ok_and(|m| m.len() == t.len && m.modified().ok() == t.modified)
        });
        if !unchanged {
            return None;
        }
        if kind == FileKind::Rejected {
            let request = path.with_extension("xml");
            let request = if request.exists() { request } else { self.root.join("req").join(request.file_name()?) };
            let message = crate::decode::decode(&bytes).ok().map(|d| Personal::new(d.text.trim().to_owned()));
            return Some(WatchEvent {
                path: path.to_owned(),
                kind,
                outcome: Outcome::Rejected { message },
                request: Some(request),
            });
        }
        let outcome = match parse_with(&bytes, &self.options.parse) {
            Ok(doc) => Outcome::Parsed(Box::new(doc)),
            Err(e) if patience_over => Outcome::Failed(e),
            Err(_) => return None,
        };
        let request = self.pair(path, &outcome);
        Some(WatchEvent { path: path.to_owned(), kind, outcome, request })
    }

    fn pair(&self, path: &Path, outcome: &Outcome) -> Option<PathBuf> {
        let by_name = path
            .file_name()
            .and_then(|n| request_file_name_for(&n.to_string_lossy()))
            .map(|name| self.root.join("req").join(name));
        by_name.or_else(|| match outcome {
            Outcome::Parsed(doc) => {
                doc.header.arbitrary_file_identifier.as_ref().and_then(|id| self.expected.get(id)).cloned()
            }
            _ => None,
        })
    }

    fn report(&mut self, event: WatchEvent, key: String, folder: &str) {
        self.tracks.remove(&event.path);
        // Recorded before it is handed over: a crash between the two loses the event rather
        // than repeating it; the file itself stays where it was (or in done/).
        // If the state file cannot be written the event is still reported (once in this
        // process; a restart may report it again): losing a result would be worse.
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.state_file)
            .and_then(|mut f| writeln!(f, "{key}").and_then(|()| f.sync_data()));
        self.reported.insert(key);
        if let Some(done) = &self.options.done_dir {
            let target = done.join(folder);
            if let (Ok(()), Some(name)) = (std::fs::create_dir_all(&target), event.path.file_name()) {
                let _ = std::fs::rename(&event.path, target.join(name));
            }
        }
        self.queue.push_back(event);
    }
}

/// notify, run on a thread kohi owns. notify's `watch()` and its drop talk to its event loop
/// over a std channel from the calling thread, and std then keeps a thread handle in that
/// thread's TLS for good: in a C or Python caller's thread, valgrind reports it as possibly
/// lost. Here only our thread (joined on drop) ever calls notify.
struct OsWatch {
    changed: Arc<Signal>,
    stop: Arc<Signal>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OsWatch {
    fn start(root: &Path) -> Option<OsWatch> {
        let changed = Arc::new(Signal::default());
        let stop = Arc::new(Signal::default());
        let started = Arc::new(Signal::default());
        let (raised, stopped, ready, root) = (changed.clone(), stop.clone(), started.clone(), root.to_owned());
        let thread = std::thread::Builder::new()
            .name("kohi-watch".into())
            .spawn(move || {
                let watcher = notify::recommended_watcher(move |_: notify::Result<notify::Event>| raised.raise())
                    .and_then(|mut w| w.watch(&root, notify::RecursiveMode::Recursive).map(|()| w));
                let Ok(watcher) = watcher else { return }; // `started` never raised: failure
                ready.raise();
                while !stopped.wait(Duration::from_secs(3600)) {}
                drop(watcher);
            })
            .ok()?;
        let mut os = OsWatch { changed, stop, thread: Some(thread) };
        // The thread either starts watching quickly or ends; polling works meanwhile anyway.
        if os.started_within(&started, Duration::from_secs(2)) { Some(os) } else { None }
    }

    fn started_within(&mut self, started: &Signal, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if started.wait(Duration::from_millis(10)) {
                return true;
            }
            if self.thread.as_ref().is_some_and(|t| t.is_finished()) {
                return false;
            }
        }
        false
    }
}

impl Drop for OsWatch {
    fn drop(&mut self) {
        self.stop.raise();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// "Something changed", raised by one thread and taken by another. A condition variable rather
/// than a channel, for the same reason as `OsWatch`.
#[derive(Default)]
struct Signal {
    changed: Mutex<bool>,
    wake: Condvar,
}

impl Signal {
    fn raise(&self) {
        if let Ok(mut changed) = self.changed.lock() {
            *changed = true;
            self.wake.notify_one();
        }
    }

    /// Waits up to `timeout`; true (and the flag cleared) if something changed.
    fn wait(&self, timeout: Duration) -> bool {
        let Ok(changed) = self.changed.lock() else { return false };
        match self.wake.wait_timeout_while(changed, timeout, |changed| !*changed) {
            Ok((mut changed, _)) => std::mem::take(&mut *changed),
            Err(_) => false,
        }
    }
}

impl Iterator for Watcher {
    type Item = WatchEvent;

    /// Blocks until the next finished file.
    fn next(&mut self) -> Option<WatchEvent> {
        loop {
            if let Some(event) = self.next_event(Duration::from_secs(3600)) {
                return Some(event);
            }
        }
    }
}

/// What a name in a folder is, if anything we report. Hidden and temporary files are skipped,
/// and so is a request the terminal put back into `res/` beside its `.err`.
fn file_kind(folder: &str, kind: FileKind, name: &str) -> Option<FileKind> {
    if name.starts_with('.') || name.ends_with(".tmp") {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    match folder {
        "res" if lower.ends_with(".err") => Some(FileKind::Rejected),
        "res" if lower.ends_with(".xml") && !lower.contains("req_") => Some(kind),
        "face" if lower.ends_with(".xml") => Some(kind),
        _ => None,
    }
}

/// A reported file is (folder, name, size, mtime): the same name written anew is new.
fn state_key(folder: &str, name: &str, meta: &std::fs::Metadata) -> String {
    let modified =
        meta.modified().ok().and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    format!("{folder}/{name}\t{}\t{modified}", meta.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_folder_and_name() {
        assert_eq!(file_kind("res", FileKind::Result, "OQSsiquc01res_1.xml"), Some(FileKind::Result));
        assert_eq!(file_kind("res", FileKind::Result, "OQSsiquc01req_1.err"), Some(FileKind::Rejected));
        assert_eq!(file_kind("res", FileKind::Result, "OQSsiquc01req_1.xml"), None);
        assert_eq!(file_kind("face", FileKind::Face, "OQSsiquc01res_face_x_1.xml"), Some(FileKind::Face));
        assert_eq!(file_kind("face", FileKind::Face, ".partial.xml"), None);
        assert_eq!(file_kind("face", FileKind::Face, "x.xml.tmp"), None);
        assert_eq!(file_kind("res", FileKind::Result, "notes.txt"), None);
    }
}
