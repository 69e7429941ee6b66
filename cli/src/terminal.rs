//! `kohi watch` and `kohi request`: the terminal workflow from the command line.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kohi::Encoding;
use kohi_terminal::{Outcome, PairBy, QualificationRequest, WatchEvent, WatchOptions, Watcher};

use crate::Args;

/// `kohi watch DIR [--json] [--layout FILE] [--aliases FILE] [--settle MS] [--poll-interval MS] [--give-up-after MS]
/// [--done DIR] [--max-events N] [--idle-exit SECS] [--pair-by RULES|none]`
///
/// Each event is one line, written to stdout in one `write` and flushed, and only then
/// acknowledged. A kill between the write and the acknowledgement prints the line again at the
/// next start (same `id`); a line cut short by a kill has no newline and was never acknowledged.
pub fn watch(args: &[String]) -> Result<bool, String> {
    let mut args = Args::new(args);
    let mut options = WatchOptions::default();
    let mut root = None;
    let mut max_events = u64::MAX;
    let mut idle_exit = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => {} // lines are always JSON (kept so that older scripts still run)
            "--help" | "-h" => {
                println!("{}", crate::USAGE);
                return Ok(true);
            }
            "--aliases" => options.parse = crate::with_aliases(options.parse, args.value("--aliases")?)?,
            "--layout" => options.parse = crate::with_layout(options.parse, args.value("--layout")?)?,
            "--settle" => options.settle = Duration::from_millis(args.number("--settle")?),
            "--poll-interval" => options.poll_interval = Duration::from_millis(args.number("--poll-interval")?),
            "--give-up-after" => options.give_up_after = Duration::from_millis(args.number("--give-up-after")?),
            "--done" => options.done_dir = Some(PathBuf::from(args.value("--done")?)),
            "--max-events" => max_events = args.number("--max-events")?,
            "--idle-exit" => idle_exit = Some(Duration::from_secs(args.number("--idle-exit")?)),
            "--pair-by" => options.pair_by = pair_by(&args.value("--pair-by")?)?,
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            dir if root.is_none() => root = Some(PathBuf::from(dir)),
            _ => return Err("watch takes one DIR".into()),
        }
    }
    let root = root.ok_or("watch needs the terminal folder (the one holding req/, res/ and face/)")?;
    if !root.is_dir() {
        return Err(format!("`{}` is not a folder", root.display()));
    }
    let mut watcher = match Watcher::new(&root, options) {
        Ok(watcher) => watcher,
        Err(e) => return failed(&e),
    };
    if let Some(aside) = watcher.recovered_store() {
        eprintln!(
            "kohi: the inbox ledger was corrupt; it was moved to {} and rebuilt, so files still in the folders are delivered again",
            aside.display()
        );
    }
    let stdout = std::io::stdout();
    let mut printed = 0;
    let mut last_event = Instant::now();
    while printed < max_events {
        match watcher.next_event(Duration::from_millis(500)) {
            Ok(Some(event)) => {
                let mut line = event_json(&event);
                line.push('\n');
                let mut out = stdout.lock();
                if out.write_all(line.as_bytes()).and_then(|()| out.flush()).is_err() {
                    return Ok(true); // the reader went away: not acknowledged, delivered again
                }
                if let Err(e) = watcher.ack(&event.id) {
                    return failed(&e);
                }
                printed += 1;
                last_event = Instant::now();
            }
            Ok(None) if idle_exit.is_some_and(|idle| last_event.elapsed() >= idle) => break,
            Ok(None) => {}
            Err(e) => return failed(&e),
        }
    }
    Ok(true)
}

/// `arbitrary_file_identifier,free_name` (the default), one of them, or `none`.
fn pair_by(list: &str) -> Result<Vec<PairBy>, String> {
    if list == "none" {
        return Ok(Vec::new());
    }
    list.split(',').map(|name| PairBy::from_name(name.trim()).ok_or(format!("unknown pairing rule `{name}`"))).collect()
}

/// An inbox error: said on stderr (where, never what), exit status 1.
fn failed(e: &kohi::Error) -> Result<bool, String> {
    eprintln!("kohi: {e} ({})", e.code());
    Ok(false)
}

/// `id`, `file`, `kind`, `request`, `related`, then the parse contract; a failure has `error`, a rejection
/// `message`, a bulk archive `entries` (each `name` plus the contract or `error`); an unread file
/// nothing more.
fn event_json(event: &WatchEvent) -> String {
    let file = serde_json::to_string(&event.path.to_string_lossy()).unwrap_or_default();
    let path = |p: &Option<PathBuf>| {
        p.as_ref().map_or("null".to_owned(), |r| serde_json::to_string(&r.to_string_lossy()).unwrap_or_default())
    };
    let (request, related) = (path(&event.request), path(&event.related));
    let head = format!(
        "{{\"id\":\"{}\",\"file\":{file},\"kind\":\"{}\",\"request\":{request},\"related\":{related}",
        event.id,
        event.kind.as_str()
    );
    match &event.outcome {
        Outcome::Parsed(doc) => format!("{head},{}", &kohi::to_json(doc)[1..]),
        Outcome::Failed(e) => format!("{head},\"error\":{}}}", e.to_json()),
        Outcome::Rejected { message } => {
            format!("{head},\"message\":{}}}", serde_json::to_string(message).unwrap_or_default())
        }
        Outcome::Archive(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|entry| {
                    let name = serde_json::to_string(&entry.name).unwrap_or_default();
                    match &entry.outcome {
                        Ok(doc) => format!("{{\"name\":{name},{}", &kohi::to_json(doc)[1..]),
                        Err(e) => format!("{{\"name\":{name},\"error\":{}}}", e.to_json()),
                    }
                })
                .collect();
            format!("{head},\"entries\":[{}]}}", entries.join(","))
        }
        _ => format!("{head}}}"),
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
            "--help" | "-h" => {
                println!("{}", crate::USAGE);
                return Ok(true);
            }
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
