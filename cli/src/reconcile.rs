//! `kohi reconcile`: the 公費 a レセコン stores for a patient against what a result file says,
//! as the bindings' `reconcile` gives it, for a program that calls the command line (a VB or
//! Delphi レセコン that runs `kohi` rather than linking the library).

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use kohi::{KohiRecord, ParseOptions};

#[derive(clap::Args)]
pub(crate) struct ReconcileArgs {
    /// The 公費 stored for the patient: a JSON file holding an array of {"payer_number",
    /// "recipient_number", "valid_from", "valid_to", "income_segment", "max_copayment"}
    /// (`[]` for none), or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    stored: OsString,
    /// The day validity is judged on, YYYY-MM-DD (default: today in Japan).
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<String>,
    /// Which patient of the file, from 0 (a bulk file's unit; a single result has one).
    #[arg(long, value_name = "N", default_value_t = 0)]
    patient: usize,
    #[command(flatten)]
    read: crate::ReadArgs,
    /// The result file, or `-` for standard input (then --stored is a file).
    #[arg(value_name = "FILE")]
    file: OsString,
}

/// The largest stored-record file read (a patient's 公費 are a few hundred bytes).
const STORED_LIMIT: usize = 4 << 20;

/// Prints the changes as one JSON array (the bindings' form): one per stored record, in order,
/// then one per 公費 the file reports that is not stored. No PMH data never proposes ending one.
pub(crate) fn run(args: ReconcileArgs) -> Result<bool, String> {
    let options = args.read.apply(ParseOptions::default())?;
    let today = match &args.today {
        Some(text) => kohi::reconcile::parse_day(text).ok_or("--today is not a date (YYYY-MM-DD)")?,
        None => kohi_terminal::japan_now().date(),
    };
    if args.stored == "-" && args.file == "-" {
        return Err("--stored and FILE cannot both be standard input".into());
    }
    let stored = read_stored(&args.stored)?;
    let records = match KohiRecord::list_from_json(&stored) {
        Ok(records) => records,
        Err(e) => {
            eprintln!("kohi: the stored 公費: {e} ({})", e.code());
            return Ok(false);
        }
    };
    let parsed = if args.file == "-" {
        crate::parse_stdin(&options)
    } else {
        kohi::parse_file(PathBuf::from(&args.file), &options)
    };
    let doc = match parsed {
        Ok(doc) => doc,
        Err(e) => {
            eprintln!("kohi: {}: {e} ({})", args.file.to_string_lossy(), e.code());
            return Ok(false);
        }
    };
    let Some(patient) = doc.patients.get(args.patient) else {
        return Err(format!("--patient {} is past the file's {} patient(s)", args.patient, doc.patients.len()));
    };
    let changes = kohi::reconcile(&records, patient, today);
    let line = format!("{}\n", kohi::reconcile::changes_to_json(&changes));
    std::io::stdout()
        .lock()
        .write_all(line.as_bytes())
        .map_err(|e| format!("cannot write the changes: {}", e.kind()))?;
    Ok(true)
}

/// The stored records' text: a regular file or standard input, within [`STORED_LIMIT`], UTF-8.
fn read_stored(source: &OsString) -> Result<String, String> {
    let bytes = if source == "-" {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(STORED_LIMIT as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the stored 公費: {}", e.kind()))?;
        if bytes.len() > STORED_LIMIT {
            return Err(format!("the stored 公費 are larger than {} MiB", STORED_LIMIT >> 20));
        }
        bytes
    } else {
        kohi::read_file(PathBuf::from(source), STORED_LIMIT).map_err(|e| match e.io_kind() {
            Some(kind) => format!("cannot read the stored 公費: {kind}"),
            None => format!("the stored 公費 are larger than {} MiB", STORED_LIMIT >> 20),
        })?
    };
    String::from_utf8(bytes).map_err(|_| "the stored 公費 are not UTF-8".to_string())
}
