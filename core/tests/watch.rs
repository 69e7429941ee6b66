//! The watcher against a simulated terminal: slow writers, renames, `.err` files, bursts,
//! restarts, a vanishing folder. Every file must be reported exactly once and never partially.
#![cfg(feature = "watch")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use kohi::watch::{FileKind, Outcome, WatchEvent, WatchOptions, Watcher};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(name)).unwrap()
}

fn golden_json(name: &str) -> String {
    kohi::to_json(&kohi::parse(&fixture(name)).unwrap())
}

/// A terminal folder with `req/`, `res/` and `face/`.
struct Terminal {
    root: PathBuf,
}

impl Terminal {
    fn new(test: &str) -> Terminal {
        let root = std::env::temp_dir().join(format!("kohi-watch-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for folder in ["req", "res", "face"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        Terminal { root }
    }

    fn path(&self, folder: &str, name: &str) -> PathBuf {
        self.root.join(folder).join(name)
    }

    /// Writes in `chunks` pieces with `pause` between them, as a slow network share does.
    fn write_slowly(&self, folder: &str, name: &str, bytes: &[u8], chunks: usize, pause: Duration) {
        use std::io::Write;
        let mut file = std::fs::File::create(self.path(folder, name)).unwrap();
        for chunk in bytes.chunks(bytes.len().div_ceil(chunks)) {
            file.write_all(chunk).unwrap();
            file.flush().unwrap();
            thread::sleep(pause);
        }
    }

    /// Writes under a temporary name and renames into place.
    fn write_and_rename(&self, folder: &str, name: &str, bytes: &[u8]) {
        let temp = self.path(folder, &format!(".{name}.tmp"));
        std::fs::write(&temp, bytes).unwrap();
        std::fs::rename(temp, self.path(folder, name)).unwrap();
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn options() -> WatchOptions {
    WatchOptions {
        settle: Duration::from_millis(80),
        poll_interval: Duration::from_millis(100),
        give_up_after: Duration::from_millis(600),
        ..WatchOptions::default()
    }
}

/// Collects events until `count` arrived and then `quiet` passed with no more (or `limit` ran out).
fn collect(watcher: &mut Watcher, count: usize, quiet: Duration, limit: Duration) -> Vec<WatchEvent> {
    let deadline = Instant::now() + limit;
    let mut events = Vec::new();
    while Instant::now() < deadline {
        let wait = if events.len() >= count { quiet } else { Duration::from_millis(200) };
        match watcher.next_event(wait) {
            Some(event) => events.push(event),
            None if events.len() >= count => break,
            None => {}
        }
    }
    events
}

fn json_of(event: &WatchEvent) -> String {
    match &event.outcome {
        Outcome::Parsed(doc) => kohi::to_json(doc),
        other => panic!("{}: {other:?}", event.path.display()),
    }
}

#[test]
fn a_slowly_written_file_is_reported_once_and_whole() {
    let terminal = Terminal::new("slow");
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let bytes = fixture("face_pmh_two.xml");
    let writer = {
        let root = terminal.root.clone();
        let bytes = bytes.clone();
        thread::spawn(move || {
            let t = Terminal { root };
            // Short pauses, then one longer than `settle` mid-file: the half-written file looks
            // stable for a moment but does not parse, so it must not be reported yet.
            t.write_slowly(
                "face",
                "OQSsiquc01res_face_1312345678_20250604101544.xml",
                &bytes[..bytes.len() / 2],
                4,
                Duration::from_millis(20),
            );
            thread::sleep(Duration::from_millis(250));
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(t.path("face", "OQSsiquc01res_face_1312345678_20250604101544.xml"))
                .unwrap();
            f.write_all(&bytes[bytes.len() / 2..]).unwrap();
            std::mem::forget(t); // the test owns the folder
        })
    };
    let events = collect(&mut watcher, 1, Duration::from_millis(500), Duration::from_secs(10));
    writer.join().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind, FileKind::Face);
    assert_eq!(json_of(&events[0]), golden_json("face_pmh_two.xml"));
    assert_eq!(events[0].request, None, "face results answer no request");
}

/// The race found in CI: the file is checked while half-written, then completed before it is
/// read. What is read must match what was judged stable, or it would be reported twice.
#[test]
fn a_file_completed_between_the_check_and_the_read_is_reported_once() {
    for round in 0..5 {
        let terminal = Terminal::new(&format!("race{round}"));
        let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
        let bytes = fixture("face_pmh_two.xml");
        let file = terminal.path("face", "OQSsiquc01res_face_x_1.xml");
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
        // Let the half file be checked as stable (and fail to parse) at least once.
        assert!(watcher.next_event(Duration::from_millis(150 + 20 * round)).is_none());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .map(|mut f| {
                use std::io::Write;
                f.write_all(&bytes[bytes.len() / 2..]).unwrap()
            })
            .unwrap();
        let events = collect(&mut watcher, 1, Duration::from_millis(500), Duration::from_secs(10));
        assert_eq!(events.len(), 1, "round {round}");
        assert_eq!(json_of(&events[0]), golden_json("face_pmh_two.xml"));
    }
}

#[test]
fn renamed_files_rejections_and_pairing() {
    let terminal = Terminal::new("pairs");
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    terminal.write_and_rename("res", "OQSsiquc01res_0007.xml", &fixture("insured_card_sjis.xml"));
    // A refused request comes back beside a .err file; the request itself is not a result.
    std::fs::write(terminal.path("res", "OQSsiquc01req_0008.xml"), b"<XmlMsg/>").unwrap();
    std::fs::write(terminal.path("res", "OQSsiquc01req_0008.err"), "要求ファイルの形式に誤りがあります。").unwrap();
    // A face result paired by ArbitraryFileIdentifier.
    watcher.expect("Qm9ndXNJZGVudGlmaWVy", terminal.path("req", "custom-request.xml"));
    terminal.write_and_rename("face", "OQSsiquc01res_face_x_1.xml", &fixture("face_pmh_two.xml"));

    let events = collect(&mut watcher, 3, Duration::from_millis(500), Duration::from_secs(10));
    assert_eq!(events.len(), 3, "{events:?}");
    let by_kind: HashMap<&str, &WatchEvent> = events.iter().map(|e| (e.kind.as_str(), e)).collect();
    let result = by_kind["result"];
    assert_eq!(json_of(result), golden_json("insured_card_sjis.xml"));
    assert_eq!(result.request.as_deref(), Some(terminal.path("req", "OQSsiquc01req_0007.xml").as_path()));
    let rejected = by_kind["rejected"];
    assert_eq!(rejected.request.as_deref(), Some(terminal.path("res", "OQSsiquc01req_0008.xml").as_path()));
    match &rejected.outcome {
        Outcome::Rejected { message } => {
            assert_eq!(message.as_ref().map(|m| m.expose().as_str()), Some("要求ファイルの形式に誤りがあります。"));
            assert!(!format!("{rejected:?}").contains("要求ファイル"), "Debug of an event hides the .err text");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(by_kind["face"].request.as_deref(), Some(terminal.path("req", "custom-request.xml").as_path()));
}

#[test]
fn a_burst_of_1000_files_is_reported_exactly_once_each_and_not_again_after_a_restart() {
    let terminal = Terminal::new("burst");
    let sources = ["face_pmh_two.xml", "pmh_overflow.xml", "medical_aid_a1.xml", "sjis_cp932_chars.xml"];
    let expected: Vec<String> = sources.iter().map(|s| golden_json(s)).collect();
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    for i in 0..1000 {
        std::fs::write(terminal.path("face", &format!("OQSsiquc01res_face_x_{i:04}.xml")), fixture(sources[i % 4]))
            .unwrap();
    }
    let events = collect(&mut watcher, 1000, Duration::from_millis(600), Duration::from_secs(60));
    assert_eq!(events.len(), 1000);
    let mut seen = HashMap::new();
    for event in &events {
        *seen.entry(event.path.clone()).or_insert(0) += 1;
        let i: usize = event.path.file_stem().unwrap().to_string_lossy()[22..].parse().unwrap();
        assert_eq!(json_of(event), expected[i % 4]);
    }
    assert_eq!(seen.len(), 1000);
    assert!(seen.values().all(|&n| n == 1));
    drop(watcher);

    // A restart reports nothing again, then a new file once.
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    assert!(collect(&mut watcher, 0, Duration::from_millis(500), Duration::from_secs(2)).is_empty());
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_x_new.xml"), fixture("face_no_pmh.xml")).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(400), Duration::from_secs(10));
    assert_eq!(events.len(), 1);
    assert!(events[0].path.ends_with("OQSsiquc01res_face_x_new.xml"));
}

#[test]
fn survives_the_folder_vanishing_and_coming_back() {
    let terminal = Terminal::new("vanish");
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_x_1.xml"), fixture("face_pmh_two.xml")).unwrap();
    assert_eq!(collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10)).len(), 1);
    let state = std::fs::read(terminal.root.join(".kohi-watch-state")).unwrap();

    // The share goes away (a network drive drops), then comes back with its files.
    let moved = terminal.root.with_extension("away");
    std::fs::rename(&terminal.root, &moved).unwrap();
    assert!(watcher.next_event(Duration::from_millis(300)).is_none());
    std::fs::rename(&moved, &terminal.root).unwrap();
    std::fs::write(terminal.root.join(".kohi-watch-state"), state).unwrap();
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_x_2.xml"), fixture("pmh_overflow.xml")).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(500), Duration::from_secs(10));
    assert_eq!(events.len(), 1, "only the new file: {events:?}");
    assert!(events[0].path.ends_with("OQSsiquc01res_face_x_2.xml"));
}

#[test]
fn a_file_that_never_parses_is_reported_with_its_error() {
    let terminal = Terminal::new("broken");
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    std::fs::write(terminal.path("res", "OQSsiquc01res_0009.xml"), &fixture("face_pmh_two.xml")[..300]).unwrap();
    let started = Instant::now();
    let events = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(events.len(), 1);
    assert!(started.elapsed() >= Duration::from_millis(600), "not before give_up_after");
    match &events[0].outcome {
        Outcome::Failed(e) => assert_eq!(e.code(), "malformed_xml"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn done_dir_moves_reported_files_and_never_deletes() {
    let terminal = Terminal::new("done");
    let done = terminal.root.join("done");
    let mut watcher = Watcher::new(&terminal.root, WatchOptions { done_dir: Some(done.clone()), ..options() }).unwrap();
    std::fs::write(terminal.path("res", "OQSsiquc01res_0010.xml"), fixture("insured_card_utf8.xml")).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(events.len(), 1);
    assert!(!terminal.path("res", "OQSsiquc01res_0010.xml").exists());
    assert_eq!(std::fs::read(done.join("res/OQSsiquc01res_0010.xml")).unwrap(), fixture("insured_card_utf8.xml"));
}
