//! `kohi-onshi` on npm: the Node binding. Parses with the core and hands JS plain objects with
//! camelCase properties that mirror the model; `toJSON()`/`toJsonString()` give the core's JSON
//! contract. Errors are `Error`s whose `.kohiCode` is the core's snake_case code (`.code` too,
//! except for I/O errors, where `.code` is the POSIX name such as `'ENOENT'`, as in `fs`).

#![deny(clippy::all)]

/// Node frees a parsed document only when a napi finalizer runs, long after the parse and in
/// batches; glibc's malloc serves that pattern poorly (a parse + read cost ~2 µs more with it,
/// `docs/BENCHMARKS.md`). The allocator only serves this addon's Rust allocations. Built with
/// `no_thp` (Cargo.toml): mimalloc's default marks its arenas for transparent huge pages, and
/// where a huge page's fault is slow (a VM) a large parse spent most of its time in the kernel.
/// It keeps freed memory ten seconds before giving it back (`allocator.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod allocator;
mod json;
mod lists;
mod objects;
mod request;
mod stream;
mod values;
mod watch;

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use kohi_core::{Document, ParseOptions as CoreOptions};

pub use allocator::purge_delay;
pub use objects::*;
pub use request::*;
pub use stream::*;
pub use values::value_tags;
pub use watch::*;

/// Options for `parse` and `parseFile` (every property optional).
#[napi(object)]
pub struct ParseOptions {
    /// Element aliases: `{ CanonicalName: ['Alias', …] }`, or the same as a JSON string.
    #[napi(ts_type = "Record<string, string | string[]> | string")]
    pub aliases: Option<serde_json::Value>,
    /// A layout file: `{ rename, place, wrappers, roots, file_prefixes }` (each optional), or the
    /// same as a JSON string. Learnt from a real file with `kohi survey --write`.
    #[napi(ts_type = "Record<string, unknown> | string")]
    pub layout: Option<serde_json::Value>,
    /// Input size limit in bytes (default 64 MiB).
    pub max_size: Option<i64>,
    /// Limits on a document's shape by name (`elements`, `text_bytes`, `patients`,
    /// `kohi_per_patient`, `unknown_elements`, `warnings`, `name_bytes`, `kept_bytes`); a stream
    /// applies them per bulk unit.
    pub limits: Option<std::collections::HashMap<String, f64>>,
}

/// An `Error` with `.code`, `.kohiCode` (the core's snake_case code) and `.number`, built in JS
/// so the codes survive. For an I/O error, as Node's own `fs` does, `.code` is the POSIX name
/// (`'ENOENT'`, `'EACCES'`…) and `.errno`, `.path` are set; otherwise `.code` is kohi's code.
fn kohi_error(env: &Env, e: &kohi_core::Error) -> Error {
    let io = IoDetail { name: e.io_code_name(), errno: e.os_code(), path: e.io_path() };
    build_error(env, e.code(), Some(e.number()), &e.to_string(), io)
}

/// What an I/O error adds to a JS error.
#[derive(Default)]
struct IoDetail<'a> {
    name: Option<&'static str>,
    errno: Option<i32>,
    path: Option<&'a str>,
}

fn js_error(env: &Env, code: &str, number: Option<u32>, message: &str) -> Error {
    build_error(env, code, number, message, IoDetail::default())
}

fn build_error(env: &Env, code: &str, number: Option<u32>, message: &str, io: IoDetail<'_>) -> Error {
    let built = env.create_error(Error::new(Status::GenericFailure, message)).and_then(|mut error| {
        error.set_named_property("code", io.name.unwrap_or(code))?;
        error.set_named_property("kohiCode", code)?;
        if let Some(number) = number {
            error.set_named_property("number", number)?;
        }
        if let Some(errno) = io.errno {
            // Node's convention: the negated errno on Unix (libuv's), the OS number elsewhere.
            error.set_named_property("errno", if cfg!(unix) { -errno } else { errno })?;
        }
        if let Some(path) = io.path {
            error.set_named_property("path", path)?;
        }
        Ok(Error::from(error.into_unknown(env)?))
    });
    built.unwrap_or_else(|e| e)
}

