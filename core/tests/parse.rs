//! Parser behaviour by area: structure, text, limits, aliases, duplicates.

use kohi::{Error, MalformedReason, ParseOptions, WarningCode};

fn doc(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody>{body}</MessageBody></XmlMsg>"
    )
}

fn result(inner: &str) -> String {
    doc(&format!(
        "<ResultList><ResultOfQualificationConfirmation>{inner}</ResultOfQualificationConfirmation></ResultList>"
    ))
}

fn subsidy(inner: &str) -> String {
    result(&format!(
        "<MedicalSubsidyCertificateList><MedicalSubsidyCertificateInfo>{inner}</MedicalSubsidyCertificateInfo></MedicalSubsidyCertificateList>"
    ))
}

fn parse(xml: &str) -> kohi::Document {
    kohi::parse(xml.as_bytes()).unwrap()
}

/// The last path segment of every warning with `code`, in order.
fn warned(d: &kohi::Document, code: WarningCode) -> Vec<&str> {
    d.warnings.iter().filter(|w| w.code == code).map(|w| w.path.rsplit('/').next().unwrap()).collect()
}

mod structure {
    use super::*;

    /// Which child belonged to which of three unknown `<Foo>`: every repeat carries its index.
    #[test]
    fn repeated_unknown_containers_and_duplicated_leaves_keep_their_grouping() {
        let d = parse(&result(
            "<Foo><A>1</A><B>x</B></Foo><Foo><A>2</A></Foo><Foo><A>3</A><A>4</A></Foo>\
             <InsurerName>甲</InsurerName><InsurerName>乙</InsurerName><InsurerName>丙</InsurerName>",
        ));
        let kept: Vec<(String, &str)> = d
            .unknown_elements
            .iter()
            .map(|u| {
                (
                    u.path.split("ResultOfQualificationConfirmation[1]/").nth(1).unwrap().to_owned(),
                    u.text.expose().as_str(),
                )
            })
            .collect();
        let expected = [
            ("Foo/A", "1"),
            ("Foo/B", "x"),
            ("Foo[2]/A", "2"),
            ("Foo[3]/A", "3"),
            ("Foo[3]/A[2]", "4"),
            ("InsurerName[2]", "乙"),
            ("InsurerName[3]", "丙"),
        ];
        assert_eq!(kept, expected.map(|(p, t)| (p.to_owned(), t)));
        assert_eq!(d.patients[0].qualifications[0].insurer_name.as_deref(), Some("甲"));
        assert_eq!(warned(&d, WarningCode::UnknownElement), ["Foo", "Foo[2]", "Foo[3]"]);
    }

    #[test]
    fn element_order_does_not_matter() {
        let a = parse(&result("<Name>見本</Name><InsurerNumber>01130012</InsurerNumber><Sex1>1</Sex1>"));
        let b = parse(&result("<Sex1>1</Sex1><InsurerNumber>01130012</InsurerNumber><Name>見本</Name>"));
        assert_eq!(kohi::to_json(&a), kohi::to_json(&b));
        // Body children before the header, too.
        let c = parse(
            "<XmlMsg><MessageBody><QualificationValidity>1</QualificationValidity></MessageBody><MessageHeader><SegmentOfResult>1</SegmentOfResult></MessageHeader></XmlMsg>",
        );
        assert!(c.header.segment_of_result.is_some());
        assert!(c.patients[0].qualification_validity.is_some());
    }

    #[test]
    fn empty_whitespace_and_missing_are_all_absent() {
        for inner in ["<Name/>", "<Name></Name>", "<Name>  \n\t</Name>", ""] {
            let d = parse(&result(&format!("{inner}<Sex1>1</Sex1>")));
            assert!(d.patients[0].qualifications[0].name.is_none(), "{inner:?}");
        }
    }

    #[test]
    fn a_name_keeps_its_inner_spaces() {
        let d = parse(&result("<Name>見本　花子</Name>"));
        assert_eq!(d.patients[0].qualifications[0].name.as_ref().unwrap().expose(), "見本　花子");
    }

    #[test]
    fn a_second_copy_of_a_leaf_is_kept_not_lost() {
        let d = parse(&result("<Name>見本一</Name><Name>見本二</Name>"));
        assert_eq!(d.patients[0].qualifications[0].name.as_ref().unwrap().expose(), "見本一");
        assert_eq!(d.unknown_elements.len(), 1);
        assert_eq!(d.unknown_elements[0].text.expose(), "見本二");
        assert_eq!(d.warnings[0].code, WarningCode::DuplicateElement);
    }

    #[test]
    fn text_beside_child_elements_is_kept() {
        let d = parse(&doc("stray<QualificationValidity>1</QualificationValidity>"));
        assert_eq!(d.unknown_elements[0].path, "XmlMsg/MessageBody");
        assert_eq!(d.unknown_elements[0].text.expose(), "stray");
    }

    /// A child inside a leaf makes its text untrustworthy (part of a name, or of a number): the
    /// field is not set, and both texts are kept.
    #[test]
    fn a_child_inside_a_leaf_is_unknown_and_the_leaf_is_not_used() {
        let d = parse(&result("<Name>見本<b>x</b></Name>"));
        assert_eq!(d.patients[0].qualifications[0].name, None);
        assert!(d.unknown_elements.iter().any(|u| u.path.ends_with("/Name/b") && u.text.expose() == "x"));
        assert!(d.unknown_elements.iter().any(|u| u.path.ends_with("/Name") && u.text.expose() == "見本"));
        assert!(d.warnings.iter().any(|w| w.code == WarningCode::MixedContent && w.path.ends_with("/Name")));
    }

    #[test]
    fn an_empty_body_has_no_patient() {
        assert!(parse(&doc("")).patients.is_empty());
    }

    #[test]
    fn pmh_list_without_certificates_is_received_empty() {
        let d = parse(&result("<MedicalSubsidyCertificateList/>"));
        assert_eq!(d.patients[0].pmh, kohi::PmhState::ReceivedEmpty);
        assert!(d.patients[0].kohi.is_empty());
    }

    #[test]
    fn a_subsidy_without_numbers_is_still_listed() {
        let d = parse(&subsidy("<CertificationName>見本医療証</CertificationName>"));
        let k = &d.patients[0].kohi[0];
        assert_eq!((k.slot, k.payer_number_valid, k.scope), (Some(1), None, kohi::Scope::Local));
        assert_eq!(k.certificate_name.as_deref(), Some("見本医療証"));
    }

