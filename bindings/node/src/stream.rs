//! `stream(path)`: patients one at a time, read off the main thread, in flat memory.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use kohi_core::model::StreamedPatient;
use kohi_core::{Document, PatientReader};

use crate::{KohiResult, ParseOptions};

/// The patients of a (bulk) result file as they are read: `for await (const p of stream)`, or
/// `next()` until it resolves to null.
#[napi]
pub struct PatientStream {
    reader: Arc<Mutex<Reading>>,
    /// Set by `close()`; a batch being read sees it between patients and lets the file go.
    closed: Arc<AtomicBool>,
    /// The reader's remainder, kept by the batch that read to the end of the file (it outlives
    /// `close()`, and reading it never waits for a batch being read).
    rest: Arc<OnceLock<Arc<Document>>>,
}

/// The reader, and an error met after some patients of a batch: those patients are delivered
/// first, and the error on the next call (the reader itself ends at its first error).
pub struct Reading {
    /// `None` once the stream is closed: the file is let go then, not when V8 collects the
    /// stream (which may be never, in a process that makes little garbage).
    reader: Option<PatientReader<File>>,
    pending_error: Option<kohi_core::Error>,
}

impl Reading {
    fn next_patient(&mut self) -> Option<std::result::Result<StreamedPatient, kohi_core::Error>> {
        match self.pending_error.take() {
            Some(e) => Some(Err(e)),
            None => self.reader.as_mut()?.next(),
        }
    }
}

/// Why a batch was not read.
pub enum Stopped {
    Failed(kohi_core::Error),
    /// The stream was closed (by `close()`, or by its `signal` in index.js).
    Closed,
}

fn closed_error(env: &Env) -> Error {
    crate::js_error(env, "closed", None, "kohi: this stream was closed: close() let its file go, read it before")
}

/// The most patients one `nextBatch` reads: bounds what a batch holds (flat memory) while making
/// the cost of crossing to the main thread small per patient.
const MAX_BATCH: u32 = 1024;

/// What `nextBatch()` reads without a `max`, and `for await` and `next()` per trip.
#[napi(skip_typescript)]
pub const DEFAULT_BATCH: u32 = 256;

pub struct NextBatch {
    reader: Arc<Mutex<Reading>>,
    closed: Arc<AtomicBool>,
    rest: Arc<OnceLock<Arc<Document>>>,
    max: usize,
}

impl Task for NextBatch {
    /// The batch's patients in one document (none at the end of the stream).
    type Output = std::result::Result<Option<Document>, Stopped>;
    type JsValue = Option<KohiResult>;

    fn compute(&mut self) -> Result<Self::Output> {
        let read = self.read_batch()?;
        // `close()` that came while this read held the lock (its `try_lock` failed) left the
        // file to this read; it may have come after the read's last look at the flag. The flag
        // is set before that `try_lock`, which failed before the lock was let go here: looked
        // at now, it is seen, and the file goes (with nobody left to read, it would have stayed
        // open until V8 collected the stream).
        if self.closed.load(Ordering::SeqCst) {
            if let Ok(mut reading) = self.reader.lock() {
                reading.reader = None;
            }
            return Ok(Err(Stopped::Closed));
        }
        Ok(read)
    }

    /// One result for the whole batch, which index.js hands out as one `Patient` per patient of
    /// it: one native object (and one finalizer) per batch instead of one per patient, which
    /// cost about 3 µs a patient. A patient kept from a stream keeps its batch's document alive
    /// (at most `max` patients), and the batch is freed when none of its patients is reachable.
    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(batch) => Ok(batch.map(|doc| KohiResult::new(&env, Arc::new(doc)))),
            Err(Stopped::Failed(e)) => Err(crate::kohi_error(&env, &e)),
            Err(Stopped::Closed) => Err(closed_error(&env)),
        }
    }
}

