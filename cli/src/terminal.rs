//! `kohi watch` and `kohi request`: the terminal workflow from the command line.

use std::collections::HashSet;
use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use kohi::Encoding;

use crate::lines::Lines;
use kohi_terminal::{Outcome, PairBy, QualificationRequest, WatchEvent, WatchOptions, Watcher, WatcherHandle};

/// `kohi watch DIR`. Lines are always JSON: `--json` did nothing and was removed.
#[derive(clap::Args)]
pub struct WatchArgs {
    /// The terminal folder, holding req/, res/ and face/.
    #[arg(value_name = "DIR")]
    root: PathBuf,
    #[command(flatten)]
    read: crate::ReadArgs,
    /// How long a file's size, times and inode must stay the same before it is read (300).
    #[arg(long, value_name = "MS")]
    settle: Option<u64>,
    /// How often the folders are listed when the OS sends no events.
    #[arg(long, value_name = "MS")]
    poll_interval: Option<u64>,
    /// When a file that does not parse is delivered with its error, from its mtime or from when
    /// kohi saw its current version, whichever is sooner (30000).
    #[arg(long, value_name = "MS")]
    give_up_after: Option<u64>,
    /// Move each acknowledged file here.
    #[arg(long, value_name = "DIR")]
    done: Option<PathBuf>,
    /// Stop after printing this many events.
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
    /// Stop after this many seconds without an event, once every file seen has been printed
    /// (one that does not parse is printed after --give-up-after).
    #[arg(long, value_name = "SECS")]
    idle_exit: Option<u64>,
    /// How a PMH document is paired with its result: arbitrary_file_identifier, free_name (both,
    /// in that order, by default), or none.
    #[arg(long, value_name = "RULES")]
    pair_by: Option<String>,
    /// When a printed line is done: `written` (once written and flushed, and synced to disk when
    /// standard output is a file), or `stdin` (when its id comes back on standard input, one id
    /// a line, from a consumer that has stored it; a line in a pipe is not yet stored).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = Ack::Written)]
    ack: Ack,
}

/// When `kohi watch` acknowledges a line.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Ack {
    /// Once the line is written and flushed (and synced, when standard output is a file).
    Written,
    /// When the consumer sends the line's id back on standard input.
    Stdin,
}

/// Each event is one line, written to stdout in one `write` and flushed. With `--ack written`
/// it is then synced when stdout is a file, and only then acknowledged: a kill (or a power cut)
/// between the write and the acknowledgement prints the line again at the next start (same
/// `id`); a line cut short by a kill has no newline and was never acknowledged. With `--ack
/// stdin` the consumer acknowledges each line by sending its id back, once it has stored it.
pub fn watch(args: WatchArgs) -> Result<bool, String> {
    let mut options = WatchOptions::default();
    options.parse = args.read.apply(options.parse)?;
    if let Some(ms) = args.settle {
        options.settle = Duration::from_millis(ms);
    }
    if let Some(ms) = args.poll_interval {
        options.poll_interval = Duration::from_millis(ms);
    }
    if let Some(ms) = args.give_up_after {
        options.give_up_after = Duration::from_millis(ms);
    }
    options.done_dir = args.done;
    if let Some(rules) = &args.pair_by {
        options.pair_by = pair_by(rules)?;
    }
    let max_events = args.max_events.unwrap_or(u64::MAX);
    let idle_exit = args.idle_exit.map(Duration::from_secs);
    let root = args.root;
    if !root.is_dir() {
        return Err(format!("`{}` is not a folder", root.display()));
    }
    let lines = Lines::new();
    if args.ack == Ack::Written && lines.goes_nowhere() {
        return Err("standard output goes nowhere (/dev/null, or closed): every file would be acknowledged unread; \
                    send it to a file or a reader, or let the reader acknowledge (--ack stdin)"
            .to_owned());
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
    let consumer = (args.ack == Ack::Stdin).then(|| acks_from_stdin(watcher.handle()));
    if let Err(e) = lines.end_cut_line() {
        eprintln!("kohi: standard output could not be written ({})", e.kind());
        return Ok(false);
    }
    let mut printed = 0;
    let mut last_event = Instant::now();
    // With `--ack stdin`: the lines printed in this run whose ids have not come back yet.
    let mut awaiting = HashSet::new();
    loop {
        if let Some(consumer) = &consumer {
            // Everything the consumer sent so far; once done printing, waiting for more.
            let mut wait = printed >= max_events && !awaiting.is_empty();
            while let Some(message) = heard(consumer, wait) {
                wait = false;
                match message {
                    Consumer::Acknowledged(id) => {
                        awaiting.remove(&id);
                    }
                    Consumer::Failed(e) => return failed(&e),
                    // Gone: what it did not acknowledge comes again at the next start.
                    Consumer::Closed => return Ok(true),
                }
            }
        }
        if printed >= max_events {
            if awaiting.is_empty() {
                break;
            }
            continue;
        }
        match watcher.next_event(Duration::from_millis(500)) {
            Ok(Some(event)) => {
                let mut line = event_json(&event);
                line.push('\n');
                if let Err(e) = lines.write(line.as_bytes()) {
                    // Not acknowledged: printed again at the next start.
                    if !lines.is_file() {
                        return Ok(true); // the reader went away
                    }
                    eprintln!("kohi: standard output could not be written ({})", e.kind());
                    return Ok(false);
                }
                printed += 1;
                last_event = Instant::now();
                if consumer.is_some() {
                    awaiting.insert(event.id);
                    continue; // acknowledged when its id comes back
                }
                if let Err(e) = lines.sync() {
                    // Not known to be on disk: not acknowledged, so printed again next time.
                    eprintln!("kohi: standard output could not be synced to disk ({})", e.kind());
                    return Ok(false);
                }
                match watcher.ack(&event.id) {
                    Err(e) if moving_failed(&e) => warn_not_moved(&e),
                    Err(e) => return failed(&e),
                    Ok(_) => {}
                }
            }
            // Idle: nothing printed for a while, nothing seen left to print, nothing printed
            // waiting for its acknowledgement.
            Ok(None)
                if idle_exit.is_some_and(|idle| last_event.elapsed() >= idle)
                    && watcher.waiting() == 0
                    && awaiting.is_empty() =>
            {
                break;
            }
            Ok(None) => {}
            Err(e) => return failed(&e),
        }
    }
    Ok(true)
}

/// The next line of `input` into `line`, if it fits in [`ID_LINE_MAX`] bytes (`Some(true)`); a
/// longer one is read to its end and dropped (`Some(false)`), so that memory stays bounded
/// whatever comes. `None` at the end of the input, or when it cannot be read.
fn next_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> Option<bool> {
    line.clear();
    let read = input.take(ID_LINE_MAX).read_until(b'\n', line).ok()?;
    if read == 0 {
        return None;
    }
    if line.ends_with(b"\n") || (read as u64) < ID_LINE_MAX {
        return Some(true);
    }
    loop {
        let buffer = match input.fill_buf() {
            Ok([]) | Err(_) => return Some(false),
            Ok(buffer) => buffer,
        };
        match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => {
                input.consume(end + 1);
                return Some(false);
            }
            None => {
                let all = buffer.len();
                input.consume(all);
            }
        }
    }
}

