//! `kohi`: parse onshi result files, print their 公費 slots, check numbers.

// Opt-in only (feature `mimalloc`): see docs/BENCHMARKS.md, "Allocator".
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod lines;
mod reconcile;
mod table;
mod terminal;

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use kohi::{Document, Error, NumberKind, ParseOptions};

/// The command line, declared once: clap derives the parser, `--help` for every command,
/// `--version`, suggestions for a mistyped option and colours that honour `NO_COLOR`.
#[derive(Parser)]
#[command(
    name = "kohi",
    version = kohi::VERSION,
    about = "Read オンライン資格確認 result files and map their 公費 to レセコン fields.",
    long_about = "Read オンライン資格確認 result files and map their 公費 to レセコン fields.\n\n\
                  Without a command: parse the bundled fixtures/ and print the 公費 table (the \
                  negative fixtures show as error rows; exit 0).",
    after_help = "Exit status: 0 all good, 1 a file failed or a number is invalid, 2 bad usage.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Parse result files: one JSON document per line per file (default), or a table.
    ///
    /// A FILE may be `-` (standard input), a folder (its *.xml and *.json files), or a pattern
    /// such as `res\*.xml` that the shell did not expand (matched as Windows does).
    Parse(ParseArgs),
    /// The element tree of the files, the shapes of the values (never a value), and a proposed
    /// layout file mapping unknown elements to PMH fields.
    Survey(SurveyArgs),
    /// Verify check digits (検証番号); the kind is guessed from the length when not given.
    Check(CheckArgs),
    /// Watch DIR/res and DIR/face: one JSON line per file, acknowledged once written (and synced,
    /// when the output is a file), or with --ack stdin when its id comes back on standard input;
    /// a file is printed at least once (again after a restart only if it was not acknowledged).
    Watch(terminal::WatchArgs),
    /// Write a 被保険者証 query (OQSsiquc01req_FREE.xml) into the terminal's req/ folder,
    /// atomically.
    Request(terminal::RequestArgs),
    /// Compare the 公費 stored for a patient with what a result file says, as of a day: one JSON
    /// array of changes (no PMH data never proposes ending a 公費).
    Reconcile(reconcile::ReconcileArgs),
}

/// How a file's element names are read: the options every parsing command shares.
#[derive(clap::Args)]
pub(crate) struct ReadArgs {
    /// A layout file (JSON) saying where the PMH data sits (see `kohi survey --write`).
    #[arg(long, value_name = "FILE")]
    layout: Option<PathBuf>,
    /// An alias table (JSON): `{"CanonicalName": ["Alias", …]}`.
    #[arg(long, value_name = "FILE")]
    aliases: Option<PathBuf>,
    /// Refuse files larger than this many bytes (default 64 MiB) with `input_too_large` (`watch`
    /// delivers such a file as `skipped`, unread).
    #[arg(long, value_name = "BYTES")]
    max_size: Option<usize>,
    /// A parse limit, as NAME=N (repeat for more): elements, text_bytes, patients,
    /// kohi_per_patient, unknown_elements, warnings, name_bytes, kept_bytes.
    #[arg(long = "limit", value_name = "NAME=N", value_parser = parse_limit)]
    limits: Vec<(kohi::Limit, usize)>,
}

/// `NAME=N` of `--limit`: a limit by its stable name (the bindings' `limits` keys).
fn parse_limit(text: &str) -> Result<(kohi::Limit, usize), String> {
    let names = || kohi::Limit::ALL.map(kohi::Limit::name).join(", ");
    let (name, value) =
        text.split_once('=').ok_or_else(|| format!("expected NAME=N, where NAME is one of {}", names()))?;
    let limit = kohi::Limit::from_name(name).ok_or_else(|| format!("no limit named `{name}` (one of {})", names()))?;
    let value = value.parse().map_err(|_| format!("`{value}` is not a whole number"))?;
    Ok((limit, value))
}

impl ReadArgs {
    pub(crate) fn apply(&self, mut options: ParseOptions) -> Result<ParseOptions, String> {
        if let Some(file) = &self.aliases {
            let json = read_setting_file(file, "alias")?;
            options = options.with_aliases_json(&json).map_err(|e| e.to_string())?;
        }
        if let Some(file) = &self.layout {
            let json = read_setting_file(file, "layout")?;
            options = options.with_layout_json(&json).map_err(|e| e.to_string())?;
        }
        if let Some(limit) = self.max_size {
            options = options.with_max_input_bytes(limit);
        }
        if !self.limits.is_empty() {
            let mut limits = options.limits();
            for &(limit, value) in &self.limits {
                limits.set(limit, value);
            }
            options = options.with_limits(limits);
        }
        Ok(options)
    }
}

