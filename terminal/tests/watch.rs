//! The inbox against a simulated terminal: slow writers, renames, `.err` files, bursts,
//! restarts, a vanishing folder, special files, odd names, a broken ledger. Every file must be
//! delivered whole, at least once, and once acknowledged never again.

use std::collections::HashMap;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use kohi_terminal::{FileKind, Outcome, WatchEvent, WatchOptions, Watcher};

use kohi_fixtures::read as fixture;

fn golden_json(name: &str) -> String {
    kohi::to_json(&kohi::parse(&fixture(name)).unwrap())
}

/// A terminal folder with `req/`, `res/` and `face/`.
struct Terminal {
    root: PathBuf,
}

impl Terminal {
    fn new(test: &str) -> Terminal {
        let root = std::env::temp_dir().join(format!("kohi-inbox-{test}-{}", std::process::id()));
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
    let mut options = WatchOptions::default();
    options.settle = Duration::from_millis(80);
    options.poll_interval = Duration::from_millis(100);
    options.give_up_after = Duration::from_millis(600);
    options
}

/// Collects events until `count` arrived and then `quiet` passed with no more (or `limit` ran
/// out), acknowledging each one as a consumer that stored it would.
fn collect(watcher: &mut Watcher, count: usize, quiet: Duration, limit: Duration) -> Vec<WatchEvent> {
    collect_with(watcher, count, quiet, limit, true)
}

fn collect_with(watcher: &mut Watcher, count: usize, quiet: Duration, limit: Duration, ack: bool) -> Vec<WatchEvent> {
    let deadline = Instant::now() + limit;
    let mut events = Vec::new();
    while Instant::now() < deadline {
        let wait = if events.len() >= count { quiet } else { Duration::from_millis(200) };
        match watcher.next_event(wait).unwrap() {
            Some(event) => {
                if ack {
                    assert!(watcher.ack(&event.id).unwrap(), "a delivered event is pending until acknowledged");
                }
                events.push(event)
            }
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
fn a_slowly_written_file_is_delivered_once_and_whole() {
    let terminal = Terminal::new("slow");
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let bytes = fixture("face_pmh_two.xml");
    let writer = {
        let root = terminal.root.clone();
        let bytes = bytes.clone();
        thread::spawn(move || {
            let t = Terminal { root };
            // Short pauses, then one longer than `settle` mid-file: the half-written file looks
            // stable for a moment but does not parse, so it must not be delivered yet.
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
/// read. What is read must match what was judged stable, or it would be delivered twice.
#[test]
fn a_file_completed_between_the_check_and_the_read_is_delivered_once() {
    for round in 0..5 {
        let terminal = Terminal::new(&format!("race{round}"));
        let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
        let bytes = fixture("face_pmh_two.xml");
        let file = terminal.path("face", "OQSsiquc01res_face_x_1.xml");
        std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
        // Let the half file be checked as stable (and fail to parse) at least once.
        assert!(watcher.next_event(Duration::from_millis(150 + 20 * round)).unwrap().is_none());
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
    // A refused request comes back beside a .err file: the request is handed over as `other`.
    std::fs::write(terminal.path("res", "OQSsiquc01req_0008.xml"), b"<XmlMsg/>").unwrap();
    std::fs::write(terminal.path("res", "OQSsiquc01req_0008.err"), "要求ファイルの形式に誤りがあります。").unwrap();
    // A face result paired by ArbitraryFileIdentifier.
    watcher.expect("Qm9ndXNJZGVudGlmaWVy", terminal.path("req", "custom-request.xml")).unwrap();
    terminal.write_and_rename("face", "OQSsiquc01res_face_x_1.xml", &fixture("face_pmh_two.xml"));

    let events = collect(&mut watcher, 4, Duration::from_millis(500), Duration::from_secs(10));
    assert_eq!(events.len(), 4, "{events:?}");
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
    assert!(by_kind["other"].path.ends_with("OQSsiquc01req_0008.xml"));
    assert_eq!(by_kind["face"].request.as_deref(), Some(terminal.path("req", "custom-request.xml").as_path()));
}

#[test]
fn a_burst_of_1000_files_is_delivered_once_each_and_not_again_after_a_restart() {
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

    // A restart delivers nothing again, then a new file once.
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    assert!(collect(&mut watcher, 0, Duration::from_millis(500), Duration::from_secs(2)).is_empty());
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_x_new.xml"), fixture("face_no_pmh.xml")).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(400), Duration::from_secs(10));
    assert_eq!(events.len(), 1);
    assert!(events[0].path.ends_with("OQSsiquc01res_face_x_new.xml"));
}

/// The early-stop case of the issue: a consumer takes one event and goes away. Nothing it did not
/// acknowledge is lost; what it did acknowledge is not repeated; repeats keep their ids.
#[test]
fn unacknowledged_events_are_delivered_again_with_the_same_ids() {
    let terminal = Terminal::new("early-stop");
    for i in 0..10 {
        std::fs::write(terminal.path("face", &format!("OQSsiquc01res_face_x_{i}.xml")), fixture("face_pmh_two.xml"))
            .unwrap();
    }
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let first = watcher.next_event(Duration::from_secs(10)).unwrap().expect("one event");
    assert_eq!(watcher.pending(), 10, "all ten are ready; none acknowledged");
    drop(watcher); // stopped without acknowledging

    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let all = collect_with(&mut watcher, 10, Duration::from_millis(300), Duration::from_secs(10), false);
    assert_eq!(all.len(), 10, "the unacknowledged one too");
    let again = all.iter().find(|e| e.path == first.path).unwrap();
    assert_eq!(again.id, first.id, "a repeat carries the same id");
    let ids: std::collections::HashSet<&str> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 10, "same content, different names: different ids");
    // Acknowledge three, then stop.
    for event in &all[..3] {
        assert!(watcher.ack(&event.id).unwrap());
        assert!(!watcher.ack(&event.id).unwrap(), "a second ack is a no-op");
    }
    drop(watcher);

    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let rest = collect(&mut watcher, 7, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(rest.len(), 7);
    let acked: Vec<&PathBuf> = all[..3].iter().map(|e| &e.path).collect();
    assert!(rest.iter().all(|e| !acked.contains(&&e.path)));
}

#[test]
fn survives_the_folder_vanishing_and_coming_back() {
    let terminal = Terminal::new("vanish");
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_x_1.xml"), fixture("face_pmh_two.xml")).unwrap();
    assert_eq!(collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10)).len(), 1);

    // The share goes away (a network drive drops), then comes back with its files.
    let moved = terminal.root.with_extension("away");
    std::fs::rename(&terminal.root, &moved).unwrap();
    assert!(watcher.next_event(Duration::from_millis(300)).unwrap().is_none());
    std::fs::rename(&moved, &terminal.root).unwrap();
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_x_2.xml"), fixture("pmh_overflow.xml")).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(500), Duration::from_secs(10));
    assert_eq!(events.len(), 1, "only the new file: {events:?}");
    assert!(events[0].path.ends_with("OQSsiquc01res_face_x_2.xml"));
}

#[test]
fn a_file_that_never_parses_is_delivered_with_its_error() {
    let terminal = Terminal::new("broken");
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    std::fs::write(terminal.path("res", "OQSsiquc01res_0009.xml"), &fixture("face_pmh_two.xml")[..300]).unwrap();
    let started = Instant::now();
    let events = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(events.len(), 1);
    assert!(started.elapsed() >= Duration::from_millis(550), "not before give_up_after");
    match &events[0].outcome {
        Outcome::Failed(e) => assert_eq!(e.code(), "malformed_xml"),
        other => panic!("{other:?}"),
    }
}

/// Patience is measured from the file's last change, so a run shorter than `give_up_after`
/// still delivers a file that stopped changing long ago.
#[test]
fn give_up_is_measured_from_the_last_change_and_survives_restarts() {
    let terminal = Terminal::new("patience");
    let path = terminal.path("res", "OQSsiquc01res_0011.xml");
    std::fs::write(&path, &fixture("face_pmh_two.xml")[..300]).unwrap();
    let mut options = options();
    options.give_up_after = Duration::from_secs(3600);
    // Each run shorter than the patience: nothing yet.
    for _ in 0..2 {
        let mut watcher = Watcher::new(&terminal.root, options.clone()).unwrap();
        assert!(watcher.next_event(Duration::from_millis(400)).unwrap().is_none());
    }
    // The file last changed two hours ago: delivered at once, with its error.
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() - Duration::from_secs(7200)).unwrap();
    drop(file);
    let mut watcher = Watcher::new(&terminal.root, options).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(200), Duration::from_secs(5));
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0].outcome, Outcome::Failed(e) if e.code() == "malformed_xml"));
}

/// A file whose mtime is ahead of this computer's clock (a share or a terminal PC whose clock or
/// time zone is off: 9 hours ahead is UTC read as JST) and that does not parse is still delivered
/// once kohi itself has watched it unchanged for `give_up_after` (it waited for the mtime plus
/// the patience: hours, or never for a clock years ahead).
#[test]
fn a_file_dated_in_the_future_is_given_up_on_by_kohis_own_clock() {
    let terminal = Terminal::new("future");
    let path = terminal.path("res", "OQSsiquc01res_0012.xml");
    std::fs::write(&path, &fixture("face_pmh_two.xml")[..300]).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(9 * 3600)).unwrap();
    drop(file);
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let started = Instant::now();
    let events = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(events.len(), 1, "never delivered");
    assert!(started.elapsed() >= Duration::from_millis(550), "not before give_up_after");
    assert!(matches!(&events[0].outcome, Outcome::Failed(e) if e.code() == "malformed_xml"));
}

#[test]
fn done_dir_moves_acknowledged_files_never_overwriting() {
    let terminal = Terminal::new("done");
    let done = terminal.root.join("done");
    std::fs::create_dir_all(done.join("res")).unwrap();
    // An earlier original of the same name is already there: it must survive.
    std::fs::write(done.join("res/OQSsiquc01res_0010.xml"), b"earlier").unwrap();
    let mut options = options();
    options.done_dir = Some(done.clone());
    let mut watcher = Watcher::new(&terminal.root, options).unwrap();
    std::fs::write(terminal.path("res", "OQSsiquc01res_0010.xml"), fixture("insured_card_utf8.xml")).unwrap();
    let event = collect_with(&mut watcher, 1, Duration::ZERO, Duration::from_secs(10), false).remove(0);
    assert!(terminal.path("res", "OQSsiquc01res_0010.xml").exists(), "not moved before the acknowledgement");
    assert!(watcher.ack(&event.id).unwrap());
    assert!(!terminal.path("res", "OQSsiquc01res_0010.xml").exists());
    assert_eq!(std::fs::read(done.join("res/OQSsiquc01res_0010.xml")).unwrap(), b"earlier");
    assert_eq!(std::fs::read(done.join("res/OQSsiquc01res_0010.2.xml")).unwrap(), fixture("insured_card_utf8.xml"));
}

/// The crash point between an acknowledgement's commit and the move to `done_dir` (kill -9
/// there, or a move that failed): the file stays in the folder, acknowledged. The next watcher
/// does not deliver it again and finishes the move.
#[test]
fn an_acknowledged_file_left_in_the_folder_is_moved_at_the_next_start() {
    let terminal = Terminal::new("done-later");
    let file = terminal.path("res", "OQSsiquc01res_0020.xml");
    std::fs::write(&file, fixture("insured_card_utf8.xml")).unwrap();
    // Acknowledged by a watcher without done_dir: the same state as a kill after the commit.
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    assert_eq!(collect(&mut watcher, 1, Duration::from_millis(200), Duration::from_secs(10)).len(), 1);
    drop(watcher);
    assert!(file.exists());
    let done = terminal.root.join("done");
    let mut options = options();
    options.done_dir = Some(done.clone());
    let mut watcher = Watcher::new(&terminal.root, options).unwrap();
    assert!(collect(&mut watcher, 0, Duration::from_millis(500), Duration::from_secs(2)).is_empty(), "not again");
    assert!(!file.exists());
    assert_eq!(std::fs::read(done.join("res/OQSsiquc01res_0020.xml")).unwrap(), fixture("insured_card_utf8.xml"));
}

/// `/dev/shm` is another file system than the temp dir on most Linux machines: the move copies,
/// flushes, then removes.
#[cfg(target_os = "linux")]
#[test]
fn done_dir_on_another_file_system() {
    use std::os::unix::fs::MetadataExt;
    let terminal = Terminal::new("done-xdev");
    let done = PathBuf::from(format!("/dev/shm/kohi-done-{}", std::process::id()));
    let Ok(()) = std::fs::create_dir_all(&done) else { return };
    let other_fs = std::fs::metadata(&done).unwrap().dev() != std::fs::metadata(&terminal.root).unwrap().dev();
    let mut options = options();
    options.done_dir = Some(done.clone());
    let mut watcher = Watcher::new(&terminal.root, options).unwrap();
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_x_1.xml"), fixture("face_pmh_two.xml")).unwrap();
    assert_eq!(collect(&mut watcher, 1, Duration::from_millis(200), Duration::from_secs(10)).len(), 1);
    assert!(!terminal.path("face", "OQSsiquc01res_face_x_1.xml").exists());
    assert_eq!(std::fs::read(done.join("face/OQSsiquc01res_face_x_1.xml")).unwrap(), fixture("face_pmh_two.xml"));
    assert_eq!(std::fs::read_dir(done.join("face")).unwrap().count(), 1, "no temporary copy left");
    std::fs::remove_dir_all(&done).unwrap();
    eprintln!("done_dir on another file system: {other_fs}");
}

/// A kill -9 in the middle of a cross-filesystem move can leave a temporary copy in `done_dir`
/// (its file placed, or still at its source): the next start removes those an hour old, and
/// leaves a fresh one (another watcher sharing `done_dir` may be writing it) and every other file.
#[test]
fn a_temporary_copy_left_by_a_kill_is_removed_at_the_next_start() {
    let terminal = Terminal::new("done-sweep");
    let done = terminal.root.join("done");
    std::fs::create_dir_all(done.join("res")).unwrap();
    std::fs::create_dir_all(done.join("face")).unwrap();
    let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
    let old = |path: PathBuf| {
        std::fs::write(&path, fixture("face_pmh_two.xml")).unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(two_hours_ago).unwrap();
        path
    };
    let stale = [old(done.join("res/OQSsiquc01res_1.xml.kohi-copy.tmp")), old(done.join("face/x.2.xml.kohi-copy.tmp"))];
    let placed = old(done.join("res/OQSsiquc01res_1.xml"));
    let fresh = done.join("face/y.xml.kohi-copy.tmp");
    std::fs::write(&fresh, b"being copied").unwrap();
    let mut options = options();
    options.done_dir = Some(done.clone());
    let _watcher = Watcher::new(&terminal.root, options).unwrap();
    for path in &stale {
        assert!(!path.exists(), "{} left", path.display());
    }
    assert!(placed.exists() && fresh.exists());
}

#[cfg(unix)]
#[test]
fn special_and_huge_files_are_skipped_once_never_opened() {
    let terminal = Terminal::new("special");
    let fifo = terminal.path("face", "OQSsiquc01res_face_fifo_1.xml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::os::unix::fs::symlink("/dev/zero", terminal.path("face", "OQSsiquc01res_face_zero_2.xml")).unwrap();
    std::fs::create_dir(terminal.path("res", "OQSsiquc01res_dir_3.xml")).unwrap();
    // 1 GiB (sparse): over the 64 MiB limit, never read.
    let huge = std::fs::File::create(terminal.path("res", "OQSsiquc01res_huge_4.xml")).unwrap();
    huge.set_len(1 << 30).unwrap();
    drop(huge);
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_good_5.xml"), fixture("face_pmh_two.xml")).unwrap();

    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let started = Instant::now();
    let events = collect(&mut watcher, 5, Duration::from_millis(300), Duration::from_secs(20));
    assert!(started.elapsed() < Duration::from_secs(15), "nothing blocks: {:?}", started.elapsed());
    assert_eq!(events.len(), 5, "{events:?}");
    let codes: HashMap<String, (FileKind, String)> = events
        .iter()
        .map(|e| {
            let name = e.path.file_name().unwrap().to_string_lossy().into_owned();
            let code = match &e.outcome {
                Outcome::Failed(error) => error.code().to_owned(),
                Outcome::Parsed(_) => "parsed".to_owned(),
                other => format!("{other:?}"),
            };
            (name, (e.kind, code))
        })
        .collect();
    assert_eq!(codes["OQSsiquc01res_face_fifo_1.xml"], (FileKind::Skipped, "io".to_owned()));
    assert_eq!(codes["OQSsiquc01res_face_zero_2.xml"], (FileKind::Skipped, "io".to_owned()));
    assert_eq!(codes["OQSsiquc01res_dir_3.xml"], (FileKind::Skipped, "io".to_owned()));
    assert_eq!(codes["OQSsiquc01res_huge_4.xml"], (FileKind::Skipped, "input_too_large".to_owned()));
    assert_eq!(codes["OQSsiquc01res_face_good_5.xml"], (FileKind::Face, "parsed".to_owned()));
    drop(watcher);
    // Acknowledged skips are not repeated after a restart.
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let again = collect(&mut watcher, 0, Duration::from_millis(400), Duration::from_secs(2));
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn a_second_watcher_on_the_folder_is_refused() {
    let terminal = Terminal::new("two");
    let first = Watcher::new(&terminal.root, options()).unwrap();
    let second = Watcher::new(&terminal.root, options()).err().expect("refused");
    assert_eq!((second.code(), second.number()), ("already_watched", 15));
    drop(first);
    assert!(Watcher::new(&terminal.root, options()).is_ok(), "free again once the first is gone");
}

#[test]
fn a_resend_with_new_content_is_delivered_and_a_touch_is_not() {
    let terminal = Terminal::new("resend");
    let path = terminal.path("res", "OQSsiquc01res_0012.xml");
    let original = fixture("insured_card_utf8.xml");
    std::fs::write(&path, &original).unwrap();
    let when = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    assert_eq!(collect(&mut watcher, 1, Duration::from_millis(200), Duration::from_secs(10)).len(), 1);

    // touch: new mtime, same content → nothing.
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(std::time::SystemTime::now()).unwrap();
    assert!(collect(&mut watcher, 0, Duration::from_millis(500), Duration::from_secs(2)).is_empty());

    // `cp -p` of another result of the same size over it, mtime preserved → delivered again.
    let mut resent = original.clone();
    let at = resent.windows(4).position(|w| w == b"<Ins").unwrap();
    resent[at + 1] = b'I'; // same length, other content (still parses)
    assert_eq!(resent.len(), original.len());
    let resent = String::from_utf8(original.clone()).unwrap().replacen("2025", "2024", 1).into_bytes();
    assert_eq!(resent.len(), original.len());
    std::fs::write(&path, &resent).unwrap();
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(events.len(), 1, "the re-send");
    drop(watcher);
    // And across a restart the same holds (the ledger keys by content).
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    assert!(collect(&mut watcher, 0, Duration::from_millis(400), Duration::from_secs(2)).is_empty());
}

#[cfg(unix)]
#[test]
fn odd_names_are_delivered_once_and_never_collide() {
    use std::os::unix::ffi::OsStrExt;
    let terminal = Terminal::new("names");
    let names: [&[u8]; 4] = [
        b"OQSsiquc01res_line\nbreak.xml",
        b"OQSsiquc01res_\xff.xml",
        b"OQSsiquc01res_\xfe.xml", // the same as the one above once made lossy
        "OQSsiquc01res_受付_1.xml".as_bytes(),
    ];
    for name in names {
        std::fs::write(
            terminal.root.join("res").join(std::ffi::OsStr::from_bytes(name)),
            fixture("insured_card_utf8.xml"),
        )
        .unwrap();
    }
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let events = collect(&mut watcher, 4, Duration::from_millis(300), Duration::from_secs(10));
    // Each a result, by its interface and extension, whatever its free part (they were `other`
    // where the name was not UTF-8).
    assert!(
        events.iter().all(|e| e.kind == FileKind::Result),
        "{:?}",
        events.iter().map(|e| e.kind).collect::<Vec<_>>()
    );
    let mut delivered: Vec<&[u8]> = events.iter().map(|e| e.path.file_name().unwrap().as_bytes()).collect();
    delivered.sort();
    let mut expected = names.to_vec();
    expected.sort();
    assert_eq!(delivered, expected);
    drop(watcher);
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    assert!(collect(&mut watcher, 0, Duration::from_millis(400), Duration::from_secs(2)).is_empty(), "not again");
}

#[test]
fn a_corrupt_ledger_is_rebuilt_and_everything_delivered_again() {
    let terminal = Terminal::new("corrupt");
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_x_1.xml"), fixture("face_pmh_two.xml")).unwrap();
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    assert_eq!(collect(&mut watcher, 1, Duration::from_millis(200), Duration::from_secs(10)).len(), 1);
    drop(watcher);
    let ledger = terminal.root.join(kohi_terminal::watch::DEFAULT_STATE_FILE);
    let _ = std::fs::remove_file(terminal.root.join(".kohi-inbox.sqlite-wal"));
    let _ = std::fs::remove_file(terminal.root.join(".kohi-inbox.sqlite-shm"));
    std::fs::write(&ledger, b"\x01 stray bytes, not a database".repeat(100)).unwrap();
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let aside = watcher.recovered_store().expect("recovery is reported").to_owned();
    assert!(aside.exists());
    assert_eq!(collect(&mut watcher, 1, Duration::from_millis(200), Duration::from_secs(10)).len(), 1, "again");
}

#[test]
fn a_ledger_that_cannot_be_written_is_an_error_not_silence() {
    let terminal = Terminal::new("unwritable");
    std::fs::write(terminal.root.join("not-a-folder"), b"").unwrap();
    let mut options = options();
    options.state_file = Some(terminal.root.join("not-a-folder").join("ledger.sqlite"));
    let e = Watcher::new(&terminal.root, options).err().expect("refused");
    assert_eq!(e.code(), "state_store");
}

#[test]
fn other_kinds_are_delivered_not_ignored() {
    let terminal = Terminal::new("other");
    std::fs::write(terminal.path("res", "PMHsimsm01res_0001.xml"), fixture("face_pmh_two.xml")).unwrap();
    std::fs::write(terminal.path("face", "publicmedicalhub_0001.json"), b"{}").unwrap();
    std::fs::write(terminal.path("res", "OQSmuquc02res_0001.zip"), zip_of(&[])).unwrap();
    std::fs::write(terminal.path("res", ".hidden.xml"), b"temporary").unwrap();
    std::fs::write(terminal.path("res", "OQSsiquc01res_2.xml.tmp"), b"temporary").unwrap();
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let events = collect(&mut watcher, 3, Duration::from_millis(400), Duration::from_secs(10));
    let kinds: HashMap<String, (&str, bool)> = events
        .iter()
        .map(|e| {
            let name = e.path.file_name().unwrap().to_string_lossy().into_owned();
            (name, (e.kind.as_str(), matches!(e.outcome, Outcome::Parsed(_))))
        })
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert_eq!(kinds["PMHsimsm01res_0001.xml"], ("other", true), "an unknown prefix is still parsed");
    assert_eq!(kinds["publicmedicalhub_0001.json"], ("other", false));
    assert_eq!(kinds["OQSmuquc02res_0001.zip"], ("bulk_archive", false));
    let archive = events.iter().find(|e| e.kind == FileKind::BulkArchive).unwrap();
    assert!(matches!(&archive.outcome, Outcome::Archive(entries) if entries.is_empty()), "{:?}", archive.outcome);
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn a_zipped_bulk_result_is_delivered_with_every_entry_parsed() {
    let terminal = Terminal::new("zip");
    let bulk = fixture("bulk_three_units.xml");
    let bytes = zip_of(&[("OQSmuquc02res_0001.xml", &bulk), ("OQSmuquc02res_0001.txt", b"note")]);
    // Written slowly: the half archive is not a zip yet and must not be delivered.
    terminal.write_slowly("res", "OQSmuquc02res_0001.zip", &bytes, 3, Duration::from_millis(150));
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, FileKind::BulkArchive);
    assert_eq!(events[0].request.as_deref(), Some(terminal.path("req", "OQSmuquc02req_0001.xml").as_path()));
    let Outcome::Archive(entries) = &events[0].outcome else { panic!("{:?}", events[0].outcome) };
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].name, "OQSmuquc02res_0001.xml");
    assert_eq!(kohi::to_json(entries[0].outcome.as_ref().unwrap()), golden_json("bulk_three_units.xml"));
    assert_eq!(entries[1].outcome.as_ref().unwrap_err().code(), "io");
}

#[test]
fn a_request_named_with_req_in_its_free_part_is_paired_with_its_answer() {
    let terminal = Terminal::new("preq");
    let request = kohi_terminal::QualificationRequest {
        medical_institution_code: "1312345678".into(),
        qualification_confirmation_date: chrono::NaiveDate::from_ymd_opt(2025, 6, 4).unwrap(),
        insurer_number: "138057".into(),
        insured_card_symbol: None,
        insured_identification_number: "40123".into(),
        insured_branch_number: None,
        birthdate: chrono::NaiveDate::from_ymd_opt(1953, 3, 11).unwrap(),
        limit_application_consent: true,
        arbitrary_file_identifier: None,
    };
    let written = request.write_to(&terminal.root.join("req"), "PREQ_7", kohi::Encoding::Utf8).unwrap();
    assert!(request.write_to(&terminal.root.join("req"), "PREQ_7", kohi::Encoding::Utf8).is_err(), "same name twice");
    std::fs::write(terminal.path("res", "OQSsiquc01res_PREQ_7.xml"), fixture("insured_card_utf8.xml")).unwrap();
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, FileKind::Result);
    assert_eq!(events[0].request.as_deref(), Some(written.as_path()));
}