    /// The consent answers live in one block made only when one comes; JSON still shows every
    /// consent key, `null` when absent, in the contract's place.
    #[test]
    fn consent_block_is_made_only_when_a_consent_comes() {
        let without = parse(&result("<InsurerName>甲</InsurerName>"));
        let q = &without.patients[0].qualifications[0];
        assert!(q.consent_block.is_none());
        assert!(q.consents().pharmacists_info_cons_flg.is_none());
        let json = serde_json::to_value(q).unwrap();
        assert_eq!(json["pharmacists_info_cons_flg"], serde_json::Value::Null);
        assert!(json.as_object().unwrap().contains_key("medical_subsidy_cons_time"));
        assert!(json.get("consent_block").is_none());

        let with = parse(&result(
            "<PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg><PharmacistsInfoConsTime>20250604101540</PharmacistsInfoConsTime>",
        ));
        let q = &with.patients[0].qualifications[0];
        assert!(q.consent_block.is_some());
        assert_eq!(q.consents().pharmacists_info_cons_time.as_ref().map(|t| &*t.raw), Some("20250604101540"));
        let json = serde_json::to_value(q).unwrap();
        assert_eq!(json["pharmacists_info_cons_flg"]["code"], "1");
        assert_eq!(json["pharmacists_info_cons_time"], "2025-06-04T10:15:40");
    }
}

mod text {
    use super::*;

    /// One rule for raw characters and references, XML 1.0's: DEL and C1 controls are
    /// characters; U+FFFE and U+FFFF are not, whichever way they are written.
    #[test]
    fn raw_characters_and_references_follow_the_same_rule() {
        for (raw, reference) in [("\u{7f}", "&#x7F;"), ("\u{85}", "&#133;"), ("\u{9f}", "&#x9F;")] {
            for text in [raw, reference] {
                let d = parse(&result(&format!("<InsurerName>a{text}b</InsurerName>")));
                let name = d.patients[0].qualifications[0].insurer_name.clone().unwrap();
                assert_eq!(name, format!("a{raw}b"), "{text:?}");
            }
        }
        for text in ["\u{fffe}", "\u{ffff}", "&#xFFFE;", "&#65535;", "\u{1}", "&#x1;"] {
            let xml = result(&format!("<InsurerName>a{text}b</InsurerName>"));
            let e = kohi::parse(xml.as_bytes()).unwrap_err();
            assert_eq!(e.code(), "malformed_xml", "{text:?}");
            let streamed = kohi::PatientReader::new(xml.as_bytes(), &ParseOptions::default())
                .and_then(|r| r.collect::<kohi::Result<Vec<_>>>());
            assert_eq!(streamed.unwrap_err().code(), "malformed_xml", "streamed {text:?}");
        }
        // Full-width forms share the lead bytes of U+FFFE (EF BF/BC …) and stay text.
        let d = parse(&result("<InsurerName>ＡＢＣ０１２￠￮</InsurerName>"));
        assert_eq!(d.patients[0].qualifications[0].insurer_name.as_deref(), Some("ＡＢＣ０１２￠￮"));
    }

    /// `5213<X>9</X>6017` must never become the valid 公費負担者番号 52136017.
    #[test]
    fn a_value_split_by_child_elements_is_kept_not_glued() {
        let d = parse(&subsidy(
            "<MedicalSubsidyInsurerNumber>5213<X>9</X>6017</MedicalSubsidyInsurerNumber>\
             <MedicalSubsidyRecipientNumber>1234566</MedicalSubsidyRecipientNumber>\
             <MaxCopaymentAmount>5<Y/>000</MaxCopaymentAmount>",
        ));
        let k = &d.patients[0].kohi[0];
        assert_eq!(k.payer_number, None, "no number made of the pieces");
        assert_eq!(k.payer_number_valid, None);
        assert_eq!(k.max_copayment.as_ref().and_then(|m| m.amount.as_deref()), None);
        let kept: Vec<(&str, &str)> =
            d.unknown_elements.iter().map(|u| (u.path.rsplit('/').next().unwrap(), u.text.expose().as_str())).collect();
        assert!(kept.contains(&("MedicalSubsidyInsurerNumber", "52136017")), "{kept:?}");
        assert!(kept.contains(&("X", "9")), "{kept:?}");
        assert!(kept.contains(&("MaxCopaymentAmount", "5000")), "{kept:?}");
        assert_eq!(warned(&d, WarningCode::MixedContent), ["MedicalSubsidyInsurerNumber", "MaxCopaymentAmount"]);
    }

    #[test]
    fn predefined_entities_and_char_refs_resolve() {
        let d = parse(&result("<InsurerName>A&amp;B &#x898B;&#26412; &lt;x&gt;</InsurerName>"));
        assert_eq!(d.patients[0].qualifications[0].insurer_name.as_deref(), Some("A&B 見本 <x>"));
    }

    #[test]
    fn cdata_is_text() {
        let d = parse(&result("<InsurerName><![CDATA[A&B]]></InsurerName>"));
        assert_eq!(d.patients[0].qualifications[0].insurer_name.as_deref(), Some("A&B"));
    }

    #[test]
    fn unknown_entities_and_control_char_refs_are_malformed() {
        for bad in
            ["<InsurerName>&nbsp;</InsurerName>", "<InsurerName>&#0;</InsurerName>", "<InsurerName>&#x1;</InsurerName>"]
        {
            let e = kohi::parse(result(bad).as_bytes()).unwrap_err();
            assert!(matches!(e, Error::MalformedXml { reason: MalformedReason::InvalidReference, .. }), "{bad}: {e:?}");
        }
    }

    #[test]
    fn bom_then_declaration() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(result("<Name>見本</Name>").as_bytes());
        assert_eq!(kohi::parse(&bytes).unwrap().patients[0].qualifications[0].name.as_ref().unwrap().expose(), "見本");
    }

    #[test]
    fn parse_str_ignores_the_declared_encoding() {
        let xml = result("<Name>見本</Name>").replace("UTF-8", "Shift_JIS");
        let d = kohi::parse_str_with(&xml, &ParseOptions::default()).unwrap();
        assert_eq!(d.encoding, kohi::Encoding::Utf8);
        assert_eq!(d.patients[0].qualifications[0].name.as_ref().unwrap().expose(), "見本");
    }

    #[test]
    fn parse_str_skips_a_leading_bom_character() {
        let xml = format!("\u{FEFF}{}", result("<Name>見本</Name>"));
        assert!(kohi::parse_str_with(&xml, &ParseOptions::default()).is_ok());
    }

    #[test]
    fn a_header_that_contradicts_the_declaration_warns() {
        let xml = doc("").replace(
            "<SegmentOfResult>1</SegmentOfResult>",
            "<SegmentOfResult>1</SegmentOfResult><CharacterCodeIdentifier>1</CharacterCodeIdentifier>",
        );
        let d = parse(&xml);
        assert_eq!(d.encoding, kohi::Encoding::Utf8);
        assert_eq!(d.warnings[0].code, WarningCode::EncodingMismatch);
    }
}

mod malformed {
    use super::*;