/// The largest alias table or layout file read (they are a few kilobytes).
const SETTING_FILE_LIMIT: usize = 4 << 20;

/// An alias table or layout file: a regular file (a FIFO would block, a device such as
/// `/dev/zero` would be read until memory ran out), within `SETTING_FILE_LIMIT`, UTF-8.
fn read_setting_file(file: &std::path::Path, what: &str) -> Result<String, String> {
    let bytes = kohi::read_file(file, SETTING_FILE_LIMIT).map_err(|e| match e.io_kind() {
        Some(kind) => format!("cannot read the {what} file: {kind}"),
        None => format!("the {what} file is larger than {} MiB", SETTING_FILE_LIMIT >> 20),
    })?;
    String::from_utf8(bytes).map_err(|_| format!("the {what} file is not UTF-8"))
}

#[derive(clap::Args)]
struct ParseArgs {
    /// One JSON document per line per file, with a "file" key (the default).
    #[arg(long, conflicts_with = "table")]
    json: bool,
    /// One line per 公費 slot, names masked; the end of long file names is kept.
    #[arg(long)]
    table: bool,
    /// Read each file one patient at a time, in memory that does not grow with it (--max-size
    /// still applies: raise it for a bulk file past 64 MiB): a JSON line per patient (`"patient"`, its
    /// index, and a one-patient document), then a line with `"remainder": true` (the header,
    /// bulk status and warnings of no one unit). Both that line and an error line, which ends a
    /// file early, say how many patient lines came before (`"patient_count"`).
    #[arg(long, conflicts_with = "table")]
    stream: bool,
    #[command(flatten)]
    read: ReadArgs,
    /// Files, folders, patterns, or `-` for standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<OsString>,
}

#[derive(clap::Args)]
struct SurveyArgs {
    /// The report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    read: ReadArgs,
    /// Save the proposed layout file here (written beside it, then renamed into place).
    #[arg(long, value_name = "LAYOUT")]
    write: Option<PathBuf>,
    /// Files, folders or patterns.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<OsString>,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// insurer (保険者番号), payer (公費負担者番号) or recipient (受給者番号).
    #[arg(long, value_parser = ["insurer", "payer", "recipient"])]
    kind: Option<String>,
    /// The numbers (full-width digits and spaces are normalised).
    #[arg(required = true, value_name = "NUMBER")]
    numbers: Vec<String>,
}

enum Format {
    Json,
    Table,
}

fn main() -> ExitCode {
    // Bad usage: clap prints the error with a hint and exits 2; --help and --version exit 0.
    let cli = Cli::parse();
    let result = match cli.command {
        // The demo: the bundled negative fixtures fail on purpose and show as rows, so the
        // status reports only whether the table could be printed. `kohi parse` is strict.
        None => run_parse(bundled_fixtures(), &ParseOptions::default(), Format::Table).map(|_| true),
        Some(Command::Parse(args)) => parse_command(args),
        Some(Command::Check(args)) => check_command(args),
        Some(Command::Survey(args)) => survey_command(args),
        Some(Command::Watch(args)) => terminal::watch(args),
        Some(Command::Request(args)) => terminal::request(args),
        Some(Command::Reconcile(args)) => reconcile::run(args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("kohi: {message}");
            ExitCode::from(2)
        }
    }
}

/// The files an argument names: `-` (standard input), a directory (its `*.xml` and `*.json`,
/// sorted), a pattern with `*` or `?` in its last part (expanded here, for shells that do not,
/// such as cmd.exe), or the file itself.
fn expand(arg: &OsStr) -> Result<Vec<PathBuf>, String> {
    let path = PathBuf::from(arg);
    let shown = arg.to_string_lossy();
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| format!("cannot list `{shown}`: {}", e.kind()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "xml" || e == "json"))
            .collect();
        files.sort();
        return Ok(files);
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !path.exists() && (name.contains('*') || name.contains('?')) {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot list the folder of `{shown}`: {}", e.kind()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| matches_pattern(&name, &n.to_string_lossy())))
            .collect();
        files.sort();
        return Ok(files);
    }
    Ok(vec![path])
}

/// Every file the arguments name, in argument order (see [`expand`]).
fn expand_all(args: &[OsString]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for arg in args {
        files.extend(expand(arg)?);
    }
    Ok(files)
}