#[test]
fn cancel_wakes_a_blocked_next_event_from_another_thread() {
    let terminal = Terminal::new("cancel");
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    let handle = watcher.handle();
    let started = Instant::now();
    let canceller = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        handle.cancel();
    });
    assert!(watcher.next_event(Duration::from_secs(60)).unwrap().is_none());
    assert!(started.elapsed() < Duration::from_secs(30));
    canceller.join().unwrap();
    assert!(watcher.next().is_none(), "the iterator ends once cancelled");
}

/// Options with a layout that reads `pmh_document.xml` (its own names) and calls files
/// starting `PMHsimsm` PMH documents.
fn pmh_options() -> WatchOptions {
    let layout = r#"{"kohi_layout": 1, "roots": ["PmhMsg"], "file_prefixes": ["PMHsimsm"],
        "place": {"MedicalSubsidyCertificateList": ["MessageBody", "BulkConfirmUnit"]},
        "rename": {"MedicalSubsidyCertificateList": "KohiJukyushashoList", "MedicalSubsidyCertificateInfo": "KohiJukyushasho",
                   "MedicalSubsidyInsurerNumber": "FutanshaBango", "MedicalSubsidyRecipientNumber": "JukyushaBango",
                   "MedicalSubsidyValidStartDate": "YukoKaishiBi", "MedicalSubsidyValidEndDate": "YukoShuryoBi"}}"#;
    let mut options = options();
    options.parse = kohi::ParseOptions::default().with_layout_json(layout).unwrap();
    options
}

