//! `stream(path)`: patients one at a time, read off the main thread, in flat memory.

use std::fs::File;
use std::sync::{Arc, Mutex};

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
}

/// The reader, and an error met after some patients of a batch: those patients are delivered
/// first, and the error on the next call (the reader itself ends at its first error).
pub struct Reading {
    reader: PatientReader<File>,
    pending_error: Option<kohi_core::Error>,
}

impl Reading {
    fn next_patient(&mut self) -> Option<std::result::Result<StreamedPatient, kohi_core::Error>> {
        match self.pending_error.take() {
            Some(e) => Some(Err(e)),
            None => self.reader.next(),
        }
    }
}

/// The most patients one `nextBatch` reads: bounds what a batch holds (flat memory) while making
/// the cost of crossing to the main thread small per patient.
const MAX_BATCH: u32 = 1024;

/// What `nextBatch()` reads without a `max`, and `for await` and `next()` per trip.
#[napi(skip_typescript)]
pub const DEFAULT_BATCH: u32 = 256;

pub struct NextBatch {
    reader: Arc<Mutex<Reading>>,
    max: usize,
}

impl Task for NextBatch {
    /// The batch's patients in one document (none at the end of the stream).
    type Output = std::result::Result<Option<Document>, kohi_core::Error>;
    type JsValue = Option<KohiResult>;

    fn compute(&mut self) -> Result<Self::Output> {
        let mut reading = self.reader.lock().map_err(|_| Error::new(Status::GenericFailure, "the stream failed"))?;
        let mut batch: Option<Document> = None;
        let mut read = 0;
        while read < self.max {
            match reading.next_patient() {
                None => break,
                Some(Ok(patient)) => {
                    read += 1;
                    match batch.as_mut() {
                        None => batch = Some(patient.into_document(reading.reader.encoding(), Default::default())),
                        Some(doc) => {
                            doc.patients.push(patient.patient);
                            doc.warnings.extend(patient.warnings);
                            doc.unknown_elements.extend(patient.unknown_elements);
                        }
                    }
                }
                Some(Err(e)) if batch.is_none() => return Ok(Err(e)),
                Some(Err(e)) => {
                    reading.pending_error = Some(e);
                    break;
                }
            }
        }
        if let Some(doc) = batch.as_mut() {
            // The header as read by the batch's end, the most complete (patients read no header).
            doc.header = reading.reader.header();
        }
        Ok(Ok(batch))
    }

    /// One result for the whole batch, which index.js hands out as one `Patient` per patient of
    /// it: one native object (and one finalizer) per batch instead of one per patient, which
    /// cost about 3 µs a patient. A patient kept from a stream keeps its batch's document alive
    /// (at most `max` patients), and the batch is freed when none of its patients is reachable.
    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(batch) => Ok(batch.map(|doc| KohiResult::new(&env, Arc::new(doc)))),
            Err(e) => Err(crate::kohi_error(&env, &e)),
        }
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
        Ok(AsyncTask::new(NextBatch { reader: self.reader.clone(), max: max as usize }))
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

/// Streams a result file (its encoding detected from its first bytes).
#[napi]
pub fn stream(env: Env, path: String, options: Option<ParseOptions>) -> Result<PatientStream> {
    let options = crate::options(&env, options)?;
    let file = kohi_core::open_file(&path).map_err(|e| crate::kohi_error(&env, &e))?;
    let reader = PatientReader::new(file, &options).map_err(|e| crate::kohi_error(&env, &e))?;
    Ok(PatientStream { reader: Arc::new(Mutex::new(Reading { reader, pending_error: None })) })
}
