//! Wake-ups for the inbox: OS change notifications (notify, on a thread kohi owns) and
//! cancellation, behind one condition variable.
//!
//! Only what can make a file ready wakes the inbox: a create, modify, rename or remove of a
//! direct child of `res/` or `face/` (or of those folders themselves). Access and open events are
//! ignored, which matters: the inbox's own reads raise them, and reacting to them was a busy
//! loop. Paths are collected, so a wake-up examines only what changed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use notify::Watcher as _;
use notify::event::{AccessKind, AccessMode, EventKind};

/// What happened since the inbox last looked.
#[derive(Default)]
pub(crate) struct Changes {
    pub(crate) paths: HashSet<PathBuf>,
    /// Notify lost track (overflow, error, a folder came or went): look at everything.
    pub(crate) rescan: bool,
    pub(crate) cancelled: bool,
}

/// Raised by notify's thread or a cancelling thread; taken by the inbox.
#[derive(Default)]
pub(crate) struct Wake {
    changes: Mutex<Changes>,
    signal: Condvar,
}

impl Wake {
    fn update(&self, change: impl FnOnce(&mut Changes)) {
        // A poisoned lock means a thread panicked while holding it; the data is still usable.
        let mut changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut changes);
        self.signal.notify_all();
    }

    pub(crate) fn cancel(&self) {
        self.update(|c| c.cancelled = true);
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.changes.lock().unwrap_or_else(|p| p.into_inner()).cancelled
    }

    pub(crate) fn request_rescan(&self) {
        self.update(|c| c.rescan = true);
    }

    /// Waits up to `timeout` for a change or a cancel, then takes what accumulated.
    pub(crate) fn wait_and_take(&self, timeout: Duration) -> Changes {
        let changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let (mut changes, _) = self
            .signal
            .wait_timeout_while(changes, timeout, |c| c.paths.is_empty() && !c.rescan && !c.cancelled)
            .unwrap_or_else(|p| p.into_inner());
        let cancelled = changes.cancelled;
        let mut taken = std::mem::take(&mut *changes);
        changes.cancelled = cancelled;
        taken.cancelled = cancelled;
        taken
    }
}

/// Whether an event kind can make a file appear, change or go.
fn is_relevant(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// notify on a thread of its own. notify's `watch()` and its drop talk to its event loop over a
/// std channel from the calling thread, and std then keeps a thread handle in that thread's TLS
/// for good: in a C or Python caller's thread, valgrind reports it as possibly lost. Here only
/// our thread (joined on drop) ever calls notify.
pub(crate) struct OsWatch {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OsWatch {
    /// Starts notify on `root` (recursively, filtered to `watched` folders). `None` when the OS
    /// cannot watch it: polling covers that.
    pub(crate) fn start(root: &Path, watched: Vec<PathBuf>, wake: Arc<Wake>) -> Option<OsWatch> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let started_tx: Arc<(Mutex<Option<bool>>, Condvar)> = Arc::new((Mutex::new(None), Condvar::new()));
        let started = started_tx.clone();
        let (stopped, root) = (stop.clone(), root.to_owned());
        let thread = std::thread::Builder::new()
            .name("kohi-watch".into())
            .spawn(move || {
                let handler = move |event: notify::Result<notify::Event>| match event {
                    Ok(event) if event.need_rescan() => wake.request_rescan(),
                    Ok(event) if is_relevant(&event.kind) => {
                        let mut relevant = event
                            .paths
                            .into_iter()
                            .filter(|p| watched.iter().any(|w| p.parent() == Some(w) || p == w))
                            .peekable();
                        if relevant.peek().is_some() {
                            let relevant: Vec<PathBuf> = relevant.collect();
                            wake.update(|c| {
                                for path in relevant {
                                    if watched.contains(&path) {
                                        c.rescan = true; // a folder came or went
                                    } else {
                                        c.paths.insert(path);
                                    }
                                }
                            });
                        }
                    }
                    Ok(_) => {}
                    Err(_) => wake.request_rescan(),
                };
                let watcher = notify::recommended_watcher(handler)
                    .and_then(|mut w| w.watch(&root, notify::RecursiveMode::Recursive).map(|()| w));
                let ok = watcher.is_ok();
                {
                    let (flag, signal) = &*started;
                    *flag.lock().unwrap_or_else(|p| p.into_inner()) = Some(ok);
                    signal.notify_all();
                }
                let Ok(watcher) = watcher else { return };
                let (flag, signal) = &*stopped;
                let mut stop = flag.lock().unwrap_or_else(|p| p.into_inner());
                while !*stop {
                    stop = signal.wait(stop).unwrap_or_else(|p| p.into_inner());
                }
                drop(stop);
                drop(watcher);
            })
            .ok()?;
        let os = OsWatch { stop, thread: Some(thread) };
        let (flag, signal) = &*started_tx;
        let started = flag.lock().unwrap_or_else(|p| p.into_inner());
        let (started, _) = signal
            .wait_timeout_while(started, Duration::from_secs(5), |s| s.is_none())
            .unwrap_or_else(|p| p.into_inner());
        if *started == Some(true) { Some(os) } else { None }
    }
}

impl Drop for OsWatch {
    fn drop(&mut self) {
        let (flag, signal) = &*self.stop;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        signal.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_events_never_wake_the_inbox() {
        assert!(!is_relevant(&EventKind::Access(AccessKind::Open(AccessMode::Any))));
        assert!(!is_relevant(&EventKind::Access(AccessKind::Close(AccessMode::Read))));
        assert!(!is_relevant(&EventKind::Access(AccessKind::Read)));
        assert!(is_relevant(&EventKind::Access(AccessKind::Close(AccessMode::Write))));
        assert!(is_relevant(&EventKind::Create(notify::event::CreateKind::File)));
        assert!(is_relevant(&EventKind::Modify(notify::event::ModifyKind::Any)));
    }

    #[test]
    fn cancel_wakes_a_waiter_and_stays() {
        let wake = Arc::new(Wake::default());
        let other = wake.clone();
        let t = std::thread::spawn(move || other.wait_and_take(Duration::from_secs(60)).cancelled);
        std::thread::sleep(Duration::from_millis(50));
        wake.cancel();
        assert!(t.join().unwrap());
        assert!(wake.is_cancelled());
        assert!(wake.wait_and_take(Duration::from_secs(60)).cancelled, "returns at once once cancelled");
    }
}