/// A document of PMH data of its own, named by the layout's prefix: delivered as kind `pmh`,
/// parsed with the layout, and paired with the result of the same patient whichever comes first.
#[test]
fn pmh_documents_are_delivered_with_their_kind_and_paired_with_the_result() {
    let t = Terminal::new("pmh-pairing");
    let mut watcher = Watcher::new(&t.root, pmh_options()).unwrap();
    // By the free part of the name: the result first, then the PMH document.
    t.write_and_rename("res", "OQSsiquc01res_0042.xml", &fixture("insured_card_utf8.xml"));
    let first = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    t.write_and_rename("res", "PMHsimsm01res_0042.xml", &fixture("pmh_document.xml"));
    let second = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!((first.len(), second.len()), (1, 1));
    assert_eq!(first[0].kind, FileKind::Result);
    assert_eq!(first[0].related, None, "nothing to pair with yet");
    let pmh = &second[0];
    assert_eq!(pmh.kind, FileKind::Pmh);
    assert_eq!(pmh.related.as_deref(), Some(t.path("res", "OQSsiquc01res_0042.xml").as_path()));
    let Outcome::Parsed(doc) = &pmh.outcome else { panic!("{:?}", pmh.outcome) };
    assert_eq!(doc.patients[0].kohi.len(), 2);
    // By ArbitraryFileIdentifier (face_pmh_two and pmh_document share one): the PMH document
    // first this time, under a free part that matches nothing.
    t.write_and_rename("face", "PMHsimsm01res_face_7.xml", &fixture("pmh_document.xml"));
    let third = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    t.write_and_rename("face", "OQSsiquc01res_face_9.xml", &fixture("face_pmh_two.xml"));
    let fourth = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(third[0].kind, FileKind::Pmh);
    assert_eq!(fourth[0].kind, FileKind::Face);
    assert_eq!(fourth[0].related.as_deref(), Some(t.path("face", "PMHsimsm01res_face_7.xml").as_path()));
}

