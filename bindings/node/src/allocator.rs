//! The addon's allocator (mimalloc, see `ALLOCATOR` in lib.rs) and how long it keeps freed
//! memory before giving it back to the system.
//!
//! mimalloc gives freed memory back in sweeps: the first free after a sweep starts the clock,
//! and when its delay (one second by default) has passed, every range free at that moment goes
//! back, even one freed a millisecond before. Node frees kohi's documents only when V8 collects
//! them, dozens at a time, and the next parses fault the same memory in again, zeroed by the
//! kernel. With parses of a 1,000-unit file in a loop that yields after each (as an application
//! does between files), that was 106–300 µs of system time a parse (of 2.0–2.5 ms), against
//! 10–36 µs with a ten-second delay; 1.5–2.1 ms against 0.3–0.5 ms at 10,000 units.
//!
//! Ten seconds, not never (`-1`): a clinic's long-running process gives the memory of one large
//! parse back ten seconds after it is freed instead of one, not keeping its peak for good.
//! `MIMALLOC_PURGE_DELAY` (or its older name `MIMALLOC_RESET_DELAY`), when the host process
//! sets it, wins: whoever runs the process decides.

use std::os::raw::c_long;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (the same place in its v2 and v3 lines);
/// libmimalloc-sys has no constant for it. `purge_delay()` reading back the value of
/// `MIMALLOC_PURGE_DELAY` (test/memory.test.js) shows this is the option that variable sets.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Milliseconds freed memory stays with the addon before it goes back to the system.
const PURGE_DELAY_MS: c_long = 10_000;

/// Runs when the addon is loaded, before any parse.
#[napi_derive::module_init]
fn keep_freed_memory_longer() {
    if !set_by_host() {
        // SAFETY: mimalloc's options are plain integers; this runs once, at load, before any
        // thread of this addon exists.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

/// Whether the host process sets the delay itself. mimalloc reads its variables by name in any
/// case (`mimalloc_purge_delay` too), so they are looked for the same way.
fn set_by_host() -> bool {
    std::env::vars_os().any(|(name, _)| {
        let name = name.to_string_lossy();
        ["MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY"].iter().any(|known| name.eq_ignore_ascii_case(known))
    })
}

/// Internal (the tests): the delay in force, in milliseconds (-1: never given back).
#[napi_derive::napi(skip_typescript)]
pub fn purge_delay() -> i64 {
    // SAFETY: reads one of mimalloc's option integers.
    #[allow(clippy::useless_conversion, reason = "c_long is 32 bits on Windows")]
    i64::from(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) })
}
