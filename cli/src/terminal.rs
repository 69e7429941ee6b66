//! `kohi watch` and `kohi request`: the terminal workflow from the command line.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kohi::watch::{Outcome, WatchEvent, WatchOptions, Watcher};
use kohi::{Encoding, QualificationRequest};

use crate::Args;

/// `kohi watch DIR [--json] [--aliases FILE] [--settle MS] [--give-up-after MS] [--done DIR]
/// [--max-events N] [--idle-exit SECS]`
pub fn watch(args: &[String]) -> Result<bool, String> {
    let mut args = Args::new(args);
    let mut options = WatchOptions::default();
    let mut root = None;
    let mut max_events = usize::MAX;
    let mut idle_exit = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => {}
            "--aliases" => options.parse = crate::with_aliases(options.parse, args.value("--aliases")?)?,
            "--settle" => options.settle = Duration::from_millis(args.number("--settle")?),
            "--give-up-after" => options.give_up_after = Duration::from_millis(args.number("--give-up-after")?),
            "--done" => options.done_dir = Some(PathBuf::from(args.value("--done")?)),
            "--max-events" => max_events = args.number("--max-events")? as usize,
            "--idle-exit" => idle_exit = Some(Duration::from_secs(args.number("--idle-exit")?)),
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            dir if root.is_none() => root = Some(PathBuf::from(dir)),
            _ => return Err("watch takes one DIR".into()),
        }
    }
    let root = root.ok_or("watch needs the terminal folder (the one holding req/, res/ and face/)")?;
    let mut watcher = Watcher::new(&root, options).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut printed = 0;
    let mut last_event = Instant::now();
    while printed < max_events {
        match watcher.next_event(Duration::from_millis(500)) {
            Some(event) => {
                let mut out = stdout.lock();
                if writeln!(out, "{}", event_json(&event)).and_then(|()| out.flush()).is_err() {
                    return Ok(true); // the reader went away
                }
                printed += 1;
                last_event = Instant::now();
            }
            None if idle_exit.is_some_and(|idle| last_event.elapsed() >= idle) => break,
            None => {}
        }
    }
    Ok(true)
}

/// The parse contract plus `file`, `kind` and `request`; a failure has `error`, a rejection `message`.
fn event_json(event: &WatchEvent) -> String {
    let file = serde_json::to_string(&event.path.to_string_lossy()).unwrap_or_default();
    let request = event
        .request
        .as_ref()
        .map_or("null".to_owned(), |r| serde_json::to_string(&r.to_string_lossy()).unwrap_or_default());
    let head = format!("{{\"file\":{file},\"kind\":\"{}\",\"request\":{request}", event.kind.as_str());
    match &event.outcome {
        Outcome::Parsed(doc) => format!("{head},{}", &kohi::to_json(doc)[1..]),
        Outcome::Failed(e) => format!("{head},\"error\":{}}}", e.to_json()),
        Outcome::Rejected { message } => {
            format!("{head},\"message\":{}}}", serde_json::to_string(message).unwrap_or_default())
        }
    }
}

/// `kohi request --institution CODE --insurer N [--symbol S] --number N [--branch NN]
/// --birthdate YYYYMMDD [--date YYYYMMDD] [--limit-consent] [--id ID] [--name FREE]
/// [--encoding utf8|sjis] --out DIR`
pub fn request(args: &[String]) -> Result<bool, String> {
    let mut args = Args::new(args);
    let (mut institution, mut insurer, mut symbol, mut number, mut branch) = (None, None, None, None, None);
    let (mut birthdate, mut date, mut consent, mut id, mut name, mut out) = (None, None, false, None, None, None);
    let mut encoding = Encoding::ShiftJis;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--institution" => institution = Some(args.value("--institution")?),
            "--insurer" => insurer = Some(args.value("--insurer")?),
            "--symbol" => symbol = Some(args.value("--symbol")?),
            "--number" => number = Some(args.value("--number")?),
            "--branch" => branch = Some(args.value("--branch")?),
            "--birthdate" => birthdate = Some(day(&args.value("--birthdate")?)?),
            "--date" => date = Some(day(&args.value("--date")?)?),
            "--limit-consent" => consent = true,
            "--id" => id = Some(args.value("--id")?),
            "--name" => name = Some(args.value("--name")?),
            "--out" => out = Some(PathBuf::from(args.value("--out")?)),
            "--encoding" => {
                encoding = match args.value("--encoding")?.to_ascii_lowercase().as_str() {
                    "utf8" | "utf-8" => Encoding::Utf8,
                    "sjis" | "shift_jis" | "cp932" => Encoding::ShiftJis,
                    _ => return Err("--encoding is utf8 or sjis".into()),
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let now = japan_now();
    let request = QualificationRequest {
        medical_institution_code: institution.ok_or("--institution is required")?,
        qualification_confirmation_date: date.unwrap_or(now.date()),
        insurer_number: insurer.ok_or("--insurer is required")?,
        insured_card_symbol: symbol,
        insured_identification_number: number.ok_or("--number is required")?,
        insured_branch_number: branch,
        birthdate: birthdate.ok_or("--birthdate is required")?,
        limit_application_consent: consent,
        arbitrary_file_identifier: id,
    };
    let out = out.ok_or("--out is required (the terminal's req/ folder)")?;
    let free = name.unwrap_or_else(|| format!("{}{:04}", now.format("%Y%m%d%H%M%S"), std::process::id() % 10_000));
    match request.write_to(&out, &free, encoding) {
        Ok(path) => {
            println!("{}", path.display());
            Ok(true)
        }
        Err(e) => {
            eprintln!("kohi: {} ({})", e, e.code());
            Ok(false)
        }
    }
}

fn day(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y%m%d").map_err(|_| format!("`{text}` is not a YYYYMMDD date"))
}

/// The terminal is in Japan: 資格確認日 defaults to today in JST, whatever this machine's zone.
fn japan_now() -> chrono::NaiveDateTime {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    chrono::DateTime::from_timestamp(secs + 9 * 3600, 0).unwrap_or_default().naive_utc()
}
