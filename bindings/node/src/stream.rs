//! `stream(path)`: patients one at a time, read off the main thread, in flat memory.

use std::fs::File;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use kohi_core::{Document, PatientReader};

use crate::{ParseOptions, Patient};

/// The patients of a (bulk) result file as they are read: `for await (const p of stream)`, or
/// `next()` until it resolves to null.
#[napi]
pub struct PatientStream {
    reader: Arc<Mutex<PatientReader<File>>>,
}

pub struct NextPatient {
    reader: Arc<Mutex<PatientReader<File>>>,
}

impl Task for NextPatient {
    type Output = Option<std::result::Result<Document, kohi_core::Error>>;
    type JsValue = Option<Patient>;

    fn compute(&mut self) -> Result<Self::Output> {
        let mut reader = self.reader.lock().map_err(|_| Error::new(Status::GenericFailure, "the stream failed"))?;
        Ok(reader.next_document())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            None => Ok(None),
            Some(Ok(doc)) => Ok(Some(Patient { doc: Arc::new(doc), index: 0 })),
            Some(Err(e)) => Err(crate::kohi_error(&env, &e)),
        }
    }
}

#[napi]
impl PatientStream {
    /// The next patient, or null at the end.
    #[napi(ts_return_type = "Promise<Patient | null>")]
    pub fn next(&self) -> AsyncTask<NextPatient> {
        AsyncTask::new(NextPatient { reader: self.reader.clone() })
    }
}

/// Streams a result file (its encoding detected from its first bytes).
#[napi]
pub fn stream(env: Env, path: String, options: Option<ParseOptions>) -> Result<PatientStream> {
    let options = crate::options(&env, options)?;
    let file = File::open(&path)
        .map_err(|e| crate::kohi_error(&env, &kohi_core::Error::io_at(e, std::path::Path::new(&path))))?;
    let reader = PatientReader::new(file, &options).map_err(|e| crate::kohi_error(&env, &e))?;
    Ok(PatientStream { reader: Arc::new(Mutex::new(reader)) })
}