/// `*` any run of characters, `?` one character; case-insensitive, as Windows matches names.
///
/// One pass with one point to go back to (the last `*`): a later `*` makes every earlier choice
/// final, so the time is at most the pattern's length times the name's. Trying every split
/// recursively took exponential time: `*a*a*a*a*a*a*a*a*a*a*a*a*b` against a long name of `a`s
/// did not finish.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let same = |a: char, b: char| a == b || a.to_lowercase().eq(b.to_lowercase());
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut i, mut j) = (0, 0);
    // After the last `*` seen: where the pattern goes on, and the name position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        match p.get(i) {
            Some('*') => {
                star = Some((i + 1, j));
                i += 1;
            }
            Some(&c) if c == '?' || same(c, n[j]) => {
                i += 1;
                j += 1;
            }
            _ => match star {
                // The `*` takes one more character.
                Some((after, tried)) => {
                    star = Some((after, tried + 1));
                    i = after;
                    j = tried + 1;
                }
                None => return false,
            },
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// Standard input (`-`), read within the size limit.
fn parse_stdin(options: &ParseOptions) -> Result<Document, Error> {
    use std::io::Read;
    let limit = options.max_input_bytes();
    let mut bytes = Vec::new();
    std::io::stdin().lock().take((limit as u64).saturating_add(1)).read_to_end(&mut bytes).map_err(Error::io)?;
    if bytes.len() > limit {
        return Err(Error::InputTooLarge { size: bytes.len(), limit });
    }
    kohi::parse_with(&bytes, options)
}

/// The fixtures shipped with the source tree: next to the workspace when run with cargo,
/// else `./fixtures`.
fn bundled_fixtures() -> Vec<PathBuf> {
    let beside_source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let dir = if beside_source.is_dir() { beside_source } else { PathBuf::from("fixtures") };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "xml"));
    files.sort();
    files
}

fn parse_command(args: ParseArgs) -> Result<bool, String> {
    let options = args.read.apply(ParseOptions::default())?;
    let files = expand_all(&args.files)?;
    if args.stream {
        return run_stream(&files, &options);
    }
    let format = if args.table { Format::Table } else { Format::Json };
    run_parse(files, &options, format)
}

/// `kohi parse --stream`: each file one patient at a time (see `ParseArgs::stream`).
fn run_stream(files: &[PathBuf], options: &ParseOptions) -> Result<bool, String> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut patients, mut errors) = (0, 0);
    let written = (|| {
        for file in files {
            let (count, ok) = stream_file(&mut out, file, options)?;
            patients += count;
            errors += usize::from(!ok);
        }
        if files.len() > 1 {
            eprintln!("kohi: {} file(s), {patients} patient(s), {errors} error(s)", files.len());
        }
        out.flush()
    })();
    written_out(written)?;
    Ok(errors == 0)
}

/// One file's lines: its patients, then its remainder or its error. The number of patient lines,
/// and whether the file was read to its end.
fn stream_file(out: &mut impl Write, file: &Path, options: &ParseOptions) -> std::io::Result<(usize, bool)> {
    let name = serde_json::to_string(&file.to_string_lossy()).unwrap_or_else(|_| "\"\"".into());
    // A file past the size limit is refused before its first patient, as the whole parse does.
    let source: Result<Box<dyn std::io::Read>, Error> = if file.as_os_str() == "-" {
        Ok(Box::new(std::io::stdin().lock()))
    } else {
        kohi::open_file_within(file, options.max_input_bytes()).map(|f| Box::new(f) as Box<dyn std::io::Read>)
    };
    let mut reader = match source.and_then(|source| kohi::PatientReader::new(source, options)) {
        Ok(reader) => reader,
        Err(e) => {
            writeln!(out, "{{\"file\":{name},\"patient_count\":0,\"error\":{}}}", e.to_json())?;
            return Ok((0, false));
        }
    };
    let mut count = 0;
    while let Some(next) = reader.next_document() {
        match next {
            Ok(doc) => {
                write!(out, "{{\"file\":{name},\"patient\":{count},")?;
                kohi::write_json(&doc, WithoutFirstByte { inner: &mut *out, skipped: false })?;
                out.write_all(b"\n")?;
                count += 1;
            }
            Err(e) => {
                writeln!(out, "{{\"file\":{name},\"patient_count\":{count},\"error\":{}}}", e.to_json())?;
                return Ok((count, false));
            }
        }
    }
    if let Some(rest) = reader.remainder() {
        write!(out, "{{\"file\":{name},\"remainder\":true,\"patient_count\":{count},")?;
        kohi::write_json(rest, WithoutFirstByte { inner: &mut *out, skipped: false })?;
        out.write_all(b"\n")?;
    }
    Ok((count, true))
}