impl NextBatch {
    /// Up to `max` patients read under the lock, as one document.
    fn read_batch(&self) -> Result<<Self as Task>::Output> {
        let mut reading = self.reader.lock().map_err(|_| Error::new(Status::GenericFailure, "the stream failed"))?;
        // The encoding is known from the file's first bytes, read when the stream was opened.
        let encoding = match reading.reader.as_ref().map(PatientReader::encoding) {
            Some(encoding) if !self.closed.load(Ordering::SeqCst) => encoding,
            _ => {
                // Closed while this read waited for the lock (`close()` found it taken).
                reading.reader = None;
                return Ok(Err(Stopped::Closed));
            }
        };
        let mut batch: Option<Document> = None;
        let mut read = 0;
        while read < self.max {
            if self.closed.load(Ordering::SeqCst) {
                // Closed during the read: the file goes now; what was read is not handed out.
                reading.reader = None;
                return Ok(Err(Stopped::Closed));
            }
            match reading.next_patient() {
                None => break,
                Some(Ok(patient)) => {
                    read += 1;
                    match batch.as_mut() {
                        None => batch = Some(patient.into_document(encoding, Default::default())),
                        Some(doc) => {
                            doc.patients.push(patient.patient);
                            doc.warnings.extend(patient.warnings);
                            doc.unknown_elements.extend(patient.unknown_elements);
                        }
                    }
                }
                Some(Err(e)) if batch.is_none() => return Ok(Err(Stopped::Failed(e))),
                Some(Err(e)) => {
                    reading.pending_error = Some(e);
                    break;
                }
            }
        }
        if let (Some(doc), Some(reader)) = (batch.as_mut(), reading.reader.as_ref()) {
            // The header as read by the batch's end, the most complete (patients read no header).
            doc.header = reader.header();
        }
        if let Some(rest) = reading.reader.as_ref().and_then(PatientReader::remainder) {
            self.rest.get_or_init(|| Arc::new(rest.clone()));
        }
        Ok(Ok(batch))
    }
}

#[napi]
impl PatientStream {
    /// Up to `max` patients (1–1024, default 256) read in one trip off the main thread; an empty
    /// array at the end. Patients already read ahead (by `for await` or `next()`) come first, at
    /// most `max` of them, without a trip. (index.js makes a `Patient` of each patient of the
    /// batch's one result.)
    #[napi(ts_return_type = "Promise<Array<Patient>>")]
    pub fn next_batch(&self, env: Env, max: Option<u32>) -> Result<AsyncTask<NextBatch>> {
        let max = batch_size(env, max)?;
        if self.closed.load(Ordering::Acquire) {
            return Err(closed_error(&env));
        }
        Ok(AsyncTask::new(NextBatch {
            reader: self.reader.clone(),
            closed: self.closed.clone(),
            rest: self.rest.clone(),
            max: max as usize,
        }))
    }

    /// Lets the file go now (not when V8 collects the stream): reads after it throw `closed`.
    /// Never waits: a batch being read off the main thread lets the file go at its next patient.
    #[napi]
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        if let Ok(mut reading) = self.reader.try_lock() {
            reading.reader = None;
        }
    }

    /// What the file said besides its patients, once it has been read to its end: a result
    /// with no patients, holding the header (a failed request's `segmentOfResult` and
    /// `errorCode`: such a file has no patient to carry them), a bulk file's status (`bulk`)
    /// and the warnings and unknown elements of no one unit. `null` before the end and after an
    /// error; kept after `close()`.
    #[napi(getter)]
    pub fn remainder(&self, env: Env) -> Option<KohiResult> {
        self.rest.get().map(|doc| KohiResult::new(&env, doc.clone()))
    }

    /// Whether `close()` was called (or the stream's `signal` aborted).
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// Internal: `max` as `nextBatch` reads it (`DEFAULT_BATCH` when absent), or the typed
/// `invalid_setting` error outside 1–`MAX_BATCH`. index.js checks a call's `max` with it at the
/// call, before the read waits its turn.
#[napi(skip_typescript)]
pub fn batch_size(env: Env, max: Option<u32>) -> Result<u32> {
    let max = max.unwrap_or(DEFAULT_BATCH);
    if !(1..=MAX_BATCH).contains(&max) {
        return Err(crate::kohi_error(&env, &kohi_core::Error::InvalidSetting { name: "max" }));
    }
    Ok(max)
}

/// Streams a result file (its encoding detected from its first bytes). A file larger than
/// `options.maxSize` (64 MiB by default) throws `input_too_large` here, before any patient.
/// `options.signal` (index.js) closes it when aborted.
#[napi(ts_args_type = "path: string, options?: StreamOptions | undefined | null")]
pub fn stream(env: Env, path: String, options: Option<ParseOptions>) -> Result<PatientStream> {
    let options = crate::options(&env, options)?;
    // A file past the size limit is refused here, before any patient (as `parseFile` refuses it).
    let reader = kohi_core::stream_file(&path, &options).map_err(|e| crate::kohi_error(&env, &e))?;
    Ok(PatientStream {
        reader: Arc::new(Mutex::new(Reading { reader: Some(reader), pending_error: None })),
        closed: Arc::new(AtomicBool::new(false)),
        rest: Arc::new(OnceLock::new()),
    })
}
