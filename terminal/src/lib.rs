//! # kohi-terminal
//!
//! The onshi terminal workflow around [`kohi`]'s parser: the inbox that watches the
//! 連携アプリケーション's `res/` and `face/` folders and delivers every finished file at least
//! once, until the consumer acknowledges it ([`watch`]), and the writer of 被保険者証 queries for
//! `req/` ([`request`]). The parser crate stays free of file watching and of SQLite.

mod classify;
mod os_watch;
pub mod request;
mod store;
pub mod watch;

pub use classify::FileKind;
pub use request::QualificationRequest;
pub use watch::{Outcome, WatchEvent, WatchOptions, Watcher, WatcherHandle};