/// Parses and prints one file at a time: memory is one document's, whatever the number of
/// files, and JSON is written straight to stdout (no string of the whole document).
fn run_parse(files: Vec<PathBuf>, options: &ParseOptions, format: Format) -> Result<bool, String> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut all_ok = true;
    let written = (|| {
        if let Format::Table = format {
            out.write_all(table::header().as_bytes())?;
        }
        let (mut read, mut patients, mut slots, mut errors) = (0, 0, 0, 0);
        for file in files {
            let parsed = if file.as_os_str() == "-" { parse_stdin(options) } else { kohi::parse_file(&file, options) };
            all_ok &= parsed.is_ok();
            read += 1;
            match &parsed {
                Ok(doc) => {
                    patients += doc.patients.len();
                    slots +=
                        doc.patients.iter().map(|p| p.kohi.iter().filter(|k| k.slot.is_some()).count()).sum::<usize>();
                }
                Err(_) => errors += 1,
            }
            match format {
                Format::Json => json_line(&mut out, &file, &parsed)?,
                Format::Table => out.write_all(table::rows(&file, &parsed).as_bytes())?,
            }
        }
        // The batch in one line: on the table's own stream, or beside the JSON lines (stderr).
        let summary = format!("{read} file(s), {patients} patient(s), {slots} 公費 in slots, {errors} error(s)\n");
        match format {
            Format::Table => out.write_all(summary.as_bytes())?,
            Format::Json if read > 1 => eprint!("kohi: {summary}"),
            Format::Json => {}
        }
        out.flush()
    })();
    written_out(written)?;
    Ok(all_ok)
}

/// What writing standard output came to: a closed pipe (`kohi … | head`) is not an error of
/// ours; anything else (a full disk) is, said without the text (it may hold patient data).
pub(crate) fn written_out(written: std::io::Result<()>) -> Result<(), String> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write output: {}", e.kind())),
        _ => Ok(()),
    }
}