/// Pairing outlives a restart: an acknowledged document is remembered in the ledger, so a PMH
/// document arriving after the watcher was stopped (or killed) still names its result, by either
/// rule; a document delivered and not acknowledged before the stop is delivered again and
/// remembered then.
#[test]
fn pairing_survives_a_restart() {
    let t = Terminal::new("pmh-pairing-restart");
    let mut watcher = Watcher::new(&t.root, pmh_options()).unwrap();
    t.write_and_rename("res", "OQSsiquc01res_0042.xml", &fixture("insured_card_utf8.xml"));
    t.write_and_rename("face", "PMHsimsm01res_face_7.xml", &fixture("pmh_document.xml"));
    let before = collect(&mut watcher, 2, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(before.len(), 2);
    t.write_and_rename("face", "OQSsiquc01res_face_8.xml", &fixture("insured_card_utf8.xml"));
    let unacknowledged = collect_with(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10), false);
    assert_eq!(unacknowledged.len(), 1);
    drop(watcher);

    let mut watcher = Watcher::new(&t.root, pmh_options()).unwrap();
    let again = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(again.len(), 1, "the unacknowledged one comes again, and only it");
    let with_id = |id: &str| {
        String::from_utf8(fixture("pmh_document.xml")).unwrap().replace("Qm9ndXNJZGVudGlmaWVy", id).into_bytes()
    };
    let mut related_of = |folder: &str, name: &str, bytes: &[u8]| {
        t.write_and_rename(folder, name, bytes);
        let events = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
        assert_eq!(events.len(), 1, "{name}");
        events[0].related.clone()
    };
    // By ArbitraryFileIdentifier, with the PMH document acknowledged before the restart.
    let face_9 = related_of("face", "OQSsiquc01res_face_9.xml", &fixture("face_pmh_two.xml"));
    // By the free part of the name, with the result acknowledged before the restart (an
    // identifier that matches nothing, so that only the name pairs).
    let pmh_0042 = related_of("res", "PMHsimsm01res_0042.xml", &with_id("NO-MATCH-1"));
    // By the free part, with the result delivered again after the restart.
    let pmh_face_8 = related_of("face", "PMHsimsm01res_face_8.xml", &with_id("NO-MATCH-2"));
    assert_eq!(face_9.as_deref(), Some(t.path("face", "PMHsimsm01res_face_7.xml").as_path()));
    assert_eq!(pmh_0042.as_deref(), Some(t.path("res", "OQSsiquc01res_0042.xml").as_path()));
    assert_eq!(pmh_face_8.as_deref(), Some(t.path("face", "OQSsiquc01res_face_8.xml").as_path()));
}