/// What the thread reading the consumer's acknowledgements tells the printing loop.
enum Consumer {
    /// This id's event is done.
    Acknowledged(String),
    /// Standard input ended (or could not be read): the consumer is gone.
    Closed,
    /// The ledger could not record an acknowledgement (the event stays pending).
    Failed(kohi::Error),
}

/// The consumer's next message: one already sent, or, with `wait`, one sent within half a
/// second. `None` if none came; the reading thread gone counts as `Closed`.
fn heard(consumer: &Receiver<Consumer>, wait: bool) -> Option<Consumer> {
    let gone = if wait {
        match consumer.recv_timeout(Duration::from_millis(500)) {
            Ok(message) => return Some(message),
            Err(e) => e == RecvTimeoutError::Disconnected,
        }
    } else {
        match consumer.try_recv() {
            Ok(message) => return Some(message),
            Err(e) => e == TryRecvError::Disconnected,
        }
    };
    gone.then_some(Consumer::Closed)
}

/// The longest line taken as an id (an id is 81 characters); a longer one is not an id.
const ID_LINE_MAX: u64 = 1024;

/// Reads ids from standard input on a thread of its own and acknowledges each: the printing
/// loop waits in `next_event`, and an acknowledgement never waits for it. A line that is not the
/// id of an event waiting for one is reported by its number, never its text (a consumer may
/// send anything, patient data included).
fn acks_from_stdin(handle: WatcherHandle) -> Receiver<Consumer> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut line = Vec::new();
        let mut number = 0u64;
        let ended = loop {
            let Some(fits) = next_line(&mut stdin, &mut line) else { break Consumer::Closed };
            number += 1;
            let not_an_id = || {
                eprintln!(
                    "kohi: line {number} of standard input is not the id of an event waiting for its acknowledgement"
                );
            };
            match fits.then(|| std::str::from_utf8(&line).ok()).flatten().map(str::trim) {
                Some("") => {} // a blank line
                None => not_an_id(),
                Some(id) => match handle.ack(id) {
                    Err(e) if moving_failed(&e) => {
                        warn_not_moved(&e);
                        if send.send(Consumer::Acknowledged(id.to_owned())).is_err() {
                            return;
                        }
                    }
                    Ok(true) => {
                        if send.send(Consumer::Acknowledged(id.to_owned())).is_err() {
                            return; // the loop has stopped
                        }
                    }
                    Ok(false) => not_an_id(),
                    Err(e) => break Consumer::Failed(e),
                },
            }
        };
        let _ = send.send(ended);
        handle.cancel(); // wakes the loop's `next_event`
    });
    receive
}

