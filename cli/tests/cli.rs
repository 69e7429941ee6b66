//! The `kohi` command as a user runs it.

use std::path::PathBuf;
use std::process::{Command, Output};

fn kohi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kohi")).args(args).output().unwrap()
}

fn fixture(name: &str) -> String {
    kohi_fixtures::path(name).to_string_lossy().into_owned()
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn parse_json_lists_out_of_order_subsidies_in_receipt_order() {
    let out = kohi(&["parse", "--json", &fixture("pmh_three_out_of_order.xml")]);
    assert!(out.status.success());
    let docs = lines(&out);
    assert_eq!(docs.len(), 1);
    assert!(docs[0]["file"].as_str().unwrap().ends_with("pmh_three_out_of_order.xml"));
    let kohi = docs[0]["patients"][0]["kohi"].as_array().unwrap();
    let laws: Vec<&str> = kohi.iter().map(|k| k["law_number"].as_str().unwrap()).collect();
    assert_eq!(laws, ["21", "54", "88"]);
    let slots: Vec<u64> = kohi.iter().map(|k| k["slot"].as_u64().unwrap()).collect();
    assert_eq!(slots, [1, 2, 3]);
}

#[test]
fn json_is_the_core_contract_plus_file() {
    let path = fixture("face_pmh_two.xml");
    let mut doc = lines(&kohi(&["parse", &path])).remove(0);
    doc.as_object_mut().unwrap().remove("file");
    let core: serde_json::Value =
        serde_json::from_str(&kohi::to_json(&kohi::parse(&std::fs::read(&path).unwrap()).unwrap())).unwrap();
    assert_eq!(doc, core);
}

#[test]
fn a_failing_file_prints_its_error_and_the_exit_status_is_1_at_the_end() {
    let out = kohi(&["parse", &fixture("error_doctype.xml"), &fixture("face_pmh_two.xml")]);
    assert_eq!(out.status.code(), Some(1));
    let docs = lines(&out);
    assert_eq!(docs.len(), 2, "the good file after the bad one is still parsed");
    assert_eq!(docs[0]["error"]["code"], "doctype_not_allowed");
    assert_eq!(docs[0]["error"]["number"], 6);
    assert!(docs[0]["error"]["message"].as_str().unwrap().contains("line 2"));
    assert_eq!(docs[1]["patients"][0]["pmh"], "received");
    let out = kohi(&["parse", "/no/such/file.xml"]);
    assert_eq!(lines(&out)[0]["error"]["code"], "io");
}

#[test]
fn aliases_from_a_file() {
    let dir = std::env::temp_dir().join(format!("kohi-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xml: PathBuf = dir.join("official.xml");
    let original = std::fs::read_to_string(fixture("face_pmh_two.xml")).unwrap();
    std::fs::write(&xml, original.replace("MedicalSubsidyInsurerNumber", "PayerNo")).unwrap();
    let aliases = dir.join("aliases.json");
    std::fs::write(&aliases, r#"{"MedicalSubsidyInsurerNumber": ["PayerNo"]}"#).unwrap();
    let without = lines(&kohi(&["parse", xml.to_str().unwrap()])).remove(0);
    assert!(without["patients"][0]["kohi"][0]["payer_number"].is_null());
    let with = lines(&kohi(&["parse", "--aliases", aliases.to_str().unwrap(), xml.to_str().unwrap()])).remove(0);
    assert_eq!(with["patients"][0]["kohi"][0]["payer_number"], "52136017");
    // With a layout file too, both apply (`--layout` used to replace `--aliases` silently).
    let both = dir.join("both.xml");
    std::fs::write(
        &both,
        std::fs::read_to_string(&xml).unwrap().replace("<Name>", "<Shimei>").replace("</Name>", "</Shimei>"),
    )
    .unwrap();
    let layout = dir.join("layout.json");
    std::fs::write(&layout, r#"{"rename": {"Name": "Shimei"}}"#).unwrap();
    let args = ["parse", "--json", "--aliases", aliases.to_str().unwrap(), "--layout", layout.to_str().unwrap()];
    let with_both = lines(&kohi(&[&args[..], &[both.to_str().unwrap()]].concat())).remove(0);
    assert_eq!(with_both["patients"][0]["kohi"][0]["payer_number"], "52136017");
    assert_eq!(with_both["patients"][0]["qualifications"][0]["name"], "見本　花子");
    std::fs::write(&aliases, r#"{"NoSuchElement": ["X"]}"#).unwrap();
    let out = kohi(&["parse", "--aliases", aliases.to_str().unwrap(), xml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A setting file that is no regular file is refused before it is read: `/dev/zero` was read
/// until memory ran out. (Run with a deadline, so a regression fails instead of hanging.)
#[cfg(unix)]
#[test]
fn a_setting_file_that_is_a_device_is_refused_at_once() {
    for flag in ["--layout", "--aliases"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kohi"))
            .args(["parse", flag, "/dev/zero", &fixture("face_pmh_two.xml")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{flag} /dev/zero: still reading after 30 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains("cannot read the") && stderr.contains("file: "), "{flag}: {stderr}");
    }
}

#[test]
fn the_table_shows_slots_and_masks_names() {
    let out = kohi(&["parse", "--table", &fixture("face_pmh_two.xml"), &fixture("sjis_cp932_chars.xml")]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("第1  52136017   1234566"), "{text}");
    assert!(text.contains("第2  88131016   K000012345"), "{text}");
    assert!(text.contains("20250401-20260331"), "{text}");
    assert!(!text.contains("花子") && !text.contains("髙橋"), "names must be masked:\n{text}");
    assert!(text.contains("見＊＊") && text.contains("髙＊＊"), "{text}");
}

#[test]
fn no_arguments_prints_the_bundled_fixtures_table() {
    let out = kohi(&[]);
    // The negative fixtures show as error rows; the demo itself succeeds.
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("FILE"));
    assert!(text.contains("pmh_overflow.xml"));
    assert!(text.contains("error doctype_not_allowed"));
}

#[test]
fn check_numbers() {
    let out = kohi(&["check", "33120015", "54016027", "  138057", "1234566"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().filter(|l| l.ends_with("\tok")).count(), 4, "{text}");
    let out = kohi(&["check", "--kind", "insurer", "06139993"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "06139993\tinsurer\tNG (check digit should be 2)");
    assert_eq!(kohi(&["check", "--kind", "bogus", "1"]).status.code(), Some(2));
    // A number of the wrong length has no check digit to fix: "should be 2" sent a user to
    // change the last digit of a 9-digit number, which no change of one digit makes right.
    let out = kohi(&["check", "521360172", "0123", "52136０1a"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "521360172\tpayer\tNG (not 8 digits)\n0123\tpayer\tNG (not 8 digits)\n5213601a\tpayer\tNG (not 8 digits)\n"
    );
    assert_eq!(out.status.code(), Some(1));
    let out = kohi(&["check", "--kind", "recipient", "12345678"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "12345678\trecipient\tNG (not 7 digits)\n");
    let out = kohi(&["check", "--kind", "insurer", "1380570"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "1380570\tinsurer\tNG (not 6 or 8 digits)\n");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(kohi(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(kohi(&["parse"]).status.code(), Some(2));
    assert_eq!(kohi(&["parse", "--nope", "x"]).status.code(), Some(2));
    assert!(kohi(&["--version"]).status.success());
}

#[test]
fn request_writes_a_query_that_parses_back() {
    let dir = std::env::temp_dir().join(format!("kohi-cli-req-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = kohi(&[
        "request",
        "--institution",
        "1312345678",
        "--insurer",
        "138057",
        "--symbol",
        "練馬〜",
        "--number",
        "４０１２３",
        "--branch",
        "00",
        "--birthdate",
        "19530311",
        "--date",
        "20250604",
        "--limit-consent",
        "--id",
        "RC-1",
        "--name",
        "0001",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let path = dir.join("OQSsiquc01req_0001.xml");
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), path.to_string_lossy());
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.windows(2).any(|w| w == b"&#"));
    let doc = kohi::parse(&bytes).unwrap();
    assert_eq!(doc.encoding, kohi::Encoding::ShiftJis);
    assert_eq!(doc.header.arbitrary_file_identifier.as_deref(), Some("RC-1"));
    let search = doc.patients[0].search_info.as_ref().unwrap();
    assert_eq!(search.insurer_number.as_ref().unwrap().text.raw(), "  138057");
    let bad = kohi(&[
        "request",
        "--institution",
        "1312345678",
        "--insurer",
        "12345",
        "--number",
        "1",
        "--birthdate",
        "19530311",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid_request"));
    assert_eq!(kohi(&["request", "--out", dir.to_str().unwrap()]).status.code(), Some(2));
    // A request of one 国保 patient with this birthdate (and these options after it).
    let request = |birthdate: &str, extra: &[&str]| {
        let mut args = vec!["request", "--institution", "1312345678", "--insurer", "06139999", "--number", "1"];
        args.extend_from_slice(&["--birthdate", birthdate, "--out", dir.to_str().unwrap()]);
        args.extend_from_slice(extra);
        kohi(&args)
    };
    // A date that is not one: usage error naming the option, never quoting the birthdate.
    for birthdate in ["19531399", "1953031", "1953-03/11", "S28.03.11"] {
        let out = request(birthdate, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{birthdate}");
        assert!(stderr.contains("--birthdate is not a date (YYYYMMDD, YYYY-MM-DD or YYYY/MM/DD)"), "{stderr}");
        assert!(!stderr.contains(birthdate), "the birthdate leaked: {stderr}");
    }
    // The forms every request writer takes, full-width digits too: one request each.
    for (n, birthdate) in ["1953-03-11", "１９５３０３１１", "１９５３／０３／１１"].into_iter().enumerate()
    {
        let free = format!("wide{n}");
        let out = request(birthdate, &["--name", &free]);
        assert!(out.status.success(), "{birthdate}: {}", String::from_utf8_lossy(&out.stderr));
        let doc = kohi::parse(&std::fs::read(dir.join(format!("OQSsiquc01req_{free}.xml"))).unwrap()).unwrap();
        let search = doc.patients[0].search_info.as_ref().unwrap();
        assert_eq!(search.birthdate.as_ref().unwrap().expose().raw.as_str(), "19530311", "{birthdate}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn watch_prints_each_fixture_exactly_once() {
    let root = kohi_fixtures::terminal_folder("cli-watch");
    let child = Command::new(env!("CARGO_BIN_EXE_kohi"))
        .args(["watch", root.to_str().unwrap(), "--settle", "100", "--idle-exit", "2"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let fixtures: Vec<PathBuf> = std::fs::read_dir(kohi_fixtures::dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        // Negative fixtures are reported only after give_up_after; this test is about the others.
        .filter(|p| !std::fs::read_to_string(p.with_extension("expected.json")).unwrap().contains("\"error\""))
        .collect();
    for (i, fixture) in fixtures.iter().enumerate() {
        let name = format!("OQSsiquc01res_{i:04}.xml");
        std::fs::copy(fixture, root.join(if i.is_multiple_of(2) { "res" } else { "face" }).join(name)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let events = lines(&out);
    assert_eq!(events.len(), fixtures.len(), "{}", String::from_utf8_lossy(&out.stdout));
    let mut seen = std::collections::HashSet::new();
    for mut event in events {
        let file = event["file"].as_str().unwrap().to_owned();
        assert!(seen.insert(file.clone()), "{file} twice");
        let i: usize = file.rsplit('_').next().unwrap().trim_end_matches(".xml").parse().unwrap();
        assert_eq!(event["kind"], if i.is_multiple_of(2) { "result" } else { "face" });
        assert_eq!(object_id_len(&event), 64 + 1 + 16);
        let object = event.as_object_mut().unwrap();
        for key in ["id", "file", "kind", "request", "related"] {
            object.remove(key);
        }
        let golden: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures[i].with_extension("expected.json")).unwrap())
                .unwrap();
        assert_eq!(event, golden, "{}", fixtures[i].display());
    }
    std::fs::remove_dir_all(root).unwrap();
}

/// `--idle-exit` is idle with nothing left to deliver: a file that does not parse, waiting for
/// `--give-up-after`, is printed before the watch ends (it ended first, and a run that drains a
/// folder left the file for some later run).
#[test]
fn idle_exit_waits_for_files_not_yet_delivered() {
    let root = kohi_fixtures::terminal_folder("cli-idle");
    std::fs::write(root.join("res/OQSsiquc01res_0001.xml"), "<XmlMsg><MessageBody>").unwrap();
    let started = std::time::Instant::now();
    let out =
        kohi(&["watch", root.to_str().unwrap(), "--settle", "100", "--give-up-after", "2500", "--idle-exit", "1"]);
    assert!(out.status.success());
    let events = lines(&out);
    assert_eq!(events.len(), 1, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(events[0]["error"]["code"], "malformed_xml");
    assert!(started.elapsed() >= std::time::Duration::from_millis(2500));
    std::fs::remove_dir_all(root).unwrap();
}

/// `--max-size` and `--limit` are settings of parse, survey and watch alike: a site's first real
/// bulk file may be past the default 64 MiB or limits, and `survey` (the command to run on it)
/// had no way to take it.
#[test]
fn size_and_limits_apply_to_parse_survey_and_watch() {
    let face = fixture("face_pmh_two.xml"); // 3,268 bytes
    let parsed = kohi(&["parse", "--max-size", "1000", &face]);
    assert_eq!(lines(&parsed)[0]["error"]["code"], "input_too_large");

    let refused = kohi(&["survey", "--json", "--max-size", "1000", &face]);
    assert_eq!(refused.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!((report["files"].as_u64(), &report["failed"]), (Some(1), &serde_json::json!({"input_too_large": 1})));
    let taken = kohi(&["survey", "--json", "--max-size", "4000", &face]);
    assert!(taken.status.success());
    let report: serde_json::Value = serde_json::from_slice(&taken.stdout).unwrap();
    assert_eq!(report["failed"], serde_json::json!({}));

    // `--limit NAME=N`: every limit the bindings set by name, by the same names.
    let limited = kohi(&["survey", "--json", "--limit", "elements=10", &face]);
    let report: serde_json::Value = serde_json::from_slice(&limited.stdout).unwrap();
    assert_eq!(report["failed"], serde_json::json!({"limit_exceeded": 1}));
    let parsed = kohi(&["parse", "--limit", "elements=10", "--limit", "warnings=5", &face]);
    assert_eq!(lines(&parsed)[0]["error"]["message"], "more than 10 elements at line 13, column 5");
    let help = String::from_utf8(kohi(&["parse", "--help"]).stdout).unwrap();
    for limit in kohi::Limit::ALL {
        assert!(help.contains(limit.name()), "--help does not name {}", limit.name());
    }
    for bad in ["elements", "nothing=1", "elements=-1"] {
        let out = kohi(&["survey", "--limit", bad, &face]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }

    let root = kohi_fixtures::terminal_folder("cli-max-size");
    std::fs::copy(kohi_fixtures::path("face_pmh_two.xml"), root.join("face/face_0001.xml")).unwrap();
    let out = kohi(&["watch", root.to_str().unwrap(), "--settle", "100", "--max-size", "1000", "--idle-exit", "1"]);
    let events = lines(&out);
    assert_eq!(events.len(), 1, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!((&events[0]["kind"], &events[0]["error"]["code"]), (&"skipped".into(), &"input_too_large".into()));
    std::fs::remove_dir_all(root).unwrap();
}

fn object_id_len(event: &serde_json::Value) -> usize {
    event["id"].as_str().map_or(0, str::len)
}

/// The path a vendor takes at the first real file: survey, write the layout, parse with it.
#[test]
fn survey_write_then_parse_with_the_layout() {
    let dir = std::env::temp_dir().join(format!("kohi-cli-survey-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let slots = |doc: &serde_json::Value| -> Vec<String> {
        doc["patients"][0]["kohi"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                ["slot", "law_number", "payer_number", "recipient_number", "valid_from", "valid_to", "source"]
                    .map(|f| k[f].to_string())
                    .join(" ")
            })
            .collect()
    };
    let want = slots(&lines(&kohi(&["parse", "--json", &fixture("face_pmh_two.xml")])).remove(0));
    for case in ["pmh_unknown_names.xml", "pmh_person_level_sjis.xml", "pmh_wrapped.xml"] {
        let layout = dir.join(format!("{case}.layout.json"));
        let out = kohi(&["survey", "--write", layout.to_str().unwrap(), &fixture(case)]);
        assert!(out.status.success(), "{case}");
        assert!(!dir.join(format!(".{case}.layout.json.tmp")).exists(), "written through a temporary file, renamed");
        let report = String::from_utf8(out.stdout).unwrap();
        assert!(report.contains("MedicalSubsidyInsurerNumber ← FutanshaBango  [high]"), "{report}");
        let doc = lines(&kohi(&["parse", "--json", "--layout", layout.to_str().unwrap(), &fixture(case)])).remove(0);
        assert_eq!(slots(&doc), want, "{case}");
    }
    let json = lines(&kohi(&["survey", "--json", &fixture("pmh_wrapped.xml")])).remove(0);
    assert_eq!(json["files"], 1);
    assert!(json["layout"]["wrappers"]["PmhJoho"].is_array());
    // Nothing PMH-shaped: the report says so, and there is nothing to write.
    let out = kohi(&["survey", "--write", dir.join("none.json").to_str().unwrap(), &fixture("insured_card_utf8.xml")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("none.json").exists());
    // A layout that cannot be put in place (a folder has its name): an error, the folder
    // untouched, and no temporary file left behind.
    std::fs::create_dir_all(dir.join("taken.json")).unwrap();
    let out = kohi(&["survey", "--write", dir.join("taken.json").to_str().unwrap(), &fixture("pmh_wrapped.xml")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the layout file"));
    assert!(dir.join("taken.json").is_dir() && !dir.join(".taken.json.tmp").exists());
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"place": {"MedicalSubsidyCertificateList": "Nowhere"}}"#).unwrap();
    let out = kohi(&["parse", "--layout", bad.to_str().unwrap(), &fixture("face_pmh_two.xml")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("place.MedicalSubsidyCertificateList"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// The Web API's JSON form parses to the same contract as the XML.
#[test]
fn parse_reads_the_web_api_json_form() {
    let mut from_json = lines(&kohi(&["parse", "--json", &fixture("webapi/face_pmh_two.json")])).remove(0);
    let mut from_xml = lines(&kohi(&["parse", "--json", &fixture("face_pmh_two.xml")])).remove(0);
    from_json.as_object_mut().unwrap().remove("file");
    from_xml.as_object_mut().unwrap().remove("file");
    assert_eq!(from_json, from_xml);
}

/// A person-level error is an error row, never "公費なし"; a result with only kana shows it masked.
#[test]
fn the_table_shows_person_errors_and_masked_kana() {
    let out = kohi(&["parse", "--table", &fixture("person_error_sjis.xml")]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error: 処理結果状況 2"), "{text}");
    assert!(!text.contains("公費なし"), "{text}");
    let dir = std::env::temp_dir().join(format!("kohi-cli-kana-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xml = dir.join("kana.xml");
    std::fs::write(
        &xml,
        "<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody><ResultList>\
         <ResultOfQualificationConfirmation><NameKana>ﾐﾎﾝ ﾀﾛｳ</NameKana></ResultOfQualificationConfirmation>\
         </ResultList><ProcessingResultStatus>1</ProcessingResultStatus></MessageBody></XmlMsg>",
    )
    .unwrap();
    let text = String::from_utf8(kohi(&["parse", "--table", xml.to_str().unwrap()]).stdout).unwrap();
    assert!(text.contains("ﾐ＊＊") && !text.contains("ﾀﾛｳ"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// PMH data kohi did not read is never "公費なし", alone or beside a 公費 it did read.
#[test]
fn the_table_shows_unread_pmh_data() {
    let out = kohi(&["parse", "--table", &fixture("pmh_unknown_names.xml")]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("公費未読 (PMH unread)") && !text.contains("公費なし"), "{text}");
    // Read whole (PMH, or 医療扶助 without PMH data): no such line.
    for read in ["face_pmh_two.xml", "medical_aid_a1.xml"] {
        let text = String::from_utf8(kohi(&["parse", "--table", &fixture(read)]).stdout).unwrap();
        assert!(text.contains("第1") && !text.contains("公費未読"), "{text}");
    }
    let face = std::fs::read_to_string(fixture("face_pmh_two.xml")).unwrap();
    let second = face.rfind("<MedicalSubsidyCertificateInfo>").unwrap();
    let partial =
        format!("{}{}", &face[..second], face[second..].replacen("MedicalSubsidyInsurerNumber", "ChihoFutanshaNo", 2));
    let dir = std::env::temp_dir().join(format!("kohi-cli-unread-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xml = dir.join("partial.xml");
    std::fs::write(&xml, partial).unwrap();
    let text = String::from_utf8(kohi(&["parse", "--table", xml.to_str().unwrap()]).stdout).unwrap();
    assert!(text.contains("第1  52136017   1234566"), "{text}");
    assert!(!text.contains("88131016"), "{text}");
    assert!(text.contains("公費未読 (PMH unread)"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// What a user of any shell tries first: help, version, standard input, a folder, a pattern the
/// shell did not expand (cmd.exe), a file name that is not UTF-8.
#[test]
fn help_version_stdin_folders_patterns_and_odd_names() {
    for (args, usage) in [
        (&["--help"][..], "kohi <COMMAND>"),
        (&["parse", "--help"], "Usage: kohi parse [OPTIONS] <FILE>..."),
        (&["survey", "-h"], "Usage: kohi survey [OPTIONS] <FILE>..."),
        (&["check", "--help"], "Usage: kohi check [OPTIONS] <NUMBER>..."),
        (&["watch", "--help"], "Usage: kohi watch [OPTIONS] <DIR>"),
        (&["request", "-h"], "Usage: kohi request [OPTIONS]"),
        (&["help", "parse"], "Usage: kohi parse"),
    ] {
        let out = kohi(args);
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains(usage), "{args:?}: {help}");
        assert!(!help.contains('\x1b'), "no colour when not a terminal: {args:?}");
    }
    let out = kohi(&["--version"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("kohi {}", kohi::VERSION));
    // A mistyped option: exit 2, the option named, a suggestion.
    let out = kohi(&["parse", "--tabel", "x.xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--table"), "{}", String::from_utf8_lossy(&out.stderr));

    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kohi"))
        .args(["parse", "--json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&kohi_fixtures::read("face_pmh_two.xml")).unwrap();
    let out = child.wait_with_output().unwrap();
    let doc = lines(&out).remove(0);
    assert_eq!(doc["file"], "-");
    assert_eq!(doc["patients"][0]["kohi"][0]["payer_number"], "52136017");

    let dir = std::env::temp_dir().join(format!("kohi-cli-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["OQSsiquc01res_0001.xml", "OQSsiquc01res_0002.xml", "notes.txt"] {
        std::fs::write(dir.join(name), kohi_fixtures::read("face_pmh_two.xml")).unwrap();
    }
    let out = kohi(&["parse", "--json", dir.to_str().unwrap()]);
    assert_eq!(lines(&out).len(), 2, "a folder: its .xml files");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 file(s), 2 patient(s), 4 公費 in slots, 0 error(s)"));
    let pattern = dir.join("oqs*_000?.XML");
    assert_eq!(
        lines(&kohi(&["parse", "--json", pattern.to_str().unwrap()])).len(),
        2,
        "a pattern, matched as Windows does"
    );
    let table = String::from_utf8(kohi(&["parse", "--table", dir.to_str().unwrap()]).stdout).unwrap();
    assert!(
        table.contains("siquc01res_0001.xml") && table.contains("siquc01res_0002.xml") && table.contains("2 file(s)"),
        "{table}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = dir.join(std::ffi::OsStr::from_bytes(b"OQSsiquc01res_\xff.xml"));
        std::fs::write(&odd, kohi_fixtures::read("face_pmh_two.xml")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_kohi")).arg("parse").arg("--json").arg(&odd).output().unwrap();
        assert!(out.status.success(), "a name that is not UTF-8: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(lines(&out)[0]["patients"][0]["kohi"][0]["payer_number"], "52136017");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Colour only where asked for, never against `NO_COLOR` (https://no-color.org): forced on with
/// CLICOLOR_FORCE, help and errors are coloured; with NO_COLOR as well, they are plain.
#[test]
fn no_color_is_honoured() {
    let run = |args: &[&str], no_color: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kohi"));
        command.args(args).env("CLICOLOR_FORCE", "1").env_remove("NO_COLOR");
        if no_color {
            command.env("NO_COLOR", "1");
        }
        let out = command.output().unwrap();
        [out.stdout, out.stderr].concat().contains(&0x1b)
    };
    for args in [&["--help"][..], &["parse", "--tabel", "x.xml"]] {
        assert!(run(args, false), "forced colour: {args:?}");
        assert!(!run(args, true), "NO_COLOR: {args:?}");
    }
}

/// `watch` on a folder that is not there fails loudly (exit 2, the folder named), and `--json`,
/// which changed nothing (lines are always JSON), is refused rather than ignored.
#[test]
fn watch_refuses_a_missing_folder_and_the_removed_json_flag() {
    let missing = std::env::temp_dir().join(format!("kohi-no-such-terminal-{}", std::process::id()));
    let out = kohi(&["watch", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a folder"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let out = kohi(&["watch", std::env::temp_dir().to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'--json'"));
}

/// Every command whose output cannot be written (a full disk: /dev/full) says so on stderr and
/// fails, and none panics; a reader that left early (a closed pipe) is not an error. `check`
/// and `request` printed with `println!`, which panics on both (status 101, a backtrace).
#[test]
fn output_that_cannot_be_written_is_an_error_not_a_panic() {
    let terminal = kohi_fixtures::terminal_folder("cli-full-output");
    let req = terminal.join("req");
    let request = [
        "request",
        "--institution",
        "1312345678",
        "--insurer",
        "138057",
        "--number",
        "40123",
        "--birthdate",
        "19530311",
        "--name",
        "FULL",
        "--out",
        req.to_str().unwrap(),
    ];
    let face = fixture("face_pmh_two.xml");
    let commands: [&[&str]; 4] =
        [&["check", "52136017"], &request, &["parse", "--json", &face], &["survey", "--json", &face]];
    for args in commands {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_kohi")).args(args).stdout(full).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(matches!(out.status.code(), Some(1 | 2)), "{args:?}: {:?} {stderr}", out.status);
        assert!(stderr.contains("no storage space"), "{args:?}: {stderr}");
    }
    // The request was written all the same, and said so.
    assert!(req.join("OQSsiquc01req_FULL.xml").is_file());

    std::fs::remove_file(req.join("OQSsiquc01req_FULL.xml")).unwrap();
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kohi"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before anything is written
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(terminal).unwrap();
}

/// `kohi reconcile`: the bindings' reconcile for a program that runs the command line.
#[test]
fn reconcile_compares_the_stored_kohi_with_a_file() {
    let dir = std::env::temp_dir().join(format!("kohi-cli-reconcile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stored = dir.join("stored.json");
    let face = fixture("face_pmh_two.xml");
    let run = |stored_json: &str, extra: &[&str]| {
        std::fs::write(&stored, stored_json).unwrap();
        let mut args = vec!["reconcile", "--stored", stored.to_str().unwrap()];
        args.extend_from_slice(extra);
        kohi(&args)
    };
    let changes = |out: &Output| -> Vec<(String, String)> {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let list = lines(out).remove(0);
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| (c["change"].as_str().unwrap().to_owned(), c["kohi"]["payer_number"].as_str().unwrap().to_owned()))
            .collect()
    };
    // Nothing stored: both 公費 of the file are new.
    let out = run("[]", &["--today", "2025-06-04", &face]);
    assert_eq!(changes(&out), [("added".into(), "52136017".into()), ("added".into(), "88131016".into())]);
    // One stored as the file has it: unchanged, the other new; the same JSON as the library's.
    let one = r#"[{"payer_number":"52136017","recipient_number":"1234566","valid_from":"2025-04-01","valid_to":"2026-03-31","income_segment":"一般Ⅰ","max_copayment":"5000"}]"#;
    let out = run(one, &["--today", "2025-06-04", &face]);
    assert_eq!(changes(&out), [("unchanged".into(), "52136017".into()), ("added".into(), "88131016".into())]);
    let doc = kohi::parse_file(&face, &kohi::ParseOptions::default()).unwrap();
    let records = kohi::KohiRecord::list_from_json(one).unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 4).unwrap();
    let expected = kohi::reconcile::changes_to_json(&kohi::reconcile(&records, &doc.patients[0], today));
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), expected);
    // The stored records from standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_kohi"))
        .args(["reconcile", "--stored", "-", "--today", "2025-06-04", &face])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(one.as_bytes()).unwrap();
    let piped = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(piped.stdout).unwrap().trim_end(), expected);
    // Stored records that are not records: exit 1, typed, no value quoted.
    let bad = run(r#"[{"payer_number": 52136017}]"#, &[&face]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("invalid_stored_record") && !stderr.contains("52136017"), "{stderr}");
    // A file that does not parse: exit 1, with its code.
    let broken = run("[]", &[&fixture("error_truncated.xml")]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("malformed_xml"));
    // Bad usage: a day that is not one, a patient past the file's, both inputs on stdin.
    for extra in [&["--today", "2025-13-01", face.as_str()][..], &["--patient", "1", face.as_str()][..], &["-"][..]] {
        let out = if extra == ["-"] { kohi(&["reconcile", "--stored", "-", "-"]) } else { run("[]", extra) };
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `kohi parse --stream`: a line per patient, each the whole parse's patient under the same
/// header, then the rest of the file; standard input too.
#[test]
fn parse_stream_gives_each_patient_then_the_rest_of_the_file() {
    let bulk = fixture("bulk_three_units.xml");
    let whole = lines(&kohi(&["parse", &bulk])).remove(0);
    let streamed = kohi(&["parse", "--stream", &bulk]);
    assert!(streamed.status.success());
    let got = lines(&streamed);
    assert_eq!(got.len(), 4);
    for (i, line) in got[..3].iter().enumerate() {
        assert_eq!(line["patient"], i);
        assert_eq!(line["patients"].as_array().unwrap().len(), 1);
        assert_eq!(line["patients"][0], whole["patients"][i]);
        assert_eq!(line["header"], whole["header"]);
    }
    let rest = &got[3];
    assert_eq!((&rest["remainder"], &rest["patient_count"]), (&true.into(), &3.into()));
    assert_eq!(rest["patients"], serde_json::json!([]));
    assert_eq!(rest["bulk"], whole["bulk"]);

    // Standard input streams too.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kohi"))
        .args(["parse", "--stream", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&std::fs::read(&bulk).unwrap()).unwrap();
    let piped = child.wait_with_output().unwrap();
    assert!(piped.status.success());
    assert_eq!(lines(&piped).len(), 4);
}

/// A file past `--max-size` is one error line, with no patient before it (a stream given the
/// file met the limit only after the patients before it).
#[test]
fn parse_stream_refuses_a_file_past_the_size_limit_before_its_first_patient() {
    let dir = std::env::temp_dir().join(format!("kohi-cli-stream-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bulk.xml");
    std::fs::write(&path, kohi_fixtures::bulk_file(2000)).unwrap();
    let half = (std::fs::metadata(&path).unwrap().len() / 2).to_string();
    let out = kohi(&["parse", "--stream", "--max-size", &half, path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 1, "no patient line before the error");
    assert_eq!((&got[0]["error"]["code"], &got[0]["patient_count"]), (&"input_too_large".into(), &0.into()));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The answer to a failed request has no patient: its one line is the rest of the file, with
/// the error code. A file that breaks off ends with an error line saying how many patients came
/// before it, and the exit status is 1. `--stream` is JSON only.
#[test]
fn parse_stream_of_a_failed_request_and_of_a_broken_file() {
    let out = kohi(&["parse", "--stream", &fixture("header_error.xml"), &fixture("error_truncated.xml")]);
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got.len(), 2);
    assert_eq!((&got[0]["remainder"], &got[0]["patient_count"]), (&true.into(), &0.into()));
    assert_eq!(got[0]["header"]["error_code"], "PLACEHOLDER-CODE");
    assert_eq!((&got[1]["error"]["code"], &got[1]["patient_count"]), (&"malformed_xml".into(), &0.into()));
    assert!(got[1].get("remainder").is_none());
    assert_eq!(kohi(&["parse", "--stream", "--table", &fixture("face_pmh_two.xml")]).status.code(), Some(2));
    let missing = kohi(&["parse", "--stream", "/no/such/file.xml"]);
    assert_eq!((missing.status.code(), &lines(&missing)[0]["error"]["code"]), (Some(1), &"io".into()));
}
