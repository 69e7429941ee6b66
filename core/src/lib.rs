//! # kohi
//!
//! Reads the result files of Japan's online qualification confirmation system
//! (オンライン資格確認, "onshi") and maps their 公費 — PMH 医療費助成 and 医療扶助 (生活保護) —
//! to the fields a receipt computer (レセコン) fills in: 公費負担者番号, 受給者番号, validity,
//! caps, program, and the 第1〜第4公費 order on the レセプト.
//!
//! ```
//! let xml = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml")).unwrap();
//! let doc = kohi::parse(&xml).unwrap();
//! let first = &doc.patients[0].kohi[0];
//! assert_eq!(first.slot, Some(1));
//! assert_eq!(first.law_number.as_deref(), Some("52"));
//! assert_eq!(first.payer_number.as_ref().unwrap().expose(), "52136017");
//! let json = kohi::to_json(&doc);
//! assert!(json.starts_with(r#"{"encoding":"UTF-8""#));
//! ```
//!
//! The core knows nothing of FFI; the C, Python and Node bindings wrap it and return exactly
//! [`to_json`]'s output.

#![deny(unsafe_code)]
// Every public item is documented (CI turns this warning into an error through clippy -D warnings).
#![warn(missing_docs)]

mod build;
pub mod codes;
mod complete;
pub mod cp932;
mod dates;
mod decode;
pub mod error;
pub mod json_form;
mod json_numbers;
pub mod mapping;
mod mislabelled;
/// The old name of [`mapping`] (`kohi::kohi` stuttered); kept so existing code still builds.
#[deprecated(note = "renamed to `kohi::mapping`")]
pub mod kohi {
    pub use crate::mapping::*;
}
pub mod layout;
pub mod model;
pub mod numbers;
mod parse;
pub mod personal;
pub mod programs;
pub mod reconcile;
// The fast scanner is an internal of the parser; the fuzz target that compares it with quick-xml
// reaches it through cargo-fuzz's `--cfg fuzzing`.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod scan;
#[cfg(not(fuzzing))]
mod scan;
mod shift_jis;
mod spelled;
pub mod stream;
pub mod survey;
mod text;

use std::path::Path;

/// Decoding is the first step of every parse; `decode` alone gives a result file's text.
pub use decode::{Decoded, Encoding, EncodingSource, decode};
pub use error::{ERROR_CODES, Error, ErrorCode, Limit, MalformedReason, Result};
pub use mapping::{KohiEntry, KohiSource, Renewal, Scope};
pub use model::{Document, Patient, PmhState, Qualification, Text, Warning, WarningCode};
pub use numbers::{NumberCheck, NumberKind, check_number};
pub use parse::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_INPUT_BYTES, Limits, ParseOptions, parse_str_with, parse_with};
pub use personal::Personal;
pub use reconcile::{Change, ChangedField, KohiRecord, reconcile};
pub use stream::{PatientReader, StreamedPatient};
pub use text::STATIC_TEXT;

/// Parses a result file given as bytes, with default options.
pub fn parse(bytes: &[u8]) -> Result<Document> {
    parse_with(bytes, &ParseOptions::default())
}

/// Reads and parses a file. The size limit is checked before the file is read (see [`read_file`]).
pub fn parse_file(path: impl AsRef<Path>, options: &ParseOptions) -> Result<Document> {
    parse_with(&read_file(path, options.max_input_bytes())?, options)
}