/// `arbitrary_file_identifier,free_name` (the default), one of them, or `none`.
fn pair_by(list: &str) -> Result<Vec<PairBy>, String> {
    PairBy::from_list(list).map_err(|name| format!("unknown pairing rule `{name}`"))
}

/// An inbox error: said on stderr (where, never what), exit status 1.
/// Whether an acknowledgement's error is the move to `done_dir` failing after the ledger
/// recorded it: the ledger's own failures are `state_store`, and only the move gives `io`.
fn moving_failed(e: &kohi::Error) -> bool {
    e.code() == "io"
}

/// Acknowledged, but not moved to `--done` (a folder that cannot be made, a full disk): said,
/// and the watch goes on. The file stays where it is, is not printed again, and its move is
/// tried again at the next start. Stopping here would print one file per run.
fn warn_not_moved(e: &kohi::Error) {
    eprintln!(
        "kohi: acknowledged, but not moved to the --done folder: {e} ({}); tried again at the next start",
        e.code()
    );
}

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

/// `kohi request`: one 被保険者証 query.
#[derive(clap::Args)]
pub struct RequestArgs {
    /// 医療機関コード (10 digits).
    #[arg(long, value_name = "CODE")]
    institution: String,
    /// 保険者番号.
    #[arg(long, value_name = "N")]
    insurer: String,
    /// 被保険者証記号.
    #[arg(long, value_name = "S")]
    symbol: Option<String>,
    /// 被保険者証番号.
    #[arg(long, value_name = "N")]
    number: String,
    /// 枝番 (2 digits).
    #[arg(long, value_name = "NN")]
    branch: Option<String>,
    /// 生年月日.
    #[arg(long, value_name = "YYYYMMDD")]
    birthdate: String,
    /// 資格確認日 (default: today in Japan).
    #[arg(long, value_name = "YYYYMMDD")]
    date: Option<String>,
    /// Ask for 限度額適用認定証 information (限度額適用同意).
    #[arg(long)]
    limit_consent: bool,
    /// 任意のファイル識別子, echoed in the result.
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// The free part of the file name (default: a timestamp and the process id).
    #[arg(long, value_name = "FREE")]
    name: Option<String>,
    /// The file's encoding.
    #[arg(long, value_name = "ENCODING", default_value = "sjis",
          value_parser = ["utf8", "utf-8", "sjis", "shift_jis", "cp932"], ignore_case = true)]
    encoding: String,
    /// The terminal's req/ folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn request(args: RequestArgs) -> Result<bool, String> {
    let encoding = match args.encoding.to_ascii_lowercase().as_str() {
        "utf8" | "utf-8" => Encoding::Utf8,
        _ => Encoding::ShiftJis,
    };
    // Dates are checked here, not by clap, whose message would quote the value (a birthdate).
    let birthdate = day("--birthdate", &args.birthdate)?;
    let date = args.date.as_deref().map(|d| day("--date", d)).transpose()?;
    let (id, name, out) = (args.id, args.name, args.out);
    // The terminal is in Japan: 資格確認日 defaults to today in JST, whatever this machine's zone.
    let now = kohi_terminal::japan_now();
    let request = QualificationRequest {
        medical_institution_code: args.institution,
        qualification_confirmation_date: date.unwrap_or(now.date()),
        insurer_number: args.insurer,
        insured_card_symbol: args.symbol,
        insured_identification_number: args.number,
        insured_branch_number: args.branch,
        birthdate,
        limit_application_consent: args.limit_consent,
        arbitrary_file_identifier: id,
    };
    let free = name.unwrap_or_else(|| format!("{}{:04}", now.format("%Y%m%d%H%M%S"), std::process::id() % 10_000));
    match request.write_to(&out, &free, encoding) {
        Ok(path) => match crate::print_out(&format!("{}\n", path.display())) {
            Ok(()) => Ok(true),
            Err(e) => {
                eprintln!("kohi: the request was written, but its name could not be printed ({e})");
                Ok(false)
            }
        },
        Err(e) => {
            eprintln!("kohi: {} ({})", e, e.code());
            Ok(false)
        }
    }
}

/// A date as every request writer takes one (`YYYYMMDD`, `YYYY-MM-DD`, `YYYY/MM/DD`, full-width
/// digits too); the error names the option, never the value.
fn day(option: &str, text: &str) -> Result<chrono::NaiveDate, String> {
    kohi_terminal::request_date(text).ok_or(format!("{option} is not a date (YYYYMMDD, YYYY-MM-DD or YYYY/MM/DD)"))
}