fn options(env: &Env, options: Option<ParseOptions>) -> Result<CoreOptions> {
    let mut core = CoreOptions::default();
    let Some(options) = options else { return Ok(core) };
    if let Some(limit) = options.max_size {
        let limit =
            usize::try_from(limit).map_err(|_| js_error(env, "invalid_argument", None, "maxSize must be >= 0"))?;
        core = core.with_max_input_bytes(limit);
    }
    if let Some(limits) = options.limits {
        let mut named = Vec::with_capacity(limits.len());
        for (name, value) in &limits {
            if !(value.is_finite() && *value >= 0.0 && value.fract() == 0.0) {
                return Err(kohi_error(env, &kohi_core::Error::InvalidSetting { name: "limits" }));
            }
            named.push((name.as_str(), *value as usize));
        }
        let limits = core.limits().with_named(named).map_err(|e| kohi_error(env, &e))?;
        core = core.with_limits(limits);
    }
    if let Some(json) = json_text(options.layout, "layout")? {
        core = core.with_layout_json(&json).map_err(|e| kohi_error(env, &e))?;
    }
    if let Some(json) = json_text(options.aliases, "aliases")? {
        core = core.with_aliases_json(&json).map_err(|e| kohi_error(env, &e))?;
    }
    Ok(core)
}

/// An object or a JSON string, as JSON text (the alias table and the layout file).
fn json_text(value: Option<serde_json::Value>, what: &str) -> Result<Option<String>> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(json)) => Ok(Some(json)),
        Some(value @ serde_json::Value::Object(_)) => Ok(Some(value.to_string())),
        Some(_) => Err(Error::new(Status::InvalidArg, format!("{what} must be an object or a JSON string"))),
    }
}

/// A string that is no document but names an existing file (a common mistake: `parse(path)`).
fn looks_like_a_path(text: &str) -> bool {
    let start = text.trim_start_matches('\u{FEFF}').trim_start();
    text.len() < 4096
        && !start.starts_with('<')
        && !start.starts_with('{')
        && std::path::Path::new(text.trim()).is_file()
}

/// A parsed result file.
#[napi(custom_finalize)]
pub struct KohiResult {
    /// `None` once `close()` has freed it: every read then throws `closed`.
    doc: Option<Arc<Document>>,
    /// The bytes this object told V8 it holds outside V8's heap (`held_outside`), given back
    /// when it is finalized.
    external: i64,
}

impl KohiResult {
    /// Tells V8 about the document it now keeps alive. V8 saw a result as an object of a few
    /// bytes: a loop that parsed and dropped results, making little JS garbage itself, kept
    /// every document until its heap filled for other reasons (300 parses of a 1,000-unit
    /// file: one collection, 432 MB resident, 102 k page faults, each parse writing fresh
    /// pages). Told, V8 collects by the memory really held, as it does for a `Buffer`'s: 171 MB,
    /// 35 k faults. A loop that reads the patients makes garbage enough to collect either way.
    pub(crate) fn new(env: &Env, doc: Arc<Document>) -> Self {
        let external = held_outside(&doc);
        // A hint: if V8 cannot take it, nothing is lost but the hint (and nothing is given back).
        let external = if env.adjust_external_memory(external).is_ok() { external } else { 0 };
        KohiResult { doc: Some(doc), external }
    }

    /// The document, or the typed `closed` error once `close()` has freed it (never an empty
    /// document: a closed result read as one would show a patient without their 公費).
    pub(crate) fn doc(&self, env: &Env) -> Result<&Document> {
        self.doc.as_deref().ok_or_else(|| {
            js_error(env, "closed", None, "kohi: this result was closed: close() freed its document, read it before")
        })
    }
}

impl ObjectFinalize for KohiResult {
    /// Never fails: napi-rs would throw a finalizer's error into whatever JS runs next (and a
    /// failed hint while the environment is torn down is harmless).
    fn finalize(self, env: Env) -> Result<()> {
        if self.external != 0 {
            let _ = env.adjust_external_memory(-self.external);
        }
        Ok(())
    }
}

