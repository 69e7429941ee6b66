//! # kohi-terminal
//!
//! The onshi terminal workflow around [`kohi`]'s parser: the inbox that watches the
//! 連携アプリケーション's `res/` and `face/` folders and delivers every finished file at least
//! once, until the consumer acknowledges it ([`watch`]), and the writer of 被保険者証 queries for
//! `req/` ([`request`]). The parser crate stays free of file watching and of SQLite.
//!
//! ```no_run
//! # fn main() -> kohi::Result<()> {
//! use kohi_terminal::{Outcome, WatchOptions, Watcher};
//! let mut watcher = Watcher::new("/mnt/oqs", WatchOptions::default())?;
//! while let Some(event) = watcher.next_event(std::time::Duration::from_secs(1))? {
//!     if let Outcome::Parsed(doc) = &event.outcome { /* store doc.patients[…].kohi */ }
//!     watcher.ack(&event.id)?; // done: never delivered again
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The delivery contract and what a kill at each point does are in [`watch`].

// Every public item is documented (clippy -D warnings in CI makes this an error).
#![warn(missing_docs)]

mod archive;
mod classify;
mod durable;
mod folders;
mod os_watch;
pub mod request;
mod store;
pub mod watch;

pub use archive::{ArchiveEntry, MAX_ENTRIES as MAX_ARCHIVE_ENTRIES};
pub use classify::FileKind;
pub use request::{QualificationRequest, REQUEST_FIELDS, RequestFields, fresh_free_part, japan_now, request_date};
pub use watch::{Outcome, PairBy, WatchEvent, WatchOptions, Watcher, WatcherHandle};