    fn reason(xml: &str) -> MalformedReason {
        match kohi::parse(xml.as_bytes()).unwrap_err() {
            Error::MalformedXml { reason, .. } => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reasons() {
        assert_eq!(reason("<XmlMsg><MessageBody></XmlMsg>"), MalformedReason::MismatchedEndTag);
        assert_eq!(reason("<XmlMsg></XmlMsg></MessageBody>"), MalformedReason::UnmatchedEndTag);
        assert_eq!(reason("<XmlMsg><MessageBody>"), MalformedReason::UnexpectedEof);
        assert_eq!(reason("<XmlMsg/><XmlMsg/>"), MalformedReason::ContentOutsideRoot);
        assert_eq!(reason("<XmlMsg/>tail"), MalformedReason::ContentOutsideRoot);
        assert_eq!(reason(""), MalformedReason::NoRootElement);
        assert_eq!(reason("<XmlMsg a=\"1\" a=\"2\"/>"), MalformedReason::InvalidAttribute);
        assert_eq!(reason("<XmlMsg><Name"), MalformedReason::UnexpectedEof);
    }

    #[test]
    fn messages_give_the_place_not_the_text() {
        let e = kohi::parse("<XmlMsg>\n  <見本太郎></見本花子>\n</XmlMsg>".as_bytes()).unwrap_err();
        let message = e.to_string();
        assert_eq!(message, "malformed XML at line 2, column 9: end tag does not match the open element");
        assert!(!format!("{e:?}").contains("見本"));
    }
}

mod limits {
    use super::*;

    #[test]
    fn input_size() {
        let xml = result("<Name>見本</Name>");
        let options = ParseOptions::default().with_max_input_bytes(100);
        let e = kohi::parse_with(xml.as_bytes(), &options).unwrap_err();
        assert!(matches!(e, Error::InputTooLarge { limit: 100, .. }));
        assert_eq!(e.code(), "input_too_large");
        // The largest limit (no limit) reads a file whole: `limit + 1` bytes must not wrap.
        let path = kohi_fixtures::path("face_pmh_two.xml");
        assert_eq!(kohi::read_file(&path, usize::MAX).unwrap(), std::fs::read(&path).unwrap());
        let unlimited = ParseOptions::default().with_max_input_bytes(usize::MAX);
        assert_eq!(kohi::parse_file(&path, &unlimited).unwrap().patients.len(), 1);
    }

    #[test]
    fn nesting_depth() {
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        let e = kohi::parse(doc(&deep).as_bytes()).unwrap_err();
        assert!(matches!(e, Error::NestingTooDeep { limit: 64, .. }), "{e:?}");
        let options = ParseOptions::default().with_max_depth(200);
        assert!(kohi::parse_with(doc(&deep).as_bytes(), &options).is_ok());
    }

    fn limited(limits: kohi::Limits, xml: &str) -> (kohi::Limit, usize) {
        match kohi::parse_with(xml.as_bytes(), &ParseOptions::default().with_limits(limits)).unwrap_err() {
            Error::LimitExceeded { limit, max, .. } => (limit, max),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_shape_limit_is_a_typed_error() {
        let base = kohi::Limits::default();
        let many = |n: usize, item: &str| item.repeat(n);
        assert_eq!(limited(base.with(kohi::Limit::Elements, 50), &doc(&many(60, "<X/>"))), (kohi::Limit::Elements, 50));
        let long_name = format!("<Name>{}</Name>", "見".repeat(100));
        assert_eq!(limited(base.with(kohi::Limit::TextBytes, 200), &result(&long_name)), (kohi::Limit::TextBytes, 200));
        let units = many(4, "<BulkConfirmUnit><QualificationValidity>1</QualificationValidity></BulkConfirmUnit>");
        assert_eq!(limited(base.with(kohi::Limit::Patients, 3), &doc(&units)), (kohi::Limit::Patients, 3));
        let certs = many(5, "<MedicalSubsidyCertificateInfo/>");
        let xml = result(&format!("<MedicalSubsidyCertificateList>{certs}</MedicalSubsidyCertificateList>"));
        assert_eq!(limited(base.with(kohi::Limit::KohiPerPatient, 4), &xml), (kohi::Limit::KohiPerPatient, 4));
        assert_eq!(
            limited(base.with(kohi::Limit::UnknownElements, 10), &doc(&many(20, "<U>1</U>"))),
            (kohi::Limit::UnknownElements, 10)
        );
        let bad_codes = many(20, "<Sex1>9</Sex1>");
        let xml = doc(&many(
            20,
            &format!(
                "<ResultList><ResultOfQualificationConfirmation>{bad_codes}</ResultOfQualificationConfirmation></ResultList>"
            ),
        ));
        let (limit, _) = limited(base.with(kohi::Limit::Warnings, 30), &xml);
        assert!(matches!(limit, kohi::Limit::Warnings | kohi::Limit::UnknownElements));
        let e = kohi::parse_with(
            doc(&many(60, "<X/>")).as_bytes(),
            &ParseOptions::default().with_limits(base.with(kohi::Limit::Elements, 50)),
        )
        .unwrap_err();
        assert_eq!((e.code(), e.number()), ("limit_exceeded", 13));
        assert!(e.to_string().starts_with("more than 50 elements at line 1, column"), "{e}");
    }

    #[test]
    fn whitespace_between_units_does_not_count_as_text() {
        // Found by the streaming RSS run: one newline per unit used to accumulate as
        // MessageBody's text and hit the 64 KiB limit at 65,536 units.
        let unit = "<BulkConfirmUnit><QualificationValidity>1</QualificationValidity></BulkConfirmUnit>\n";
        let options = ParseOptions::default().with_limits(kohi::Limits::default().with(kohi::Limit::TextBytes, 100));
        let d = kohi::parse_with(doc(&unit.repeat(500)).as_bytes(), &options).unwrap();
        assert_eq!(d.patients.len(), 500);
    }

    #[test]
    fn the_defaults_hold_a_large_real_bulk_file() {
        let unit = "<BulkConfirmUnit><ReferenceNumber>1</ReferenceNumber><QualificationValidity>1</QualificationValidity><ResultList><ResultOfQualificationConfirmation><InsurerNumber>01130012</InsurerNumber><Name>見本</Name></ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>";
        let d = parse(&doc(&unit.repeat(20_000)));
        assert_eq!(d.patients.len(), 20_000);
    }

    #[test]
    fn a_file_that_is_too_large_is_refused_before_reading() {
        let dir = std::env::temp_dir().join(format!("kohi-limit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("big.xml");
        std::fs::write(&file, vec![b' '; 2048]).unwrap();
        let options = ParseOptions::default().with_max_input_bytes(1024);
        assert_eq!(kohi::parse_file(&file, &options).unwrap_err().code(), "input_too_large");
        assert_eq!(kohi::parse_file(dir.join("missing.xml"), &options).unwrap_err().code(), "io");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// `/dev/zero` reports size 0 and never ends; a FIFO blocks its reader. Neither is opened.
    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_without_being_opened() {
        let dir = std::env::temp_dir().join(format!("kohi-special-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo.xml");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero.xml")).unwrap();
        use std::io::ErrorKind::{IsADirectory, Unsupported};
        for (name, kind) in [("fifo.xml", Unsupported), ("zero.xml", Unsupported), (".", IsADirectory)] {
            let e = kohi::parse_file(dir.join(name), &ParseOptions::default()).unwrap_err();
            assert_eq!(e.io_kind(), Some(kind), "{name}: {e}");
            assert_eq!(e.io_path(), Some(dir.join(name).to_string_lossy().as_ref()));
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A path that turns into a FIFO between the look and the open (another process swapping it)
    /// is refused too, never opened in a way that waits for a writer: the file opened is the
    /// file checked. Swapped in a loop while the same path is opened over and over; an open
    /// that blocks fails the test after its timeout (the FIFO is then opened to free it).
    #[cfg(unix)]
    #[test]
    fn a_path_swapped_for_a_fifo_is_refused_without_blocking() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, mpsc};
        let dir = std::env::temp_dir().join(format!("kohi-swap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (regular, fifo, path) = (dir.join("regular"), dir.join("fifo"), dir.join("swapped.xml"));
        std::fs::write(&regular, "<XmlMsg/>").unwrap();
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        std::fs::hard_link(&regular, &path).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, dir, regular, fifo, path) =
                (stop.clone(), dir.clone(), regular.clone(), fifo.clone(), path.clone());
            std::thread::spawn(move || {
                let next = dir.join("next");
                while !stop.load(Ordering::Relaxed) {
                    for source in [&fifo, &regular] {
                        std::fs::hard_link(source, &next).unwrap();
                        std::fs::rename(&next, &path).unwrap();
                    }
                }
            })
        };
        let (done, finished) = mpsc::channel();
        let opener = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut refused = 0;
                for _ in 0..20_000 {
                    match kohi::open_file(&path) {
                        Ok(file) => assert!(file.metadata().unwrap().is_file()),
                        Err(e) => {
                            assert_eq!(e.io_kind(), Some(std::io::ErrorKind::Unsupported), "{e}");
                            refused += 1;
                        }
                    }
                }
                done.send(refused).unwrap();
            })
        };
        let outcome = finished.recv_timeout(std::time::Duration::from_secs(30));
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        if outcome.is_err() {
            let _writer = std::fs::OpenOptions::new().write(true).open(&fifo);
        }
        let opener = opener.join();
        std::fs::remove_dir_all(&dir).unwrap();
        let refused = outcome.expect("an open of the swapped path blocked on the FIFO");
        assert!(opener.is_ok());
        assert!(refused > 0, "the FIFO was seen (the swap raced the opens)");
    }
}

mod aliases {
    use super::*;

    /// The official 別紙3-1 may name the PMH block differently: a vendor fixes it at run time.
    const OFFICIAL: &str = r#"<ResultList><ResultOfQualificationConfirmation>
        <PublicExpenseSubsidyList><PublicExpenseSubsidyInfo>
          <PublicExpensePayerNumber>54136015</PublicExpensePayerNumber>
          <PublicExpenseRecipientNumber>1112226</PublicExpenseRecipientNumber>
        </PublicExpenseSubsidyInfo></PublicExpenseSubsidyList>
      </ResultOfQualificationConfirmation></ResultList>"#;

    #[test]
    fn without_aliases_nothing_is_lost() {
        let d = parse(&doc(OFFICIAL));
        // Not `absent` (it was): PMH data came, and kohi did not read it.
        assert_eq!(d.patients[0].pmh, kohi::PmhState::ReceivedUnread);
        assert!(d.patients[0].kohi.is_empty());
        assert_eq!(d.unknown_elements.len(), 2);
    }

    #[test]
    fn with_aliases_the_block_maps() {
        let options = ParseOptions::default()
            .with_aliases_json(
                r#"{
                    "MedicalSubsidyCertificateList": ["PublicExpenseSubsidyList"],
                    "MedicalSubsidyCertificateInfo": ["PublicExpenseSubsidyInfo"],
                    "MedicalSubsidyInsurerNumber": ["PublicExpensePayerNumber"],
                    "MedicalSubsidyRecipientNumber": ["PublicExpenseRecipientNumber"]
                }"#,
            )
            .unwrap();
        let d = kohi::parse_with(doc(OFFICIAL).as_bytes(), &options).unwrap();
        assert_eq!(d.patients[0].pmh, kohi::PmhState::Received);
        let k = &d.patients[0].kohi[0];
        assert_eq!((k.slot, k.law_number.as_deref()), (Some(1), Some("54")));
        assert!(d.unknown_elements.is_empty());
    }
}

mod layout_files {
    use super::*;

    const SUBSIDY: &str = "<FutanshaNo>52136017</FutanshaNo><JukyushaNo>1234566</JukyushaNo>\
        <Kaishi>20250401</Kaishi><Shuryo>20260331</Shuryo>";

    fn with_layout(json: &str) -> ParseOptions {
        ParseOptions::default().with_layout_json(json).unwrap()
    }

    fn payers(d: &kohi::Document) -> Vec<(String, String, Option<String>)> {
        d.patients[0]
            .kohi
            .iter()
            .map(|k| {
                let text = |n: &Option<kohi::Personal<kohi::Text>>| {
                    n.as_ref().map(|n| n.expose().to_string()).unwrap_or_default()
                };
                (text(&k.payer_number), text(&k.recipient_number), k.valid_from.as_ref().map(|d| d.raw.to_string()))
            })
            .collect()
    }

    const RENAME: &str = r#""rename": {"MedicalSubsidyCertificateList": "PmhList", "MedicalSubsidyCertificateInfo": "PmhCert",
        "MedicalSubsidyInsurerNumber": "FutanshaNo", "MedicalSubsidyRecipientNumber": "JukyushaNo",
        "MedicalSubsidyValidStartDate": "Kaishi", "MedicalSubsidyValidEndDate": "Shuryo"}"#;

    #[test]
    fn renamed_elements_in_the_expected_place() {
        let xml = result(&format!("<InsurerName>x</InsurerName><PmhList><PmhCert>{SUBSIDY}</PmhCert></PmhList>"));
        assert_eq!(parse(&xml).patients[0].kohi.len(), 0, "unknown names: nothing mapped");
        let d = kohi::parse_with(xml.as_bytes(), &with_layout(&format!("{{{RENAME}}}"))).unwrap();
        assert_eq!(payers(&d), [("52136017".into(), "1234566".into(), Some("20250401".into()))]);
        assert!(d.unknown_elements.is_empty());
    }

    #[test]
    fn subsidies_placed_at_the_person_level_join_the_person_s_result() {
        let list = format!("<PmhList><PmhCert>{SUBSIDY}</PmhCert></PmhList>");
        let layout = with_layout(&format!(
            r#"{{{RENAME}, "place": {{"MedicalSubsidyCertificateList": ["MessageBody", "BulkConfirmUnit"]}}}}"#
        ));
        let before = doc(&format!(
            "{list}<ResultList><ResultOfQualificationConfirmation><InsurerName>x</InsurerName></ResultOfQualificationConfirmation></ResultList>"
        ));
        let after = doc(&format!(
            "<ResultList><ResultOfQualificationConfirmation><InsurerName>x</InsurerName></ResultOfQualificationConfirmation></ResultList>{list}"
        ));
        for xml in [before, after] {
            let d = kohi::parse_with(xml.as_bytes(), &layout).unwrap();
            assert_eq!(d.patients[0].qualifications.len(), 1, "one result, not a holder beside it");
            assert_eq!(payers(&d), [("52136017".into(), "1234566".into(), Some("20250401".into()))]);
            assert_eq!(d.patients[0].pmh, kohi::PmhState::Received);
        }
        let alone = doc(&list);
        let d = kohi::parse_with(alone.as_bytes(), &layout).unwrap();
        assert_eq!(payers(&d).len(), 1, "a document of PMH data alone still maps");
    }

    #[test]
    fn wrappers_are_read_through() {
        let xml = result(&format!(
            "<PmhOuter><PmhInner><PmhList><PmhCert>{SUBSIDY}</PmhCert></PmhList></PmhInner></PmhOuter>"
        ));
        let layout = with_layout(&format!(
            r#"{{{RENAME}, "wrappers": {{"PmhOuter": "ResultOfQualificationConfirmation", "PmhInner": ["ResultOfQualificationConfirmation"]}}}}"#
        ));
        let d = kohi::parse_with(xml.as_bytes(), &layout).unwrap();
        assert_eq!(payers(&d).len(), 1);
        assert!(d.unknown_elements.is_empty(), "{:?}", d.unknown_elements.iter().map(|u| &u.path).collect::<Vec<_>>());
    }

    #[test]
    fn extra_roots() {
        let xml = "<PmhMsg><MessageBody><ResultList><ResultOfQualificationConfirmation><InsurerName>x</InsurerName></ResultOfQualificationConfirmation></ResultList></MessageBody></PmhMsg>";
        assert_eq!(kohi::parse(xml.as_bytes()).unwrap_err().code(), "unexpected_root");
        let d = kohi::parse_with(xml.as_bytes(), &with_layout(r#"{"roots": ["PmhMsg"]}"#)).unwrap();
        assert_eq!(d.patients.len(), 1);
    }

    #[test]
    fn an_alias_table_is_a_layout_file_too() {
        let xml = result("<HokenshaMei>x</HokenshaMei>");
        let d = kohi::parse_with(xml.as_bytes(), &with_layout(r#"{"InsurerName": ["HokenshaMei"]}"#)).unwrap();
        assert!(d.unknown_elements.is_empty());
    }

    /// A layout file and an alias table both apply, whichever is given first (each used to
    /// replace the other without a word: a vendor adding an alias lost the layout's 公費).
    #[test]
    fn a_layout_file_and_an_alias_table_both_apply_in_either_order() {
        let xml = result(&format!("<HokenshaMei>x</HokenshaMei><PmhList><PmhCert>{SUBSIDY}</PmhCert></PmhList>"));
        let (layout, aliases) = (format!("{{{RENAME}}}"), r#"{"InsurerName": "HokenshaMei"}"#);
        let layout_first =
            ParseOptions::default().with_layout_json(&layout).unwrap().with_aliases_json(aliases).unwrap();
        let aliases_first =
            ParseOptions::default().with_aliases_json(aliases).unwrap().with_layout_json(&layout).unwrap();
        for options in [layout_first, aliases_first] {
            let d = kohi::parse_with(xml.as_bytes(), &options).unwrap();
            assert_eq!(payers(&d), [("52136017".into(), "1234566".into(), Some("20250401".into()))]);
            assert_eq!(d.patients[0].qualifications[0].insurer_name.as_deref(), Some("x"));
            assert!(d.unknown_elements.is_empty());
        }
        // A second of either kind replaces the first of its kind only.
        let replaced = ParseOptions::default()
            .with_layout_json(&layout)
            .unwrap()
            .with_aliases_json(r#"{"InsurerName": "Other"}"#)
            .unwrap()
            .with_aliases_json(aliases)
            .unwrap();
        let d = kohi::parse_with(xml.as_bytes(), &replaced).unwrap();
        assert_eq!(payers(&d).len(), 1);
        assert_eq!(d.patients[0].qualifications[0].insurer_name.as_deref(), Some("x"));
        // Each is refused as it is alone; a collision of the two is the layout's.
        let e = ParseOptions::default().with_layout_json(&layout).unwrap().with_aliases_json("[]").unwrap_err();
        assert_eq!(e.code(), "invalid_alias_table");
        let e = ParseOptions::default()
            .with_aliases_json(aliases)
            .unwrap()
            .with_layout_json(r#"{"roots": 1}"#)
            .unwrap_err();
        assert_eq!(e.code(), "invalid_layout");
        let e = ParseOptions::default()
            .with_layout_json(r#"{"rename": {"InsurerName": "Shared"}}"#)
            .unwrap()
            .with_aliases_json(r#"{"InsurerNumber": "Shared"}"#)
            .unwrap_err();
        assert_eq!(e.code(), "invalid_layout");
        assert!(e.to_string().contains("`rename.Shared"), "{e}");
    }

    const ATTRIBUTES: &str = r#""rename": {"MedicalSubsidyCertificateList": "PmhList", "MedicalSubsidyCertificateInfo": "PmhCert",
        "MedicalSubsidyInsurerNumber": "@Futansha", "MedicalSubsidyRecipientNumber": "@Jukyusha",
        "MedicalSubsidyValidStartDate": "@Kaishi", "MedicalSubsidyValidEndDate": "Shuryo"}"#;

    /// A value in an attribute (`@name` in `rename`) is read as the child element of that field
    /// would be; without the layout it is kept, and a 公費-shaped one says the 公費 went unread.
    #[test]
    fn values_in_attributes_are_read_where_the_layout_names_them() {
        let cert = r#"<PmhCert Futansha="５２１３６０１７" Jukyusha='1234566' Kaishi="20250401" Note="x"><Shuryo>20260331</Shuryo></PmhCert>"#;
        let empty = r#"<PmhCert Futansha="88131016" Jukyusha="K1" Kaishi="20250401"/>"#;
        let xml = result(&format!("<InsurerName>x</InsurerName><PmhList>{cert}{empty}</PmhList>"));
        let d = kohi::parse_with(xml.as_bytes(), &with_layout(&format!("{{{ATTRIBUTES}}}"))).unwrap();
        assert_eq!(
            payers(&d),
            [
                ("52136017".into(), "1234566".into(), Some("20250401".into())),
                ("88131016".into(), "K1".into(), Some("20250401".into()))
            ]
        );
        assert_eq!(d.patients[0].pmh, kohi::PmhState::Received);
        let raw = d.patients[0].kohi[0].payer_number_raw.as_ref().map(|n| n.expose().to_string());
        assert_eq!(raw.as_deref(), Some("５２１３６０１７"), "the raw text is kept");
        // The attribute the layout does not name is kept, under the path a survey gives it (with
        // the indices of a parse's paths).
        let unknown: Vec<_> = d.unknown_elements.iter().map(|u| (u.path.as_str(), u.text.expose().as_str())).collect();
        assert_eq!(
            unknown,
            [("XmlMsg/MessageBody/ResultList/ResultOfQualificationConfirmation[1]/PmhList/PmhCert[1]/@Note", "x")]
        );
        // An attribute and a child element of the same field: the first is used, the second
        // kept as a duplicate, as two child elements would be.
        let twice = result(
            r#"<PmhList><PmhCert Futansha="52136017" Jukyusha="1234566"><FutanshaNo>54136015</FutanshaNo></PmhCert></PmhList>"#,
        );
        let both = ATTRIBUTES.replace(r#""@Futansha""#, r#"["@Futansha", "FutanshaNo"]"#);
        let layout = with_layout(&format!("{{{both}}}"));
        let d = kohi::parse_with(twice.as_bytes(), &layout).unwrap();
        assert_eq!(payers(&d)[0].0, "52136017");
        assert_eq!(warned(&d, WarningCode::DuplicateElement).len(), 1);
        // Without the layout: nothing mapped, every value kept, and the payer-shaped one (the
        // full-width 公費負担者番号) and the certificate's 受給者番号 flag the person.
        let d = parse(&xml);
        assert!(d.patients[0].kohi.is_empty());
        assert_eq!(d.patients[0].pmh, kohi::PmhState::ReceivedUnread);
        let paths = warned(&d, WarningCode::UnmappedKohiNumber);
        assert_eq!(paths.len(), 2, "{paths:?}");
        assert!(paths.iter().all(|&p| p == "@Futansha"), "{paths:?}");
        assert_eq!(d.unknown_elements.iter().filter(|u| u.path.contains("/@")).count(), 7);
        // Known certificates with their numbers in attributes no layout names: unread, said so
        // (this gave `received` and 公費 without numbers, and no warning).
        let known = result(
            r#"<MedicalSubsidyCertificateList><MedicalSubsidyCertificateInfo Futansha="52136017" Jukyusha="1234566"/></MedicalSubsidyCertificateList>"#,
        );
        let d = parse(&known);
        assert_eq!(d.patients[0].pmh, kohi::PmhState::ReceivedUnread);
        assert_eq!(warned(&d, WarningCode::UnmappedKohiNumber), ["@Futansha", "@Jukyusha"]);
    }

    /// The cap's amount in an attribute (`<PmhCert Jogen="5,000円">`, `"MaxCopaymentAmount":
    /// "@Jogen"`) is read as its element's text would be: the amount and the text as sent. A
    /// layout file could not name it (`invalid_layout`), so such a cap was kept as an unknown
    /// element and every 公費 went without its 自己負担上限額.
    #[test]
    fn the_caps_amount_in_an_attribute_is_read_where_the_layout_names_it() {
        let layout = with_layout(&format!(
            "{{{}}}",
            ATTRIBUTES.replace(r#""@Kaishi""#, r#""@Kaishi", "MaxCopaymentAmount": "@Jogen""#)
        ));
        let cert = r#"<PmhCert Futansha="52136017" Jukyusha="1234566" Kaishi="20250401" Jogen="5,000円"/>"#;
        let twice = r#"<PmhCert Futansha="54136015" Jukyusha="1234566" Kaishi="20250401" Jogen="10000"><Jogen>1</Jogen></PmhCert>"#;
        let xml = result(&format!("<PmhList>{cert}{twice}</PmhList>"));
        let d = kohi::parse_with(xml.as_bytes(), &layout).unwrap();
        let caps: Vec<_> = d.patients[0]
            .kohi
            .iter()
            .map(|k| {
                let cap = k.max_copayment.as_ref().unwrap();
                (cap.amount.as_deref().map(str::to_owned), cap.raw.as_deref().map(str::to_owned))
            })
            .collect();
        assert_eq!(caps, [(Some("5000".into()), Some("5,000円".into())), (Some("10000".into()), Some("10000".into()))]);
        // A child element of the same name is not the cap (the layout names the attribute).
        assert_eq!(d.unknown_elements.len(), 1);
        assert!(d.unknown_elements[0].path.ends_with("/Jogen"));
    }

    /// One leaf name for two fields, each in a group of its own (`<Futansha><Bango>`,
    /// `<Jukyusha><Bango>`): `Group/name` in `rename` tells them apart, as elements and as
    /// attributes, and makes the group a wrapper. Inside the group the grouped name wins; the
    /// leaf name alone keeps the meaning the layout gives it elsewhere. A layout could name one
    /// of the two only: a name meant one field wherever it stood.
    #[test]
    fn a_leaf_name_is_told_apart_by_its_group() {
        let layout = r#"{"rename": {"MedicalSubsidyCertificateList": "PmhList", "MedicalSubsidyCertificateInfo": "PmhCert",
            "MedicalSubsidyInsurerNumber": ["Futansha/Bango", "Futansha/@bango"],
            "MedicalSubsidyRecipientNumber": ["Jukyusha/Bango", "Bango"], "MedicalSubsidyValidStartDate": "Kaishi"}}"#;
        let certificates = [
            "<PmhCert><Futansha><Bango>５２１３６０１７</Bango><Meisho>東京都</Meisho></Futansha>\
             <Jukyusha><Bango>1234566</Bango></Jukyusha><Kaishi>20250401</Kaishi></PmhCert>",
            // The payer in an attribute of its group; the 受給者番号 by its leaf name alone.
            r#"<PmhCert><Futansha bango="54136015"/><Bango>7654321</Bango><Kaishi>20250401</Kaishi></PmhCert>"#,
        ];
        let xml = result(&format!("<PmhList>{}</PmhList>", certificates.concat()));
        let d = kohi::parse_with(xml.as_bytes(), &with_layout(layout)).unwrap();
        assert_eq!(
            payers(&d),
            [
                ("52136017".into(), "1234566".into(), Some("20250401".into())),
                ("54136015".into(), "7654321".into(), Some("20250401".into()))
            ]
        );
        assert_eq!(d.patients[0].pmh, kohi::PmhState::Received);
        let unknown: Vec<_> = d.unknown_elements.iter().map(|u| u.path.rsplit('/').next().unwrap()).collect();
        assert_eq!(unknown, ["Meisho"], "the group's other leaf is kept");
        // Streamed alike.
        let options = with_layout(layout);
        let streamed: Vec<_> = kohi::PatientReader::new(xml.as_bytes(), &options)
            .unwrap()
            .map(|p| p.unwrap().patient.kohi.len())
            .collect();
        assert_eq!(streamed, [2]);
    }

    /// One start tag of many attributes a layout names for one field: every duplicate kept
    /// counts against the kept-bytes limit as it is kept, not at the next element.
    #[test]
    fn duplicates_in_one_start_tag_stop_at_the_kept_bytes_limit() {
        let names: Vec<String> = (0..200).map(|i| format!("\"@A{i}\"")).collect();
        let layout = format!(r#"{{"rename": {{"InsurerName": [{}]}}}}"#, names.join(","));
        let attributes: String = (0..200).map(|i| format!(" A{i}=\"{}\"", "x".repeat(100))).collect();
        let xml = doc(&format!(
            "<ResultList><ResultOfQualificationConfirmation{attributes}></ResultOfQualificationConfirmation></ResultList>"
        ));
        let limits = ParseOptions::default().limits().with_named([("kept_bytes", 4096)]).unwrap();
        let options = ParseOptions::default().with_layout_json(&layout).unwrap().with_limits(limits);
        let e = kohi::parse_with(xml.as_bytes(), &options).unwrap_err();
        assert_eq!(e.code(), "limit_exceeded", "{e}");
        assert!(matches!(e, kohi::Error::LimitExceeded { limit: kohi::Limit::KeptBytes, .. }), "{e}");
        // Within the limit the first is used and the others kept as duplicates.
        let few = xml.replace(&attributes, &attributes[..attributes.find(" A3=").unwrap()]);
        let d = kohi::parse_with(few.as_bytes(), &options).unwrap();
        assert_eq!(d.patients[0].qualifications[0].insurer_name.as_deref(), Some("x".repeat(100).as_str()));
        assert_eq!(warned(&d, WarningCode::DuplicateElement).len(), 2);
    }

    #[test]
    fn bad_layout_files_name_the_key() {
        for (json, key) in [
            (r#"{"rename": {"NoSuchElement": "X"}}"#, "rename.NoSuchElement"),
            (r#"{"rename": []}"#, "rename"),
            (r#"{"place": {"MedicalSubsidyCertificateList": "Nowhere"}}"#, "place.MedicalSubsidyCertificateList"),
            (r#"{"place": {"Unheard": "MessageBody"}}"#, "place.Unheard"),
            (r#"{"wrappers": {"Name": "ResultOfQualificationConfirmation"}}"#, "wrappers.Name"),
            (r#"{"wrappers": {"a b": "MessageBody"}}"#, "wrappers.a b"),
            (r#"{"roots": {"PmhMsg": 1}}"#, "roots"),
            // An attribute holds one value: it cannot be a certificate or a list.
            (r#"{"rename": {"MedicalSubsidyCertificateInfo": "@Cert"}}"#, "rename.MedicalSubsidyCertificateInfo"),
            (r#"{"rename": {"MedicalSubsidyCertificateList": "@List"}}"#, "rename.MedicalSubsidyCertificateList"),
            (r#"{"rename": {"InsurerName": "@"}}"#, "rename.InsurerName"),
            (r#"{"rename": {"InsurerName": "@@x"}}"#, "rename.InsurerName"),
            // A group holds a field of one value, one level deep, under a name an element may
            // have; and it is a wrapper, not a name that means something else there.
            (r#"{"rename": {"MedicalSubsidyCertificateInfo": "Group/Cert"}}"#, "rename.MedicalSubsidyCertificateInfo"),
            (r#"{"rename": {"InsurerName": "A/B/C"}}"#, "rename.InsurerName"),
            (r#"{"rename": {"InsurerName": "/B"}}"#, "rename.InsurerName"),
            (r#"{"rename": {"InsurerName": "A/"}}"#, "rename.InsurerName"),
            (r#"{"rename": {"InsurerName": "1A/B"}}"#, "rename.InsurerName"),
            (r#"{"rename": {"InsurerName": "@A/B"}}"#, "rename.InsurerName"),
            (r#"{"rename": {"InsurerName": "Name/Hokensha"}}"#, "rename.Name"),
            (r#"{"kohi_layout": 2}"#, "kohi_layout"),
            (r#"{"rename": {}, "extra": 1}"#, "extra"),
            ("{", ""),
        ] {
            let e = ParseOptions::default().with_layout_json(json).unwrap_err();
            assert_eq!(e.code(), "invalid_layout", "{json}");
            assert!(e.to_string().contains(&format!("`{key}")), "{json}: {e}");
        }
    }
}

/// Details found in public material (issue 14).
mod domain_details {
    use super::*;

    #[test]
    fn qualification_confirmation_key_and_prescription_issue_select_in_the_result_are_known() {
        let d = parse(&result(
            "<QualificationConfirmationKey>ABC123</QualificationConfirmationKey><PrescriptionIssueSelect>1</PrescriptionIssueSelect>",
        ));
        assert!(d.unknown_elements.is_empty() && warned(&d, WarningCode::UnknownElement).is_empty());
        let q = &d.patients[0].qualifications[0];
        assert_eq!(q.qualification_confirmation_key.as_ref().map(|k| k.expose().as_str()), Some("ABC123"));
        assert_eq!(serde_json::to_value(&d.patients[0]).unwrap()["prescription_issue_select"]["code"], "1");
    }

    /// A cap written as groups of amounts (`<Monthly><Outpatient>`): each amount an item named
    /// by its path below the cap; a level deeper is not a cap's item but kept, as any unknown
    /// element is. Until 2026-12-07 the grouped amounts were unknown elements too.
    #[test]
    fn a_caps_amounts_in_a_group_are_items_named_by_their_path() {
        let d = parse(&subsidy(
            "<MedicalSubsidyInsurerNumber>52136017</MedicalSubsidyInsurerNumber>\
             <MaxCopaymentAmount><Monthly><Outpatient>5000</Outpatient><Detail><Meal>460</Meal></Detail></Monthly>\
             <Note>月額</Note></MaxCopaymentAmount>",
        ));
        let cap = d.patients[0].kohi[0].max_copayment.as_ref().unwrap();
        let items: Vec<(&str, &str)> = cap.items.iter().map(|i| (i.name.as_str(), i.value.as_str())).collect();
        assert_eq!(items, [("Monthly/Outpatient", "5000"), ("Note", "月額")]);
        assert_eq!(cap.amount, None);
        let kept: Vec<(&str, &str)> =
            d.unknown_elements.iter().map(|u| (u.path.as_str(), u.text.expose().as_str())).collect();
        let meal = "XmlMsg/MessageBody/ResultList/ResultOfQualificationConfirmation[1]/MedicalSubsidyCertificateList/\
                    MedicalSubsidyCertificateInfo[1]/MaxCopaymentAmount/Monthly/Detail/Meal";
        assert_eq!(kept, [(meal, "460")]);
        assert_eq!(warned(&d, WarningCode::UnknownElement), ["Meal"]);
    }

    /// A cap's values in attributes, of the cap or of a group in it (`<Monthly yen="5000"/>`),
    /// are items as its children are (`Monthly/@yen`): they were unknown elements, and the cap
    /// had none. A group whose name is long past a word's keeps its children as unknown.
    #[test]
    fn a_caps_attributes_are_items_and_a_long_groups_children_are_kept() {
        let long = "G".repeat(65);
        let d = parse(&subsidy(&format!(
            "<MedicalSubsidyInsurerNumber>52136017</MedicalSubsidyInsurerNumber>\
             <MaxCopaymentAmount kind=\"月額\"><Monthly yen=\"5000\" note=\"\"/><{long}><A>1</A></{long}></MaxCopaymentAmount>",
        )));
        let cap = d.patients[0].kohi[0].max_copayment.as_ref().unwrap();
        let items: Vec<(&str, &str)> = cap.items.iter().map(|i| (i.name.as_str(), i.value.as_str())).collect();
        assert_eq!(items, [("@kind", "月額"), ("Monthly/@yen", "5000")]);
        let kept: Vec<(&str, &str)> = d
            .unknown_elements
            .iter()
            .map(|u| (u.path.rsplit_once("MaxCopaymentAmount/").unwrap().1, u.text.expose().as_str()))
            .collect();
        assert_eq!(kept, [(format!("{long}/A").as_str(), "1")]);
    }

    #[test]
    fn law_12_without_a1_warns() {
        let d = parse(&result(
            "<InsurerNumber>12130010</InsurerNumber><InsuredCardClassification>01</InsuredCardClassification>",
        ));
        assert_eq!(warned(&d, WarningCode::MedicalAidUnmarked), ["InsurerNumber"]);
        let d = parse(&result(
            "<InsurerNumber>12130010</InsurerNumber><InsuredCardClassification>A1</InsuredCardClassification>",
        ));
        assert!(warned(&d, WarningCode::MedicalAidUnmarked).is_empty());
        let d = parse(&result("<InsurerNumber>06130012</InsurerNumber>"));
        assert!(warned(&d, WarningCode::MedicalAidUnmarked).is_empty());
    }

    #[test]
    fn two_identical_results_warn_and_both_are_kept() {
        let one =
            "<ResultOfQualificationConfirmation><InsurerName>甲</InsurerName></ResultOfQualificationConfirmation>";
        let other =
            "<ResultOfQualificationConfirmation><InsurerName>乙</InsurerName></ResultOfQualificationConfirmation>";
        let d = parse(&doc(&format!("<ResultList>{one}{one}</ResultList>")));
        assert_eq!(d.patients[0].qualifications.len(), 2);
        assert_eq!(warned(&d, WarningCode::DuplicateResult), ["ResultOfQualificationConfirmation[2]"]);
        let d = parse(&doc(&format!("<ResultList>{one}{other}</ResultList>")));
        assert!(warned(&d, WarningCode::DuplicateResult).is_empty());
    }

    #[test]
    fn limit_certificate_codes_have_their_public_labels() {
        let d = parse(&result(
            "<LimitApplicationCertificateRelatedInfo><LimitApplicationCertificateClassification>01</LimitApplicationCertificateClassification>\
             <LimitApplicationCertificateClassificationFlag>A06</LimitApplicationCertificateClassificationFlag></LimitApplicationCertificateRelatedInfo>",
        ));
        let json = serde_json::to_value(&d.patients[0].qualifications[0]).unwrap();
        let limit = &json["limit_application_certificate"];
        assert_eq!(limit["classification"]["label"], "限度額適用区分認定証");
        assert_eq!(limit["classification_flag"]["label"], "オ（境）");
    }
}

/// An I/O error names the file and the OS error, never the content.
#[test]
fn io_errors_name_the_file_and_the_os_error() {
    let missing = std::env::temp_dir().join("kohi-no-such-file.xml");
    let e = kohi::parse_file(&missing, &ParseOptions::default()).unwrap_err();
    assert_eq!(e.code(), "io");
    assert!(e.to_string().contains("kohi-no-such-file.xml"), "{e}");
    #[cfg(unix)]
    {
        assert_eq!(e.os_code(), Some(2), "ENOENT");
        assert!(e.to_string().ends_with("(os error 2)"), "{e}");
    }
}

/// The Web API's JSON form: a number reaches the model as it was written. serde_json reads a
/// number that is not a 64-bit integer as an `f64`: `0.30` became `0.3`, `1e3` `1000` and a
/// 30-digit number `123456789012345680000000000000`, in `raw` too, with no warning. A syntax
/// error's column is still the one in the text as sent.
#[test]
fn json_numbers_keep_the_text_they_were_sent_as() {
    let json = r#"{"XmlMsg":{"MessageBody":{"ResultList":[{"ResultOfQualificationConfirmation":{
        "InsuredIdentificationNumber":123456789012345678901234567890,"InsuredPartialContributionRatio":0.30,
        "InsurerName":1e3,"InsuredBranchNumber":7,"@Note":2.50}}]}}}"#;
    let d = kohi::parse(json.as_bytes()).unwrap();
    let q = &d.patients[0].qualifications[0];
    assert_eq!(q.insured_identification_number.as_ref().unwrap().raw(), "123456789012345678901234567890");
    assert_eq!(q.insured_partial_contribution_ratio.as_deref(), Some("0.30"));
    assert_eq!(q.insurer_name.as_deref(), Some("1e3"));
    assert_eq!(q.insured_branch_number.as_ref().unwrap().raw(), "7");
    let note = d.unknown_elements.iter().find(|u| u.path.ends_with("/@Note")).unwrap();
    assert_eq!(note.text.expose(), "2.50");
    // Past an f64's range: sound JSON, which failed the whole document when made an f64.
    let d = kohi::parse(br#"{"XmlMsg":{"MessageBody":{"Extra":1e400}}}"#).unwrap();
    assert_eq!(d.unknown_elements[0].text.expose(), "1e400");

    let bad = "{\"XmlMsg\":\n{\"A\":0.5,\"B\":2.5,\"C\":x}}";
    match kohi::parse(bad.as_bytes()).unwrap_err() {
        Error::MalformedXml { line, column, reason } => {
            assert_eq!((line, column, reason), (2, 22, MalformedReason::InvalidJson));
        }
        other => panic!("{other:?}"),
    }
}