/// Reads a regular file of at most `limit` bytes. Its size is checked before it is opened; a FIFO,
/// a device (a link to `/dev/zero`) or a directory is never opened (`io`, kind `IsADirectory`
/// for a directory, `Unsupported` for the others);
/// and at most `limit + 1` bytes are read, so a file that grows after the check is refused
/// (`input_too_large`), never read whole.
pub fn read_file(path: impl AsRef<Path>, limit: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let path = path.as_ref();
    let (file, size) = open_regular_within(path, limit)?;
    let mut bytes = Vec::with_capacity(size as usize);
    file.take((limit as u64).saturating_add(1)).read_to_end(&mut bytes).map_err(|e| Error::io_at(e, path))?;
    if bytes.len() > limit {
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

fn too_large(size: u64, limit: usize) -> Error {
    Error::InputTooLarge { size: usize::try_from(size).unwrap_or(usize::MAX), limit }
}

/// [`open_regular`], refusing a file larger than `limit` bytes; the file and its size.
fn open_regular_within(path: &Path, limit: usize) -> Result<(std::fs::File, u64)> {
    let (file, meta) = open_regular(path)?;
    if meta.len() > limit as u64 {
        return Err(too_large(meta.len(), limit));
    }
    Ok((file, meta.len()))
}

/// Opens a regular file and streams it ([`PatientReader`]), refusing one larger than the input
/// size limit at once (`input_too_large`, as [`parse_file`] does), before any patient. A stream
/// applies that limit too, as it reads (its memory is flat, but a run of text with no markup is
/// held until the limit): a stream given the file itself met it only after handing out the
/// patients before it (a 70 MB bulk file under the default 64 MiB: 111,413 of its 121,857), so
/// a caller had part of a file and an error, where one error and nothing to undo was the answer.
pub fn stream_file(path: impl AsRef<Path>, options: &ParseOptions) -> Result<PatientReader<std::fs::File>> {
    PatientReader::new(open_file_within(path, options.max_input_bytes())?, options)
}

/// [`open_file`], refusing a file larger than `limit` bytes (`input_too_large`): what
/// [`stream_file`] opens, for a reader of another type (a boxed one, in the bindings).
pub fn open_file_within(path: impl AsRef<Path>, limit: usize) -> Result<std::fs::File> {
    open_regular_within(path.as_ref(), limit).map(|(file, _)| file)
}

/// Opens a regular file to stream it ([`PatientReader`]). As for [`read_file`], a FIFO, a
/// device or a directory is refused before it is opened (`io`, kind `IsADirectory` for a
/// directory, `Unsupported` for the others): opening a FIFO would block the caller (in Node,
/// the event loop; in Python, with the GIL held) until some other process wrote to it.
pub fn open_file(path: impl AsRef<Path>) -> Result<std::fs::File> {
    open_regular(path.as_ref()).map(|(file, _)| file)
}

/// The file and its metadata, if `path` is a regular file. Looked at before it is opened, so a
/// device or a FIFO is never opened; and the opened file is looked at again, so a path swapped
/// for a FIFO in between is refused too, opened without waiting for a writer (see
/// [`open_without_waiting`]).
fn open_regular(path: &Path) -> Result<(std::fs::File, std::fs::Metadata)> {
    let at = |e: std::io::Error| Error::io_at(e, path);
    let regular = |meta: std::fs::Metadata| match meta {
        m if m.is_dir() => Err(at(std::io::ErrorKind::IsADirectory.into())),
        m if !m.is_file() => Err(at(std::io::ErrorKind::Unsupported.into())),
        m => Ok(m),
    };
    regular(std::fs::metadata(path).map_err(at)?)?;
    let file = open_without_waiting(path).map_err(at)?;
    let meta = regular(file.metadata().map_err(at)?)?;
    Ok((file, meta))
}

/// Opens for reading. On Unix with `O_NONBLOCK`: opening a FIFO otherwise waits for a writer,
/// forever if none comes. On a regular file the flag changes nothing (reads never wait).
#[cfg(unix)]
fn open_without_waiting(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_without_waiting(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The JSON contract shared by every binding.
pub fn to_json(document: &Document) -> String {
    // Serializing plain structs of strings, options and vectors into a String cannot fail.
    serde_json::to_string(document).unwrap_or_else(|_| String::from("{}"))
}

/// One patient as in the JSON contract: exactly what [`to_json`] writes for it in `"patients"`
/// (for storing one person of a bulk file without the whole file's JSON).
pub fn patient_to_json(patient: &Patient) -> String {
    serde_json::to_string(patient).unwrap_or_else(|_| String::from("{}"))
}

/// The JSON contract written straight to `writer` (the same bytes as [`to_json`], without
/// holding them in memory).
pub fn write_json(document: &Document, writer: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer(writer, document).map_err(std::io::Error::from)
}

/// The library version (the crate version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