/// `text` on standard output, flushed (see [`written_out`]). `println!` panics where this fails.
pub(crate) fn print_out(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    written_out(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// `{"file": …, <the document's fields>}` or `{"file": …, "error": {"code", "message"}}`.
fn json_line(out: &mut impl Write, file: &Path, result: &Result<Document, Error>) -> std::io::Result<()> {
    let file = serde_json::to_string(&file.to_string_lossy()).unwrap_or_else(|_| "\"\"".into());
    match result {
        Ok(doc) => {
            write!(out, "{{\"file\":{file},")?;
            kohi::write_json(doc, WithoutFirstByte { inner: &mut *out, skipped: false })?;
        }
        Err(e) => write!(out, "{{\"file\":{file},\"error\":{}}}", e.to_json())?,
    }
    out.write_all(b"\n")
}

/// Drops the document's opening `{`, so its fields follow `"file"` in the same object.
struct WithoutFirstByte<W> {
    inner: W,
    skipped: bool,
}

impl<W: Write> Write for WithoutFirstByte<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.skipped && !buf.is_empty() {
            self.skipped = true;
            return self.inner.write(&buf[1..]).map(|n| n + 1);
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// `kohi survey`: what the files hold, by shape, and the layout file that would read them.
fn survey_command(args: SurveyArgs) -> Result<bool, String> {
    let options = args.read.apply(ParseOptions::default())?;
    let (json, write) = (args.json, args.write);
    let files = expand_all(&args.files)?;
    let mut surveyor = kohi::survey::Surveyor::new(&options);
    for file in &files {
        surveyor.add_file(file);
    }
    let survey = surveyor.finish();
    let report =
        if json { serde_json::to_string(&survey).map_err(|e| e.to_string())? + "\n" } else { survey.to_text() };
    if let Some(path) = write {
        let layout = survey.layout.as_ref().ok_or("nothing to write: no PMH-shaped data was found")?;
        let text = serde_json::to_string_pretty(layout).map_err(|e| e.to_string())? + "\n";
        replace_durably(&path, text.as_bytes()).map_err(|e| format!("cannot write the layout file: {}", e.kind()))?;
    }
    print_out(&report)?;
    Ok(survey.failed.is_empty())
}

/// Writes `path` whole or not at all: beside it first, flushed to disk, then renamed into place.
/// A kill or a power cut mid-write leaves the old file (or none), never a half-written one that
/// a watcher would load; a failure removes the temporary file.
fn replace_durably(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.tmp"));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    // The rename itself is on disk once the folder is (Unix; Windows cannot open a folder as a
    // file, and its rename is journaled by NTFS).
    #[cfg(unix)]
    if written.is_ok()
        && let Some(folder) = path.parent()
    {
        let folder = if folder.as_os_str().is_empty() { std::path::Path::new(".") } else { folder };
        std::fs::File::open(folder)?.sync_all()?;
    }
    written
}

fn check_command(args: CheckArgs) -> Result<bool, String> {
    let kind = args.kind.as_deref().and_then(NumberKind::from_name);
    let numbers = &args.numbers;
    let mut all_valid = true;
    for number in numbers {
        let kind = kind.unwrap_or_else(|| guess_kind(number));
        let check = kohi::check_number(kind, number);
        all_valid &= check.valid;
        let verdict = match check.expected_check_digit {
            _ if check.valid => "ok".to_owned(),
            Some(d) => format!("NG (check digit should be {d})"),
            // The wrong shape: no check digit fixes it.
            None => {
                let lengths: Vec<String> = kind.lengths().iter().map(usize::to_string).collect();
                format!("NG (not {} digits)", lengths.join(" or "))
            }
        };
        print_out(&format!("{}\t{}\t{verdict}\n", check.normalized, kind.as_str()))?;
    }
    Ok(all_valid)
}

/// 7 digits is a national 受給者番号; 6 a 国保 保険者番号; 8 a 公費負担者番号 or 保険者番号
/// (same algorithm, so the verdict does not depend on which).
fn guess_kind(number: &str) -> NumberKind {
    match kohi::numbers::normalize(number).chars().count() {
        7 => NumberKind::Recipient,
        6 => NumberKind::Insurer,
        _ => NumberKind::Payer,
    }
}

#[cfg(test)]
mod tests {
    use super::matches_pattern;

    /// Every split tried: the meaning of a pattern, for short names only.
    fn by_every_split(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => by_every_split(&p[1..], n) || (!n.is_empty() && by_every_split(p, &n[1..])),
            (Some('?'), Some(_)) => by_every_split(&p[1..], &n[1..]),
            (Some(a), Some(b)) => a.to_lowercase().eq(b.to_lowercase()) && by_every_split(&p[1..], &n[1..]),
            _ => false,
        }
    }

    #[test]
    fn patterns_match_as_windows_does() {
        for (pattern, name, matched) in [
            ("*.xml", "OQSsiquc01res_0042.xml", true),
            ("*.XML", "oqssiquc01res_0042.xml", true),
            ("OQS*res_????.xml", "OQSsiquc01res_0042.xml", true),
            ("OQS*res_???.xml", "OQSsiquc01res_0042.xml", false),
            ("*res*", "OQSsiquc01req_0042.xml", false),
            ("見本*.xml", "見本ファイル.XML", true),
            ("*", "", true),
            ("?", "", false),
            ("a*b*c", "abxbxc", true),
            ("a*b*c", "abxbxcx", false),
        ] {
            assert_eq!(matches_pattern(pattern, name), matched, "{pattern} {name}");
        }
    }

    /// Every pattern of up to five of `a`, `b`, `*`, `?` against every name of up to six of `a`,
    /// `b`, `A`: the same answer as trying every split.
    #[test]
    fn one_pass_agrees_with_every_split() {
        fn all(alphabet: &[char], max: usize) -> Vec<String> {
            let mut out = vec![String::new()];
            let mut last = vec![String::new()];
            for _ in 0..max {
                last = last.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
                out.extend(last.iter().cloned());
            }
            out
        }
        let (patterns, names) = (all(&['a', 'b', '*', '?'], 5), all(&['a', 'b', 'A'], 6));
        for p in &patterns {
            let pc: Vec<char> = p.chars().collect();
            for n in &names {
                let nc: Vec<char> = n.chars().collect();
                assert_eq!(matches_pattern(p, n), by_every_split(&pc, &nc), "{p:?} {n:?}");
            }
        }
    }

    /// Trying every split takes about C(64, 12) steps here: it never finished.
    #[test]
    fn many_stars_against_a_long_name_end() {
        let name = "a".repeat(64);
        assert!(!matches_pattern("*a*a*a*a*a*a*a*a*a*a*a*a*b", &name));
        assert!(matches_pattern("*a*a*a*a*a*a*a*a*a*a*a*a*a", &name));
    }
}