/// About the memory a document holds, in O(1): a patient and one result per patient (most of
/// it: texts are inline up to 24 bytes), the lists of warnings and unknown elements. An
/// underestimate (long texts, more results, 公費 entries are not counted) errs towards
/// collecting later, as before.
fn held_outside(doc: &Document) -> i64 {
    use std::mem::size_of;
    let per_patient = size_of::<kohi_core::Patient>() + size_of::<kohi_core::Qualification>();
    let bytes = size_of::<Document>()
        + doc.patients.len() * per_patient
        + doc.warnings.len() * size_of::<kohi_core::Warning>()
        + doc.unknown_elements.len() * size_of::<kohi_core::model::UnknownElement>();
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

#[napi]
impl KohiResult {
    /// `'UTF-8'` or `'Shift_JIS'`: the encoding the file was read in.
    #[napi(getter, ts_return_type = "'UTF-8' | 'Shift_JIS'")]
    pub fn encoding(&self, env: &Env) -> Result<&'static str> {
        Ok(self.doc(env)?.encoding.name())
    }

    #[napi(getter)]
    pub fn header(&self, env: &Env) -> Result<Header> {
        Ok(Header::from(&self.doc(env)?.header))
    }

    #[napi(getter)]
    pub fn warnings(&self, env: &Env) -> Result<Vec<Warning>> {
        let warnings = &self.doc(env)?.warnings;
        Ok(warnings.iter().map(|w| Warning { code: w.code.as_str().to_owned(), path: w.path.clone() }).collect())
    }

    #[napi(getter)]
    pub fn unknown_elements(&self, env: &Env) -> Result<Vec<UnknownElement>> {
        let unknown = &self.doc(env)?.unknown_elements;
        Ok(unknown.iter().map(|u| UnknownElement { path: u.path.clone(), text: u.text.expose().clone() }).collect())
    }

    /// File-level status of a bulk result, or null.
    #[napi(getter, ts_return_type = "Record<string, unknown> | null")]
    pub fn bulk(&self, env: &Env) -> Result<serde_json::Value> {
        Ok(serde_json::to_value(&self.doc(env)?.bulk).unwrap_or_default())
    }

    /// Frees the document now (also `result[Symbol.dispose]()`); a second call does nothing.
    /// Node frees a result's document only when the event loop runs the finalizers of what
    /// its garbage collector found unreachable, so a synchronous loop over files holds every
    /// document it parsed until the loop returns: close each one when done with it. Reading
    /// the result or its patients afterwards throws `closed`.
    #[napi]
    pub fn close(&mut self, env: &Env) {
        // Another holder of the document (a watch event, which can make a result again) keeps
        // it: only this result's hold ends here.
        self.doc = None;
        if self.external != 0 {
            // A hint, as in `new`: nothing is lost if V8 cannot take it back.
            let _ = env.adjust_external_memory(-self.external);
            self.external = 0;
        }
    }
}

/// Parses a result file: bytes (a Buffer, Uint8Array, ArrayBuffer or DataView; UTF-8 or
/// Shift_JIS, detected) or a string (already decoded text; the declared encoding is then ignored).
// The bytes are borrowed for the call (`Uint8ArraySlice`): `Uint8Array` would make and delete a
// persistent reference to the array on every call, which nothing here needs after it returns.
// index.js views an ArrayBuffer or a DataView as a Uint8Array (and copies shared memory) before
// the call: the addon itself takes a Uint8Array or a string.
#[napi(ts_args_type = "data: Uint8Array | ArrayBuffer | DataView | string, options?: ParseOptions | undefined | null")]
pub fn parse(env: Env, data: Either<Uint8ArraySlice, String>, options: Option<ParseOptions>) -> Result<KohiResult> {
    parse_data(&env, data, options)
}

/// `parse` with the options as arguments, read from the object by index.js: napi's conversion
/// of an options object asks V8 for each property by a name made from a C string (7–8.5 k
/// instructions a call). `parse(face, { maxSize })` through index.js: 103.1 k → 98.9 k
/// instructions (callgrind, 10,000 calls).
#[napi(skip_typescript)]
pub fn parse_with_options(
    env: Env,
    data: Either<Uint8ArraySlice, String>,
    aliases: Option<serde_json::Value>,
    layout: Option<serde_json::Value>,
    max_size: Option<i64>,
    limits: Option<std::collections::HashMap<String, f64>>,
) -> Result<KohiResult> {
    parse_data(&env, data, Some(ParseOptions { aliases, layout, max_size, limits }))
}

