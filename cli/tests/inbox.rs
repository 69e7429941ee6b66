//! `kohi watch` under faults: early stops and kill -9 at random points while files land.
//! The promise under test: no result is lost; a result is printed again only if the run that
//! printed it was killed before acknowledging it, and then with the same id.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use kohi_fixtures::read as fixture;

fn terminal(test: &str) -> PathBuf {
    kohi_fixtures::terminal_folder(&format!("cli-inbox-{test}"))
}

fn watch(root: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kohi"))
        .args(["watch", root.to_str().unwrap(), "--settle", "50", "--poll-interval", "50"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// One printed event: (id, file, parsed or not).
#[derive(Debug, Clone)]
struct Line {
    id: String,
    file: String,
    parsed: bool,
}

/// Complete lines only: a line a kill cut short has no newline and was never acknowledged.
fn read_lines(child: &mut Child, into: Arc<Mutex<Vec<Line>>>) -> thread::JoinHandle<()> {
    let stdout = child.stdout.take().unwrap();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buffer = Vec::new();
        while reader.read_until(b'\n', &mut buffer).unwrap_or(0) > 0 {
            if buffer.ends_with(b"\n") {
                let value: serde_json::Value = serde_json::from_slice(&buffer).unwrap();
                into.lock().unwrap().push(Line {
                    id: value["id"].as_str().unwrap().to_owned(),
                    file: value["file"].as_str().unwrap().to_owned(),
                    parsed: value.get("patients").is_some(),
                });
            }
            buffer.clear();
        }
    })
}

fn run_to_idle(root: &Path, lines: &Arc<Mutex<Vec<Line>>>) {
    let mut child = watch(root, &["--idle-exit", "2"]);
    let reader = read_lines(&mut child, lines.clone());
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(status.success());
}

#[test]
fn an_early_stop_delivers_the_rest_after_a_restart() {
    let root = terminal("early");
    for i in 0..50 {
        std::fs::write(root.join("face").join(format!("OQSsiquc01res_face_x_{i:02}.xml")), fixture("face_pmh_two.xml"))
            .unwrap();
    }
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut child = watch(&root, &["--max-events", "1"]);
    let reader = read_lines(&mut child, lines.clone());
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
    assert_eq!(lines.lock().unwrap().len(), 1);

    run_to_idle(&root, &lines);
    let lines = lines.lock().unwrap();
    let files: HashSet<&str> = lines.iter().map(|l| l.file.as_str()).collect();
    assert_eq!(lines.len(), 50, "each once: the first was acknowledged after it was printed");
    assert_eq!(files.len(), 50);
    std::fs::remove_dir_all(root).unwrap();
}

/// A tiny deterministic generator (seeded from the clock, printed for a rerun).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Writes `count` results the ways a terminal or a share does: in slow chunks, under a temporary
/// name then renamed, or copied.
fn land_files(root: PathBuf, count: usize, seed: u64) -> thread::JoinHandle<Vec<(String, Vec<u8>)>> {
    thread::spawn(move || {
        let mut random = Lcg(seed ^ 0x9e37_79b9);
        let sources = ["face_pmh_two.xml", "pmh_overflow.xml", "medical_aid_a1.xml", "insured_card_sjis.xml"];
        let mut written = Vec::new();
        for i in 0..count {
            let bytes = fixture(sources[i % sources.len()]);
            let folder = if i % 2 == 0 { "face" } else { "res" };
            let name = format!("OQSsiquc01res_{}{i:04}.xml", if folder == "face" { "face_x_" } else { "" });
            let path = root.join(folder).join(&name);
            match i % 3 {
                0 => {
                    use std::io::Write;
                    let mut file = std::fs::File::create(&path).unwrap();
                    for chunk in bytes.chunks(bytes.len().div_ceil(3)) {
                        file.write_all(chunk).unwrap();
                        file.flush().unwrap();
                        thread::sleep(Duration::from_millis(random.below(40)));
                    }
                }
                1 => {
                    let temp = root.join(folder).join(format!(".{name}.tmp"));
                    std::fs::write(&temp, &bytes).unwrap();
                    std::fs::rename(temp, &path).unwrap();
                }
                _ => {
                    let source = kohi_fixtures::path(sources[i % sources.len()]);
                    std::fs::copy(source, &path).unwrap();
                }
            }
            written.push((path.to_string_lossy().into_owned(), bytes));
            thread::sleep(Duration::from_millis(random.below(30)));
        }
        written
    })
}

/// What a run of kill_9_while_files_land saw: the files written (path, bytes), the lines
/// printed, and how many kills there were.
struct Killed {
    written: Vec<(String, Vec<u8>)>,
    lines: Vec<Line>,
    kills: usize,
    seed: u64,
}

/// `kohi watch ROOT EXTRA…` killed (SIGKILL) at random points, at least 20 times, while 240
/// files land; then run until idle. Asserts the promise: every file printed, parsed, each with
/// one id, at most one repeat per kill.
fn kill_9_while_files_land(root: &Path, extra: &[&str]) -> Killed {
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("seed {seed}");
    let mut random = Lcg(seed);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let writer = land_files(root.to_owned(), 240, seed);
    let mut kills = 0;
    let started = Instant::now();
    while kills < 20 || !writer.is_finished() {
        let mut child = watch(root, extra);
        let reader = read_lines(&mut child, lines.clone());
        thread::sleep(Duration::from_millis(50 + random.below(400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        kills += 1;
        assert!(started.elapsed() < Duration::from_secs(300), "the writer never finished");
    }
    let written = writer.join().unwrap();
    let mut to_idle = extra.to_vec();
    to_idle.extend(["--idle-exit", "2"]);
    let mut child = watch(root, &to_idle);
    let reader = read_lines(&mut child, lines.clone());
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();

    let lines = std::mem::take(&mut *lines.lock().unwrap());
    let mut ids_by_file: HashMap<&str, HashSet<&str>> = HashMap::new();
    for line in &lines {
        assert!(line.parsed, "{} was delivered unparsed (read while incomplete?)", line.file);
        ids_by_file.entry(&line.file).or_default().insert(&line.id);
    }
    let missing: Vec<&String> =
        written.iter().map(|(f, _)| f).filter(|f| !ids_by_file.contains_key(f.as_str())).collect();
    assert!(missing.is_empty(), "lost after {kills} kills (seed {seed}): {missing:?}");
    assert_eq!(ids_by_file.len(), written.len());
    for (file, ids) in &ids_by_file {
        assert_eq!(ids.len(), 1, "{file}: a repeat must carry the same id");
    }
    // A repeat happens only for a line printed and not yet acknowledged when the kill came:
    // at most one per kill.
    let duplicates = lines.len() - written.len();
    assert!(duplicates <= kills, "{duplicates} repeats for {kills} kills (seed {seed})");
    eprintln!("{} files, {kills} kills, {duplicates} repeats", written.len());
    Killed { written, lines, kills, seed }
}

#[test]
fn kill_9_at_random_points_while_files_land_loses_nothing() {
    let root = terminal("kill9");
    let killed = kill_9_while_files_land(&root, &[]);
    assert!(killed.lines.len() >= killed.written.len());
    std::fs::remove_dir_all(root).unwrap();
}

/// The same with `--done`: kills also come inside acknowledgements' moves. Every file ends in
/// `done/` exactly once, with the bytes written, and none is left in `res/` or `face/`.
#[test]
fn kill_9_with_done_moves_every_file_once_and_loses_nothing() {
    let root = terminal("kill9-done");
    let done = root.join("done");
    let killed = kill_9_while_files_land(&root, &["--done", done.to_str().unwrap()]);
    let seed = killed.seed;
    for folder in ["res", "face"] {
        let left: Vec<_> = std::fs::read_dir(root.join(folder)).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "left in {folder}/ (seed {seed}): {left:?}");
    }
    let mut moved: HashMap<String, Vec<u8>> = HashMap::new();
    for folder in ["res", "face"] {
        for entry in std::fs::read_dir(done.join(folder)).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{folder}/{}", entry.file_name().to_string_lossy());
            moved.insert(name, std::fs::read(entry.path()).unwrap());
        }
    }
    assert_eq!(
        moved.len(),
        killed.written.len(),
        "a file twice in done/, or one missing (seed {seed}, {} kills)",
        killed.kills
    );
    for (path, bytes) in &killed.written {
        let path = Path::new(path);
        let folder = path.parent().unwrap().file_name().unwrap().to_string_lossy();
        let name = format!("{folder}/{}", path.file_name().unwrap().to_string_lossy());
        assert_eq!(moved.get(&name), Some(bytes), "{name} not in done/ as written (seed {seed})");
    }
    std::fs::remove_dir_all(root).unwrap();
}

/// Pairing across a kill -9: a result was printed and acknowledged, or printed and not yet
/// acknowledged when the kill came; a PMH document landing after the restart still names it
/// in `related` (by the free part of the name), either way.
#[test]
fn pairing_survives_a_kill_9() {
    let root = terminal("pair-kill9");
    let layout = root.join("layout.json");
    std::fs::write(&layout, r#"{"kohi_layout": 1, "roots": ["PmhMsg"], "file_prefixes": ["PMHsimsm"]}"#).unwrap();
    let layout = ["--layout", layout.to_str().unwrap()];
    // 0042: killed well after its acknowledgement; 0043: killed at once (before or after it).
    for (free, pause) in [("0042", 300), ("0043", 0)] {
        std::fs::write(root.join(format!("res/OQSsiquc01res_{free}.xml")), fixture("insured_card_utf8.xml")).unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let mut child = watch(&root, &layout);
        let reader = read_lines(&mut child, lines.clone());
        let deadline = Instant::now() + Duration::from_secs(30);
        while !lines.lock().unwrap().iter().any(|l: &Line| l.file.ends_with(&format!("_{free}.xml"))) {
            assert!(Instant::now() < deadline, "{free} was never printed");
            thread::sleep(Duration::from_millis(2));
        }
        thread::sleep(Duration::from_millis(pause));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
    }
    // PMH documents whose identifier matches nothing: only the name can pair them.
    let pmh = String::from_utf8(fixture("pmh_document.xml")).unwrap().replace("Qm9ndXNJZGVudGlmaWVy", "NO-MATCH");
    for free in ["0042", "0043"] {
        let (temp, name) = (root.join("res/landing.tmp"), root.join(format!("res/PMHsimsm01res_{free}.xml")));
        std::fs::write(&temp, &pmh).unwrap();
        std::fs::rename(temp, name).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kohi"))
        .args(["watch", root.to_str().unwrap(), "--settle", "50", "--idle-exit", "2"])
        .args(layout)
        .output()
        .unwrap();
    assert!(out.status.success());
    let events: Vec<serde_json::Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    for free in ["0042", "0043"] {
        let pmh = events
            .iter()
            .find(|e| e["kind"] == "pmh" && e["file"].as_str().unwrap().ends_with(&format!("_{free}.xml")))
            .expect("the PMH document is delivered");
        let result = root.join(format!("res/OQSsiquc01res_{free}.xml"));
        assert_eq!(pmh["related"], result.to_str().unwrap(), "{free}");
    }
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_zipped_bulk_result_prints_its_entries() {
    use std::io::Write;
    let root = terminal("zip");
    let bulk = fixture("bulk_three_units.xml");
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file("OQSmuquc02res_7.xml", zip::write::SimpleFileOptions::default()).unwrap();
    writer.write_all(&bulk).unwrap();
    std::fs::write(root.join("res/OQSmuquc02res_7.zip"), writer.finish().unwrap().into_inner()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kohi"))
        .args(["watch", root.to_str().unwrap(), "--settle", "50", "--max-events", "1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let event: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(event["kind"], "bulk_archive");
    assert_eq!(event["entries"][0]["name"], "OQSmuquc02res_7.xml");
    let mut entry = event["entries"][0].clone();
    entry.as_object_mut().unwrap().remove("name");
    let golden: serde_json::Value = serde_json::from_str(&kohi::to_json(&kohi::parse(&bulk).unwrap())).unwrap();
    assert_eq!(entry, golden);
    std::fs::remove_dir_all(root).unwrap();
}

/// `kohi watch --ack stdin`, its output and input piped: the consumer's end of a coprocess.
struct Consumer {
    child: Child,
    lines: BufReader<std::process::ChildStdout>,
    stdin: Option<std::process::ChildStdin>,
}

impl Consumer {
    fn start(root: &Path, extra: &[&str]) -> Consumer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kohi"))
            .args(["watch", root.to_str().unwrap(), "--settle", "50", "--poll-interval", "50", "--ack", "stdin"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap());
        Consumer { stdin: child.stdin.take(), child, lines }
    }

    /// The next line's id (the event's JSON is checked to be whole).
    fn next_id(&mut self) -> String {
        let mut line = String::new();
        assert!(self.lines.read_line(&mut line).unwrap() > 0, "kohi watch ended before printing a line");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        value["id"].as_str().unwrap().to_owned()
    }

    fn send(&mut self, bytes: impl AsRef<[u8]>) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes.as_ref()).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes kohi's standard input (the consumer is gone) and waits for it to stop.
    fn close(mut self) -> (bool, String) {
        drop(self.stdin.take());
        self.wait()
    }

    /// Waits for kohi to stop by itself (its standard input still open): (success, stderr).
    /// Nothing more may have been printed.
    fn wait(mut self) -> (bool, String) {
        use std::io::Read;
        let status = self.child.wait().unwrap();
        let mut rest = String::new();
        self.lines.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "", "nothing more printed");
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        (status.success(), stderr)
    }
}

/// With `--ack stdin` a line is done only when the consumer sends its id back: one it read and
/// did not acknowledge (it died before storing it: its end of the pipe closed) comes again at
/// the next start with the same id; one it acknowledged never does. Without it, the line is
/// acknowledged once it is in the pipe, and a reader that dies with it unread loses it.
#[test]
fn with_ack_on_stdin_a_line_read_and_not_acknowledged_comes_again() {
    let root = terminal("ack-stdin");
    for name in ["OQSsiquc01res_face_a.xml", "OQSsiquc01res_face_b.xml"] {
        std::fs::write(root.join("face").join(name), fixture("face_pmh_two.xml")).unwrap();
    }
    let mut first = Consumer::start(&root, &[]);
    let (a, b) = (first.next_id(), first.next_id());
    assert_ne!(a, b);
    // Not ids (said by their line numbers, never echoed: a consumer may send anything, patient
    // data included): a name, a blank line, a line of 100 KB, bytes that are not UTF-8. Then
    // the first id.
    first.send("山田太郎 0000000\n\n");
    first.send(format!("{}\n", "0".repeat(100_000)));
    first.send(b"\xff\xfe\n");
    first.send(format!("{a}\n"));
    let (ok, stderr) = first.close();
    assert!(ok, "a consumer closing its end is a normal stop: {stderr}");
    for number in [1, 3, 4] {
        assert!(
            stderr.contains(&format!("line {number} of standard input is not the id of an event waiting")),
            "{stderr}"
        );
    }
    assert_eq!(stderr.lines().count(), 3, "{stderr}");
    assert!(!stderr.contains("山田") && !stderr.contains("0000000"), "{stderr}");

    // Killed (-9) after printing it again, before the consumer acknowledged it.
    let mut killed = Consumer::start(&root, &[]);
    assert_eq!(killed.next_id(), b);
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();

    // The second was read and never acknowledged: it comes again, with its id, and alone; with
    // --max-events 1 the run stops once that line is acknowledged.
    let mut second = Consumer::start(&root, &["--max-events", "1"]);
    assert_eq!(second.next_id(), b);
    second.send(format!("{b}\n"));
    let (ok, stderr) = second.wait();
    assert!(ok, "{stderr}");

    // Both done: an idle run prints nothing and stops by itself.
    let (ok, stderr) = Consumer::start(&root, &["--idle-exit", "1"]).wait();
    assert!(ok, "{stderr}");
    std::fs::remove_dir_all(root).unwrap();
}

/// Standard output that goes nowhere (`> /dev/null`, or closed: Rust opens /dev/null in its
/// place) would have every file acknowledged unread: `kohi watch` refuses to start (status 2),
/// unless the consumer acknowledges (`--ack stdin`). Before, each file was printed into
/// /dev/null, acknowledged, and never delivered again.
#[cfg(unix)]
#[test]
fn output_that_goes_nowhere_is_refused_before_anything_is_acknowledged() {
    let root = terminal("nowhere");
    std::fs::write(root.join("face/OQSsiquc01res_face_a.xml"), fixture("face_pmh_two.xml")).unwrap();
    let shell =
        format!("exec {} watch {} --settle 50 --idle-exit 1 >&-", env!("CARGO_BIN_EXE_kohi"), root.to_str().unwrap());
    let closed = Command::new("sh").args(["-c", &shell]).output().unwrap();
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null").unwrap();
    let to_null = Command::new(env!("CARGO_BIN_EXE_kohi"))
        .args(["watch", root.to_str().unwrap(), "--settle", "50", "--idle-exit", "1"])
        .stdout(null)
        .output()
        .unwrap();
    for out in [closed, to_null] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("standard output goes nowhere"), "{stderr}");
    }
    // Nothing was acknowledged: the file is delivered to a consumer that reads.
    let lines = Arc::new(Mutex::new(Vec::new()));
    run_to_idle(&root, &lines);
    assert_eq!(lines.lock().unwrap().len(), 1);
    std::fs::remove_dir_all(root).unwrap();
}

/// A `--done` folder that cannot be made (its path runs through a file): each acknowledgement
/// committed, then the move failed, and `kohi watch` stopped with status 1 after one line, so
/// it printed one file per run. It now says so on stderr and goes on; nothing is printed twice.
#[test]
fn a_done_folder_that_cannot_be_made_stops_nothing() {
    let root = terminal("done-unmakeable");
    for i in 0..3 {
        std::fs::write(root.join("face").join(format!("OQSsiquc01res_face_x_{i}.xml")), fixture("face_pmh_two.xml"))
            .unwrap();
    }
    let file = root.join("a-file");
    std::fs::write(&file, b"").unwrap();
    let done = file.join("done");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_kohi"))
            .args([
                "watch",
                root.to_str().unwrap(),
                "--settle",
                "50",
                "--idle-exit",
                "1",
                "--done",
                done.to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    let first = run();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert_eq!(first.stdout.iter().filter(|&&b| b == b'\n').count(), 3, "{stderr}");
    assert_eq!(stderr.matches("not moved to the --done folder").count(), 3, "{stderr}");
    let again = run();
    assert!(again.status.success() && again.stdout.is_empty(), "acknowledged: not printed again");
    assert_eq!(std::fs::read_dir(root.join("face")).unwrap().count(), 3, "left where they were");
    std::fs::remove_dir_all(root).unwrap();
}