/// A request registered with `expect` is paired with its result after a restart (the
/// registration is in the ledger when `expect` returns), also when the registration was made
/// through a handle; registering on a closed watcher is an error, not a silent no-op.
#[test]
fn expected_requests_survive_a_restart() {
    let t = Terminal::new("expect-restart");
    let watcher = Watcher::new(&t.root, options()).unwrap();
    let handle = watcher.handle();
    watcher.expect("Qm9ndXNJZGVudGlmaWVy", t.path("req", "custom-request.xml")).unwrap();
    handle.expect("ANOTHER-ID", t.path("req", "another.xml")).unwrap();
    drop(watcher);
    assert!(handle.expect("LATE", t.path("req", "late.xml")).is_err(), "the watcher is closed");

    assert_eq!(request_of_a_face_result_in_a_new_run(&t), Some(t.path("req", "custom-request.xml")));
}

/// Registered while the folder (and so the ledger) does not exist yet: written when it opens.
#[test]
fn a_request_expected_before_the_folder_exists_survives_a_restart() {
    let t = Terminal::new("expect-early");
    std::fs::remove_dir_all(&t.root).unwrap();
    let mut watcher = Watcher::new(&t.root, options()).unwrap();
    watcher.expect("Qm9ndXNJZGVudGlmaWVy", t.path("req", "early.xml")).unwrap();
    for folder in ["req", "res", "face"] {
        std::fs::create_dir_all(t.root.join(folder)).unwrap();
    }
    assert!(watcher.next_event(Duration::from_millis(300)).unwrap().is_none(), "opens the ledger");
    drop(watcher);

    assert_eq!(request_of_a_face_result_in_a_new_run(&t), Some(t.path("req", "early.xml")));
}