/// Internal (index.js): throws the typed `input_too_large` error when `size` bytes are past
/// the size limit of `maxSize` (kohi's default when absent), as a parse of them would. Bytes in
/// shared memory are copied before a parse, and checked here first, so that bytes certain to be
/// refused are not copied (a copy of a large mapped buffer would double it for nothing).
#[napi(skip_typescript)]
pub fn check_input_size(env: Env, size: f64, max_size: Option<i64>) -> Result<()> {
    let options = options(&env, Some(ParseOptions { aliases: None, layout: None, max_size, limits: None }))?;
    let limit = options.max_input_bytes();
    // A length is a whole number of bytes below 2^53; anything else passes to the parse's check.
    if size.is_finite() && size > limit as f64 {
        let size = size as usize;
        return Err(kohi_error(&env, &kohi_core::Error::InputTooLarge { size, limit }));
    }
    Ok(())
}

fn parse_data(env: &Env, data: Either<Uint8ArraySlice, String>, options: Option<ParseOptions>) -> Result<KohiResult> {
    let env = *env;
    let options = self::options(&env, options)?;
    let parsed = match &data {
        Either::A(bytes) => kohi_core::parse_with(bytes, &options),
        Either::B(text) if looks_like_a_path(text) => {
            return Err(js_error(
                &env,
                "invalid_argument",
                None,
                "parse() got the name of an existing file, not its content: call parseFile(path), or pass the file's bytes",
            ));
        }
        Either::B(text) => kohi_core::parse_str_with(text, &options),
    };
    parsed.map(|doc| KohiResult::new(&env, Arc::new(doc))).map_err(|e| kohi_error(&env, &e))
}

/// Surveys result files without reading a value out of them. Each source is bytes (a Buffer,
/// Uint8Array, ArrayBuffer or DataView: a document) or a string (a file path). Returns
/// `{ files, failed, elements, proposals, layout, report }`: `layout` is the proposed layout
/// file, ready for the `layout` option (or null); `report` is the text `kohi survey` prints.
#[napi(
    ts_args_type = "sources: Array<Uint8Array | ArrayBuffer | DataView | string>, options?: ParseOptions | undefined | null",
    ts_return_type = "Survey"
)]
pub fn survey(
    env: Env,
    sources: Vec<Either<Uint8Array, String>>,
    options: Option<ParseOptions>,
) -> Result<serde_json::Value> {
    let options = self::options(&env, options)?;
    let mut surveyor = kohi_core::survey::Surveyor::new(&options);
    for source in &sources {
        match source {
            Either::A(bytes) => surveyor.add(bytes),
            Either::B(path) => surveyor.add_file(path),
        }
    }
    survey_value(&surveyor.finish())
}

/// A survey as JS gets it: its JSON form with the text report as `report`.
fn survey_value(survey: &kohi_core::survey::Survey) -> Result<serde_json::Value> {
    let mut value: serde_json::Value = serde_json::from_str(&survey.to_json())
        .map_err(|_| Error::new(Status::GenericFailure, "the survey could not be written"))?;
    value["report"] = serde_json::Value::String(survey.to_text());
    Ok(value)
}

/// A survey's JS object as a task's result (napi converts a `serde_json::Value` but does not
/// name its type, which a task's result must).
pub struct SurveyObject(serde_json::Value);

impl napi::bindgen_prelude::TypeName for SurveyObject {
    fn type_name() -> &'static str {
        "Survey"
    }

    fn value_type() -> napi::ValueType {
        napi::ValueType::Object
    }
}

impl napi::bindgen_prelude::ToNapiValue for SurveyObject {
    unsafe fn to_napi_value(env: napi::sys::napi_env, value: Self) -> Result<napi::sys::napi_value> {
        // SAFETY: the same call napi makes for a `serde_json::Value` returned by a function.
        unsafe { serde_json::Value::to_napi_value(env, value.0) }
    }
}

pub struct SurveyFilesTask {
    paths: Vec<String>,
    options: CoreOptions,
}

