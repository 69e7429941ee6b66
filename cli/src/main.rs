//! `kohi`: parse onshi result files, print their 公費 slots, check numbers.

mod table;
mod terminal;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kohi::{Document, Error, NumberKind, ParseOptions};

pub(crate) const USAGE: &str = "\
kohi — read オンライン資格確認 result files and map their 公費 to レセコン fields

USAGE:
  kohi                                   parse the bundled fixtures/ and print the 公費 table
                                         (errors of the negative fixtures show as rows; exit 0)
  kohi parse [--json|--table] [--layout FILE] [--aliases FILE] [--max-size BYTES] FILE...
                                         --json (default): one JSON document per line per file
                                         --table: one line per 公費 slot, names masked
  kohi survey [--json] [--layout FILE] [--write LAYOUT] FILE...
                                         the element tree of the files, the shapes of the values
                                         (never a value), and a proposed layout file mapping
                                         unknown elements to PMH fields (--write saves it)
  kohi check [--kind insurer|payer|recipient] NUMBER...
                                         verify check digits (kind guessed from length if omitted)
  kohi watch DIR [--json] [--layout FILE] [--aliases FILE] [--settle MS] [--poll-interval MS]
             [--give-up-after MS] [--done DIR] [--max-events N] [--idle-exit SECS]
             [--pair-by arbitrary_file_identifier,free_name|none]
                                         watch DIR/res and DIR/face; one JSON line per file, each
                                         acknowledged once written: a file is printed at least once,
                                         again after a restart only if its line was not complete
  kohi request --institution CODE --insurer N [--symbol S] --number N [--branch NN]
               --birthdate YYYYMMDD [--date YYYYMMDD] [--limit-consent] [--id ID] [--name FREE]
               [--encoding utf8|sjis] --out DIR
                                         write a 被保険者証 query (OQSsiquc01req_FREE.xml) atomically
  kohi --version | --help

Exit status: 0 all good, 1 a file failed or a number is invalid, 2 bad usage.";

enum Format {
    Json,
    Table,
}

fn main() -> ExitCode {
    // Arguments that are not UTF-8 (a file name from another code page) never panic: options are
    // matched on a lossy copy, and a file argument gets its original bytes back (`path_arg`).
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let args: Vec<String> = raw.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let _ = RAW_ARGS.set(raw);
    let result = match args.first().map(String::as_str) {
        // The demo: the bundled negative fixtures fail on purpose and show as rows, so the
        // status reports only whether the table could be printed. `kohi parse` is strict.
        None => run_parse(bundled_fixtures(), &ParseOptions::default(), Format::Table).map(|_| true),
        Some("parse") => parse_command(&args[1..]),
        Some("check") => check_command(&args[1..]),
        Some("survey") => survey_command(&args[1..]),
        Some("watch") => terminal::watch(&args[1..]),
        Some("request") => terminal::request(&args[1..]),
        Some("--version" | "-V") => {
            println!("kohi {}", kohi::VERSION);
            Ok(true)
        }
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            Ok(true)
        }
        Some(other) => Err(format!("unknown command `{other}`")),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("kohi: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

static RAW_ARGS: std::sync::OnceLock<Vec<std::ffi::OsString>> = std::sync::OnceLock::new();

/// A file argument as the path it was given: its original bytes when it was not UTF-8.
fn path_arg(arg: &str) -> PathBuf {
    let original = arg
        .contains('\u{FFFD}')
        .then(|| RAW_ARGS.get().and_then(|raw| raw.iter().find(|a| a.to_string_lossy() == arg)).map(PathBuf::from));
    original.flatten().unwrap_or_else(|| PathBuf::from(arg))
}

/// The files an argument names: `-` (standard input), a directory (its `*.xml` and `*.json`,
/// sorted), a pattern with `*` or `?` in its last part (expanded here, for shells that do not,
/// such as cmd.exe), or the file itself.
fn expand(arg: &str) -> Result<Vec<PathBuf>, String> {
    let path = path_arg(arg);
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| format!("cannot list `{arg}`: {}", e.kind()))?
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
            .map_err(|e| format!("cannot list the folder of `{arg}`: {}", e.kind()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| matches_pattern(&name, &n.to_string_lossy())))
            .collect();
        files.sort();
        return Ok(files);
    }
    Ok(vec![path])
}

/// `*` any run of characters, `?` one character; case-insensitive, as Windows matches names.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) => a.to_lowercase().eq(b.to_lowercase()) && go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    go(&p, &n)
}