/// The ledger cannot be read when it opens (here: a table of the wrong shape): the error is
/// the caller's, nothing registered before is forgotten, and the opening is tried again.
#[test]
fn a_ledger_unreadable_at_its_opening_keeps_the_registrations_made_before() {
    let t = Terminal::new("expect-unreadable");
    let ledger = t.root.with_extension("ledger.sqlite");
    let _ = std::fs::remove_file(&ledger);
    let mut options = options();
    options.state_file = Some(ledger.clone());
    drop(Watcher::new(&t.root, options.clone()).unwrap());
    let sql = |batch: &str| rusqlite::Connection::open(&ledger).unwrap().execute_batch(batch).unwrap();
    sql("ALTER TABLE remembered RENAME TO remembered_aside; CREATE TABLE remembered (unused INTEGER);");

    std::fs::remove_dir_all(&t.root).unwrap();
    let mut watcher = Watcher::new(&t.root, options.clone()).unwrap();
    watcher.expect("Qm9ndXNJZGVudGlmaWVy", t.path("req", "early.xml")).unwrap();
    for folder in ["req", "res", "face"] {
        std::fs::create_dir_all(t.root.join(folder)).unwrap();
    }
    let failure = watcher.next_event(Duration::from_millis(300)).expect_err("the ledger cannot be read");
    assert_eq!((failure.code(), failure.to_string().contains("(read)")), ("state_store", true), "{failure}");

    sql("DROP TABLE remembered; ALTER TABLE remembered_aside RENAME TO remembered;");
    assert!(watcher.next_event(Duration::from_millis(300)).unwrap().is_none(), "opened this time");
    drop(watcher);
    assert_eq!(request_of_a_face_result_with(&t, options), Some(t.path("req", "early.xml")));
    std::fs::remove_file(&ledger).unwrap();
}