impl Task for SurveyFilesTask {
    type Output = kohi_core::survey::Survey;
    type JsValue = SurveyObject;

    /// Runs on the libuv thread pool: files on a slow share do not stall the event loop.
    fn compute(&mut self) -> Result<Self::Output> {
        let mut surveyor = kohi_core::survey::Surveyor::new(&self.options);
        for path in &self.paths {
            surveyor.add_file(path);
        }
        Ok(surveyor.finish())
    }

    fn resolve(&mut self, _env: Env, survey: Self::Output) -> Result<Self::JsValue> {
        survey_value(&survey).map(SurveyObject)
    }
}

/// `survey()` of file paths, read and surveyed off the main thread (as `parseFile` is).
#[napi(ts_return_type = "Promise<Survey>")]
pub fn survey_files(env: Env, paths: Vec<String>, options: Option<ParseOptions>) -> Result<AsyncTask<SurveyFilesTask>> {
    let options = self::options(&env, options)?;
    Ok(AsyncTask::new(SurveyFilesTask { paths, options }))
}

pub struct ParseFileTask {
    path: String,
    options: CoreOptions,
}

impl Task for ParseFileTask {
    type Output = std::result::Result<Document, kohi_core::Error>;
    type JsValue = KohiResult;

    /// Runs on the libuv thread pool: the event loop stays free.
    fn compute(&mut self) -> Result<Self::Output> {
        Ok(kohi_core::parse_file(&self.path, &self.options))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output.map(|doc| KohiResult::new(&env, Arc::new(doc))).map_err(|e| kohi_error(&env, &e))
    }
}

/// Reads and parses a file off the main thread. `options.signal` (index.js) rejects the promise
/// when aborted.
#[napi(
    ts_args_type = "path: string, options?: ParseFileOptions | undefined | null",
    ts_return_type = "Promise<KohiResult>"
)]
pub fn parse_file(env: Env, path: String, options: Option<ParseOptions>) -> Result<AsyncTask<ParseFileTask>> {
    let options = self::options(&env, options)?;
    Ok(AsyncTask::new(ParseFileTask { path, options }))
}

/// Checks a 保険者番号 (`'insurer'`), 公費負担者番号 (`'payer'`) or national 受給者番号
/// (`'recipient'`): length, digits and 検証番号.
#[napi(ts_args_type = "kind: 'insurer' | 'payer' | 'recipient', value: string")]
pub fn check_number(env: Env, kind: String, value: String) -> Result<NumberCheck> {
    let kind = kohi_core::NumberKind::from_name(&kind)
        .ok_or_else(|| js_error(&env, "invalid_argument", None, "kind must be 'insurer', 'payer' or 'recipient'"))?;
    Ok(NumberCheck::from(kohi_core::check_number(kind, &value)))
}

/// `reconcile(stored, patient, today)` (index.js, which passes the patient's result and index):
/// compares stored 公費 (`[{ payer_number, recipient_number, valid_from, valid_to,
/// income_segment, max_copayment }]`, or that as JSON) with a patient, as of `today`
/// (`'YYYY-MM-DD'`). Returns the changes (objects in the contract's snake_case). Absence never
/// proposes ending a 公費.
#[napi(skip_typescript)]
pub fn reconcile_at(
    env: Env,
    stored: serde_json::Value,
    result: &KohiResult,
    index: u32,
    today: String,
) -> Result<serde_json::Value> {
    let stored = match stored {
        serde_json::Value::String(json) => json,
        other => other.to_string(),
    };
    let today = kohi_core::reconcile::parse_day(&today)
        .ok_or_else(|| js_error(&env, "invalid_argument", None, "today must be 'YYYY-MM-DD'"))?;
    let patient = result.patient(&env, index)?;
    let records = kohi_core::KohiRecord::list_from_json(&stored).map_err(|e| kohi_error(&env, &e))?;
    let changes = kohi_core::reconcile(&records, patient, today);
    Ok(serde_json::from_str(&kohi_core::reconcile::changes_to_json(&changes)).unwrap_or_default())
}

/// The library version.
#[napi]
pub fn version() -> &'static str {
    kohi_core::VERSION
}