/// Standard input (`-`), read within the size limit.
fn parse_stdin(options: &ParseOptions) -> Result<Document, Error> {
    use std::io::Read;
    let limit = options.max_input_bytes();
    let mut bytes = Vec::new();
    std::io::stdin().lock().take(limit as u64 + 1).read_to_end(&mut bytes).map_err(Error::io)?;
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

/// Walks arguments, with the values options take.
pub(crate) struct Args<'a> {
    items: std::slice::Iter<'a, String>,
}

impl<'a> Args<'a> {
    pub(crate) fn new(args: &'a [String]) -> Self {
        Args { items: args.iter() }
    }

    pub(crate) fn value(&mut self, option: &str) -> Result<String, String> {
        self.items.next().cloned().ok_or_else(|| format!("{option} needs a value"))
    }

    pub(crate) fn number(&mut self, option: &str) -> Result<u64, String> {
        self.value(option)?.parse().map_err(|_| format!("{option} needs a number"))
    }
}

impl<'a> Iterator for Args<'a> {
    type Item = &'a String;
    fn next(&mut self) -> Option<&'a String> {
        self.items.next()
    }
}

/// Uses the layout file (JSON) in parse options.
pub(crate) fn with_layout(options: ParseOptions, file: String) -> Result<ParseOptions, String> {
    let json = std::fs::read_to_string(file).map_err(|e| format!("cannot read the layout file: {}", e.kind()))?;
    options.with_layout_json(&json).map_err(|e| e.to_string())
}

/// Adds the aliases from a JSON file to parse options.
pub(crate) fn with_aliases(options: ParseOptions, file: String) -> Result<ParseOptions, String> {
    let json = std::fs::read_to_string(file).map_err(|e| format!("cannot read the alias file: {}", e.kind()))?;
    options.with_aliases_json(&json).map_err(|e| e.to_string())
}

fn parse_command(args: &[String]) -> Result<bool, String> {
    let mut format = Format::Json;
    let mut options = ParseOptions::default();
    let mut files = Vec::new();
    let mut args = Args::new(args);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => format = Format::Json,
            "--table" => format = Format::Table,
            "--aliases" => options = with_aliases(options, args.value("--aliases")?)?,
            "--layout" => options = with_layout(options, args.value("--layout")?)?,
            "--max-size" => options = options.with_max_input_bytes(args.number("--max-size")? as usize),
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(true);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            file => files.extend(expand(file)?),
        }
    }
    if files.is_empty() {
        return Err("parse needs at least one FILE".into());
    }
    run_parse(files, &options, format)
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
    // A closed pipe (`kohi | head`) is not an error of ours.
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write output: {}", e.kind())),
        _ => Ok(all_ok),
    }
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
fn survey_command(args: &[String]) -> Result<bool, String> {
    let mut options = ParseOptions::default();
    let (mut json, mut write, mut files) = (false, None, Vec::new());
    let mut args = Args::new(args);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--layout" => options = with_layout(options, args.value("--layout")?)?,
            "--write" => write = Some(PathBuf::from(args.value("--write")?)),
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(true);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            file => files.extend(expand(file)?),
        }
    }
    if files.is_empty() {
        return Err("survey needs at least one FILE".into());
    }
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
        // Beside it first, then renamed into place: a kill mid-write leaves the old file (or
        // none) and a temporary one, never a half-written layout that a watcher would load.
        let temp =
            path.with_file_name(format!(".{}.tmp", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
        std::fs::write(&temp, text)
            .and_then(|()| std::fs::rename(&temp, &path))
            .map_err(|e| format!("cannot write the layout file: {}", e.kind()))?;
    }
    std::io::stdout().write_all(report.as_bytes()).map_err(|e| format!("cannot write output: {}", e.kind()))?;
    Ok(survey.failed.is_empty())
}

fn check_command(args: &[String]) -> Result<bool, String> {
    let mut kind = None;
    let mut numbers = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--kind" => {
                let name = args.next().ok_or("--kind needs insurer, payer or recipient")?;
                kind = Some(NumberKind::from_name(name).ok_or("--kind needs insurer, payer or recipient")?);
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(true);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            number => numbers.push(number),
        }
    }
    if numbers.is_empty() {
        return Err("check needs at least one NUMBER".into());
    }
    let mut all_valid = true;
    for number in numbers {
        let kind = kind.unwrap_or_else(|| guess_kind(number));
        let check = kohi::check_number(kind, number);
        all_valid &= check.valid;
        let verdict = match (check.valid, check.expected_check_digit) {
            (true, _) => "ok".to_owned(),
            (false, Some(d)) => format!("NG (check digit should be {d})"),
            (false, None) => "NG (not digits of the right length)".to_owned(),
        };
        println!("{}\t{}\t{verdict}", check.normalized, kind.as_str());
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