/// Starts a watcher, drops the face fixture (whose name does not say its request) in `face/`
/// and returns the request it was paired with.
fn request_of_a_face_result_in_a_new_run(t: &Terminal) -> Option<PathBuf> {
    request_of_a_face_result_with(t, options())
}

fn request_of_a_face_result_with(t: &Terminal, options: WatchOptions) -> Option<PathBuf> {
    let mut watcher = Watcher::new(&t.root, options).unwrap();
    t.write_and_rename("face", "OQSsiquc01res_face_x_1.xml", &fixture("face_pmh_two.xml"));
    let events = collect(&mut watcher, 1, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(events.len(), 1);
    events.into_iter().next().and_then(|e| e.request)
}

/// With `pair_by` empty nothing is paired; without a layout prefix the document is `other`.
#[test]
fn pairing_is_configurable() {
    let t = Terminal::new("pmh-no-pairing");
    let mut opts = options();
    opts.parse = kohi::ParseOptions::default()
        .with_layout_json(r#"{"file_prefixes": ["PMHsimsm"], "roots": ["PmhMsg"]}"#)
        .unwrap();
    opts.pair_by = Vec::new();
    let mut watcher = Watcher::new(&t.root, opts).unwrap();
    t.write_and_rename("res", "OQSsiquc01res_0042.xml", &fixture("insured_card_utf8.xml"));
    t.write_and_rename("res", "PMHsimsm01res_0042.xml", &fixture("pmh_document.xml"));
    t.write_and_rename("res", "XYZsimsm01res_0042.xml", &fixture("pmh_document.xml"));
    let events = collect(&mut watcher, 3, Duration::from_millis(300), Duration::from_secs(10));
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.related.is_none()));
    let kinds: HashMap<String, FileKind> =
        events.iter().map(|e| (e.path.file_name().unwrap().to_string_lossy().into_owned(), e.kind)).collect();
    assert_eq!(kinds["PMHsimsm01res_0042.xml"], FileKind::Pmh);
    assert_eq!(kinds["XYZsimsm01res_0042.xml"], FileKind::Other);
}

/// `done_dir` naming the watched folder itself (a slip as easy as `--done /mnt/oqs`): each
/// acknowledged file was moved into the folder it came from under a new name (`a.2.xml`,
/// `a.2.2.xml`, …) and delivered again, without end. Refused at the start, however it is spelled.
#[test]
fn done_dir_that_is_the_watched_folder_is_refused() {
    let terminal = Terminal::new("done-self");
    let spellings = [terminal.root.clone(), terminal.root.join("res").join(".."), terminal.root.join(".")];
    for done in spellings {
        let mut options = options();
        options.done_dir = Some(done.clone());
        match Watcher::new(&terminal.root, options) {
            Err(e) => assert_eq!((e.code(), e.to_string().contains("done_dir")), ("invalid_setting", true), "{e}"),
            Ok(_) => panic!("{} accepted as done_dir", done.display()),
        }
    }
    // A folder that does not exist yet, spelled the same way, is refused too.
    let later = terminal.root.join("later");
    let mut options = options();
    options.done_dir = Some(later.join("x").join(".."));
    assert!(Watcher::new(&later, options).is_err_and(|e| e.code() == "invalid_setting"));
}

/// The same folder reached through a link made after the start: the acknowledged file stays
/// where it is (acknowledged, never delivered again) instead of coming back under a new name.
#[cfg(unix)]
#[test]
fn done_dir_that_turns_out_to_be_the_watched_folder_moves_nothing() {
    let terminal = Terminal::new("done-link");
    let link = terminal.root.with_extension("link");
    let _ = std::fs::remove_file(&link);
    let mut options = options();
    options.done_dir = Some(link.clone());
    let mut watcher = Watcher::new(&terminal.root, options).unwrap();
    std::os::unix::fs::symlink(&terminal.root, &link).unwrap();
    std::fs::write(terminal.path("face", "OQSsiquc01res_face_x_2.xml"), fixture("face_pmh_two.xml")).unwrap();
    let events = collect(&mut watcher, 1, Duration::from_millis(1500), Duration::from_secs(10));
    std::fs::remove_file(&link).unwrap();
    assert_eq!(events.len(), 1, "delivered again under new names");
    let names: Vec<_> =
        std::fs::read_dir(terminal.root.join("face")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["OQSsiquc01res_face_x_2.xml"]);
}

/// The ledger kept in a watched folder (`state_file` in `res/`): its own files (the database,
/// its `-wal` and `-shm`, the lock) must not be delivered, least of all again after every
/// acknowledgement changes them.
#[test]
fn state_file_in_a_watched_folder_is_refused() {
    let terminal = Terminal::new("state-in-res");
    let mut options = options();
    options.state_file = Some(terminal.path("res", "ledger.sqlite"));
    let refused = Watcher::new(&terminal.root, options);
    assert!(refused.as_ref().is_err_and(|e| e.code() == "invalid_setting" && e.to_string().contains("state_file")));
}

/// A watcher given `res/` itself, or a folder holding result files, or the folder above the
/// terminal's, delivered nothing and said nothing (and left its ledger in `res/`): every result
/// the terminal wrote stayed unread. Refused at the start; an empty folder (a share's mount
/// point before it is mounted) is still watched until its folders appear.
#[test]
fn a_folder_that_is_not_the_terminal_folder_is_refused() {
    let terminal = Terminal::new("not-terminal");
    std::fs::write(terminal.path("res", "OQSsiquc01res_0030.xml"), fixture("insured_card_utf8.xml")).unwrap();
    let code_and_message = |root: &std::path::Path| match Watcher::new(root, options()) {
        Err(e) => (e.code(), e.to_string()),
        Ok(_) => panic!("{} watched", root.display()),
    };
    let (code, message) = code_and_message(&terminal.root.join("res"));
    assert_eq!(code, "not_a_terminal_folder");
    assert!(message.contains("named as one of them"), "{message}");
    assert!(!terminal.path("res", ".kohi-inbox.sqlite").exists(), "a ledger left in res/");
    assert_eq!(code_and_message(&terminal.root.join("res").join(".")).0, "not_a_terminal_folder");

    let elsewhere = terminal.root.join("results");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("OQSsiquc01res_0031.XML"), fixture("insured_card_utf8.xml")).unwrap();
    assert!(code_and_message(&elsewhere).1.contains("holds result files"));

    let above = terminal.root.parent().unwrap().join(format!("kohi-inbox-above-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&above);
    std::fs::create_dir_all(above.join("oqs").join("face")).unwrap();
    let message = code_and_message(&above).1;
    std::fs::remove_dir_all(&above).unwrap();
    assert!(message.contains("holds a terminal folder"), "{message}");

    // A terminal folder whose res/ and face/ are not there for the moment, and which holds
    // done_dir (named so, with its own res/ and face/), is still the terminal folder.
    let with_done = terminal.root.join("with-done");
    std::fs::create_dir_all(with_done.join("done").join("res")).unwrap();
    let mut with_done_options = options();
    with_done_options.done_dir = Some(with_done.join("done"));
    assert!(Watcher::new(&with_done, with_done_options).is_ok());

    // An empty folder is watched, and its folders are read once they appear.
    let mount_point = terminal.root.join("mnt");
    std::fs::create_dir_all(&mount_point).unwrap();
    let mut watcher = Watcher::new(&mount_point, options()).unwrap();
    std::fs::create_dir_all(mount_point.join("res")).unwrap();
    std::fs::write(mount_point.join("res").join("OQSsiquc01res_0032.xml"), fixture("insured_card_utf8.xml")).unwrap();
    assert_eq!(collect(&mut watcher, 1, Duration::from_millis(200), Duration::from_secs(10)).len(), 1);
}

/// A file rewritten with new content between its delivery and its acknowledgement (the
/// terminal re-sends under the same name while the consumer stores the first version): the
/// acknowledgement moved whatever was at the path into `done_dir`, so the new version was never
/// delivered. Now it stays, is delivered as the new version, and moves once acknowledged.
#[test]
fn a_file_rewritten_before_its_acknowledgement_is_not_moved_unread() {
    let terminal = Terminal::new("done-rewritten");
    let done = terminal.root.join("done");
    let mut options = options();
    options.done_dir = Some(done.clone());
    let mut watcher = Watcher::new(&terminal.root, options).unwrap();
    let file = terminal.path("res", "OQSsiquc01res_0040.xml");
    std::fs::write(&file, fixture("insured_card_utf8.xml")).unwrap();
    let first = collect_with(&mut watcher, 1, Duration::ZERO, Duration::from_secs(10), false).remove(0);
    let rewritten = fixture("face_pmh_two.xml");
    std::fs::write(&file, &rewritten).unwrap();
    assert!(watcher.ack(&first.id).unwrap());
    let again = collect(&mut watcher, 1, Duration::from_millis(500), Duration::from_secs(10));
    assert_eq!(again.len(), 1, "the new version was never delivered");
    assert_eq!(json_of(&again[0]), golden_json("face_pmh_two.xml"));
    let moved: Vec<_> =
        std::fs::read_dir(done.join("res")).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    assert_eq!(moved, [rewritten]);
}

/// A kill -9 between the two steps of a move to `done_dir` on one file system (the new name
/// linked, the old not yet removed): the next start finished the move under a second name
/// (`x.2.xml`), the same file twice in `done_dir`. The name already there is that file: only
/// the old name goes.
#[cfg(unix)]
#[test]
fn a_move_cut_between_link_and_removal_is_finished_without_a_second_name() {
    let terminal = Terminal::new("done-half-moved");
    let file = terminal.path("res", "OQSsiquc01res_0050.xml");
    std::fs::write(&file, fixture("insured_card_utf8.xml")).unwrap();
    let mut watcher = Watcher::new(&terminal.root, options()).unwrap();
    assert_eq!(collect(&mut watcher, 1, Duration::from_millis(200), Duration::from_secs(10)).len(), 1);
    drop(watcher);
    // Acknowledged, linked into done_dir, killed before the old name was removed.
    let done = terminal.root.join("done");
    std::fs::create_dir_all(done.join("res")).unwrap();
    std::fs::hard_link(&file, done.join("res/OQSsiquc01res_0050.xml")).unwrap();
    let mut options = options();
    options.done_dir = Some(done.clone());
    let mut watcher = Watcher::new(&terminal.root, options).unwrap();
    assert!(collect(&mut watcher, 0, Duration::from_millis(500), Duration::from_secs(2)).is_empty(), "not again");
    assert!(!file.exists());
    let names: Vec<_> = std::fs::read_dir(done.join("res")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["OQSsiquc01res_0050.xml"]);
}
