//! 被保険者証 qualification queries (`OQSsiquc01req_<free part>.xml`) for the terminal's `req/`.
//!
//! Element names come from the layout table (the request is what results echo back as
//! `QualificationConfirmSearchInfo`), so there is still one place that names elements. The file
//! is written atomically and durably: a temporary name the terminal ignores, synced, then linked
//! into place and its folder synced.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use kohi::numbers::normalize;
use kohi::{Encoding, Error, Result};

use crate::folders::refuse_a_folder_other_than_req;

/// What a 被保険者証 query asks.
#[derive(Clone, PartialEq, Eq)]
pub struct QualificationRequest {
    /// 医療機関コード (10 digits).
    pub medical_institution_code: String,
    /// 資格確認日: the day the qualification is confirmed for (may be in the past).
    pub qualification_confirmation_date: NaiveDate,
    /// 保険者番号: 8 digits, or 6 for 国保 (sent padded with two spaces, as the terminal expects).
    pub insurer_number: String,
    /// 記号 (may contain 漢字).
    pub insured_card_symbol: Option<String>,
    /// 番号.
    pub insured_identification_number: String,
    /// 枝番 (2 digits, leading zero kept).
    pub insured_branch_number: Option<String>,
    /// 生年月日.
    pub birthdate: NaiveDate,
    /// 限度額適用認定証関連情報の開示に係る同意.
    pub limit_application_consent: bool,
    /// Echoed back in the result header: pairs the result with this request.
    pub arbitrary_file_identifier: Option<String>,
}

impl std::fmt::Debug for QualificationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field but the institution and the identifier is personal.
        f.debug_struct("QualificationRequest")
            .field("medical_institution_code", &self.medical_institution_code)
            .field("arbitrary_file_identifier", &self.arbitrary_file_identifier)
            .finish_non_exhaustive()
    }
}

fn invalid(field: &'static str) -> Error {
    Error::InvalidRequest { field }
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

fn element(out: &mut String, indent: &str, name: &str, text: &str) {
    out.push_str(indent);
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape(text, out);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// Text a field may hold: not empty, no control characters.
fn text_field(value: &str, field: &'static str) -> Result<String> {
    let value = value.trim_matches([' ', '\u{3000}']);
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(invalid(field));
    }
    Ok(value.to_owned())
}

fn digits(value: &str, lengths: &[usize], field: &'static str) -> Result<String> {
    let n = normalize(value);
    if lengths.contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()) {
        Ok(n.into_string())
    } else {
        Err(invalid(field))
    }
}

impl QualificationRequest {
    /// The request document. Shift_JIS output is CP932; a character it cannot hold is an error.
    pub fn to_xml(&self, encoding: Encoding) -> Result<Vec<u8>> {
        let institution = digits(&self.medical_institution_code, &[10], "medical_institution_code")?;
        let insurer = match digits(&self.insurer_number, &[6, 8], "insurer_number")? {
            six if six.len() == 6 => format!("  {six}"),
            eight => eight,
        };
        let number = text_field(&self.insured_identification_number, "insured_identification_number")?;
        let symbol = self.insured_card_symbol.as_deref().map(|s| text_field(s, "insured_card_symbol")).transpose()?;
        let branch =
            self.insured_branch_number.as_deref().map(|b| digits(b, &[2], "insured_branch_number")).transpose()?;
        let identifier = self
            .arbitrary_file_identifier
            .as_deref()
            .map(|i| text_field(i, "arbitrary_file_identifier"))
            .transpose()?;

        let mut xml = String::with_capacity(1024);
        xml.push_str(&format!("<?xml version=\"1.0\" encoding=\"{}\" standalone=\"no\"?>\n", encoding.name()));
        xml.push_str("<XmlMsg>\n  <MessageHeader>\n");
        element(&mut xml, "    ", "MedicalInstitutionCode", &institution);
        if let Some(identifier) = &identifier {
            element(&mut xml, "    ", "ArbitraryFileIdentifier", identifier);
        }
        element(
            &mut xml,
            "    ",
            "QualificationConfirmationDate",
            &self.qualification_confirmation_date.format("%Y%m%d").to_string(),
        );
        xml.push_str("  </MessageHeader>\n  <MessageBody>\n    <QualificationConfirmSearchInfo>\n");
        element(&mut xml, "      ", "InsurerNumber", &insurer);
        if let Some(symbol) = &symbol {
            element(&mut xml, "      ", "InsuredCardSymbol", symbol);
        }
        element(&mut xml, "      ", "InsuredIdentificationNumber", &number);
        if let Some(branch) = &branch {
            element(&mut xml, "      ", "InsuredBranchNumber", branch);
        }
        element(&mut xml, "      ", "Birthdate", &self.birthdate.format("%Y%m%d").to_string());
        element(
            &mut xml,
            "      ",
            "LimitApplicationCertificateRelatedConsFlg",
            if self.limit_application_consent { "1" } else { "0" },
        );
        xml.push_str("    </QualificationConfirmSearchInfo>\n  </MessageBody>\n</XmlMsg>\n");
        match encoding {
            Encoding::Utf8 => Ok(xml.into_bytes()),
            Encoding::ShiftJis => {
                kohi::cp932::encode(&xml).map_err(|_| Error::UnrepresentableCharacter { encoding: "Shift_JIS" })
            }
        }
    }

    /// Writes `OQSsiquc01req_<free_part>.xml` into `req_dir` atomically, and on disk (name
    /// included) before it returns; returns its path.
    /// `free_part` is letters, digits, `-` and `_` (e.g. `yyyyMMdd` + a sequence number).
    /// A request of the same name already in `req_dir` is an `io` error of kind
    /// `AlreadyExists`: its answer would be paired with the wrong request.
    pub fn write_to(&self, req_dir: &Path, free_part: &str, encoding: Encoding) -> Result<PathBuf> {
        let name = request_file_name(free_part)?;
        let bytes = self.to_xml(encoding)?;
        refuse_a_folder_other_than_req(req_dir)?;
        sweep_stale_temporaries(req_dir);
        write_atomically(&req_dir.join(&name), &bytes)?;
        Ok(req_dir.join(name))
    }
}

/// A temporary request file unchanged for this long was left by a kill, not being written now
/// (a write takes milliseconds).
const STALE_TEMPORARY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Whether `name` is one of [`write_atomically`]'s temporary names: `.OQS…xml.<pid>.<n>.tmp`.
fn is_request_temporary(name: &str) -> bool {
    let Some(inner) = name.strip_prefix(".OQS").and_then(|n| n.strip_suffix(".tmp")) else { return false };
    let mut parts = inner.rsplitn(3, '.');
    let numbers = [parts.next(), parts.next()];
    let base = parts.next();
    numbers.iter().all(|n| n.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
        && base.is_some_and(|b| b.ends_with(".xml"))
}

/// Removes the temporary files a kill -9 left in `req_dir` before their link (see
/// [`write_atomically`]): nothing of theirs is lost, as their request was never reported
/// written, but the terminal's `req/` would keep them for good. Only those an hour old go, as
/// another program may be writing its own request now; a failure leaves the litter.
fn sweep_stale_temporaries(req_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(req_dir) else { return };
    for entry in entries.flatten() {
        let stale = entry.file_name().to_str().is_some_and(is_request_temporary)
            && entry.metadata().is_ok_and(|meta| {
                meta.is_file()
                    && meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age > STALE_TEMPORARY)
            });
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `OQSsiquc01req_<free_part>.xml`, refusing anything that could leave the folder.
pub fn request_file_name(free_part: &str) -> Result<String> {
    let ok = !free_part.is_empty()
        && free_part.len() <= 100
        && free_part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(invalid("free_part"));
    }
    Ok(format!("OQSsiquc01req_{free_part}.xml"))
}

/// The interface prefix of a terminal file name and what follows it: `OQSsiquc01req_X.xml` →
/// (`OQSsiquc01`, `req`, `X.xml`). Only the part before the first `_` is the prefix, so a free
/// part holding `req_` or `res_` (`PREQ_7`) never confuses a request with a result.
pub fn split_interface_name(name: &str) -> Option<(&str, &str, &str)> {
    let (head, rest) = name.split_once('_')?;
    let direction = head.get(head.len().checked_sub(3)?..)?;
    if !matches!(direction, "req" | "res") || head.len() == 3 || !head.is_ascii() {
        return None;
    }
    Some((&head[..head.len() - 3], direction, rest))
}

/// The result file name the terminal answers a request with (`…req_` → `…res_`).
pub fn result_file_name(request_file_name: &str) -> Option<String> {
    match split_interface_name(request_file_name)? {
        (interface, "req", rest) => Some(format!("{interface}res_{rest}")),
        _ => None,
    }
}

/// The request file name a result answers (`…res_` → `…req_`); none for face results. A bulk
/// result zipped (`….zip`) answers the request `….xml`.
pub fn request_file_name_for(result_file_name: &str) -> Option<String> {
    match split_interface_name(result_file_name)? {
        (_, "res", rest) if rest.starts_with("face_") => None,
        (interface, "res", rest) => {
            let stem = rest.len().checked_sub(4).and_then(|at| rest.get(..at).zip(rest.get(at..)));
            let rest = match stem {
                Some((stem, extension)) if extension.eq_ignore_ascii_case(".zip") => format!("{stem}.xml"),
                _ => rest.to_owned(),
            };
            Some(format!("{interface}req_{rest}"))
        }
        _ => None,
    }
}

/// The fields of a request by name, as the bindings take them (the C ABI's `kohi_request_field`
/// numbers them in this order; add at the end, never reorder). Each is a [`QualificationRequest`]
/// field of the same name.
pub const REQUEST_FIELDS: [&str; 9] = [
    "medical_institution_code",
    "qualification_confirmation_date",
    "insurer_number",
    "insured_card_symbol",
    "insured_identification_number",
    "insured_branch_number",
    "birthdate",
    "limit_application_consent",
    "arbitrary_file_identifier",
];

/// A request filled in field by field, by name (see [`REQUEST_FIELDS`]): how Python, Node and
/// the C ABI take one. Every value is text: dates `YYYYMMDD`, `YYYY-MM-DD` or `YYYY/MM/DD`
/// (full-width digits too; see [`request_date`]), the consent `1`/`0` (or `true`/`false`); an
/// unset 資格確認日 is today in Japan. Its `Debug` shows no value.
#[derive(Clone, Default)]
pub struct RequestFields {
    values: [Option<String>; REQUEST_FIELDS.len()],
}

impl std::fmt::Debug for RequestFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set: Vec<&str> =
            REQUEST_FIELDS.iter().zip(&self.values).filter(|(_, v)| v.is_some()).map(|(n, _)| *n).collect();
        f.debug_struct("RequestFields").field("set", &set).finish()
    }
}

impl RequestFields {
    /// Sets (or, with `None`, unsets) the field at `index` of [`REQUEST_FIELDS`]; an index past
    /// them is `invalid_request` naming `field`.
    pub fn set_index(&mut self, index: usize, value: Option<&str>) -> Result<()> {
        let slot = self.values.get_mut(index).ok_or(invalid("field"))?;
        *slot = value.map(str::to_owned);
        Ok(())
    }

    /// Sets (or unsets) a field by name; a name not in [`REQUEST_FIELDS`] is `invalid_request`
    /// naming `field`.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<()> {
        let index = REQUEST_FIELDS.iter().position(|n| *n == name).ok_or(invalid("field"))?;
        self.set_index(index, value)
    }

    fn get(&self, index: usize) -> Option<&str> {
        self.values[index].as_deref()
    }

    /// The request, or `invalid_request` naming the first field missing or malformed.
    pub fn build(&self) -> Result<QualificationRequest> {
        let required = |i: usize| self.get(i).map(str::to_owned).ok_or(invalid(REQUEST_FIELDS[i]));
        let date = |i: usize| -> Result<Option<NaiveDate>> {
            let Some(text) = self.get(i) else { return Ok(None) };
            request_date(text).map(Some).ok_or(invalid(REQUEST_FIELDS[i]))
        };
        let consent = match self.get(7).map(normalize).as_deref() {
            None | Some("0" | "false") => false,
            Some("1" | "true") => true,
            Some(_) => return Err(invalid(REQUEST_FIELDS[7])),
        };
        Ok(QualificationRequest {
            medical_institution_code: required(0)?,
            qualification_confirmation_date: date(1)?.unwrap_or_else(|| japan_now().date()),
            insurer_number: required(2)?,
            insured_card_symbol: self.get(3).map(str::to_owned),
            insured_identification_number: required(4)?,
            insured_branch_number: self.get(5).map(str::to_owned),
            birthdate: date(6)?.ok_or(invalid(REQUEST_FIELDS[6]))?,
            limit_application_consent: consent,
            arbitrary_file_identifier: self.get(8).map(str::to_owned),
        })
    }
}

/// A request's date: `YYYYMMDD`, `YYYY-MM-DD` or `YYYY/MM/DD`, in ASCII or full-width digits
/// (as a レセコン's database may hold them), padding trimmed, and a day of the calendar.
///
/// Why no 和暦 (`R7.06.04`, `令和7年6月4日`), which kohi reads in results: a request is written by
/// a program from a date it holds, and a date typed by a person is for that program to read.
/// Until 2026-12-07 the rule was eight or ten bytes, which let some 和暦 through (`R7.06.04`)
/// and refused full-width digits (`２０２５０６０４`, 24 bytes).
pub fn request_date(text: &str) -> Option<NaiveDate> {
    let ascii: String = normalize(text).chars().map(|c| if c == '\u{FF0F}' { '/' } else { c }).collect();
    let b = ascii.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (year, month, day) = match b.len() {
        8 => (digits(0..4)?, digits(4..6)?, digits(6..8)?),
        10 if b[4] == b[7] && matches!(b[4], b'-' | b'/') => (digits(0..4)?, digits(5..7)?, digits(8..10)?),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// The time in Japan (UTC+9, no daylight saving): the terminal's clock.
pub fn japan_now() -> chrono::NaiveDateTime {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    chrono::DateTime::from_timestamp(secs + 9 * 3600, 0).unwrap_or_default().naive_utc()
}

/// A free part no other request of this process has had: the time in Japan, the process id and
/// a count (`20250604093015` `1234` `0007`), so that requests written in the same second by one
/// program never share a name (a second of the same name is refused).
pub fn fresh_free_part() -> String {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}{:04}{:04}", japan_now().format("%Y%m%d%H%M%S"), std::process::id() % 10_000, n % 10_000)
}

/// Temp file in the same folder (a name the terminal does not pick up), synced, then linked
/// into place and the folder synced: a hard link never replaces an existing file, so a second
/// request of the same name fails instead of silently replacing the first. Where the file
/// system has no hard links (some shares), an existence check and a rename (racy only against
/// another writer).
///
/// Crash points (kill -9 right there):
/// - before the link: only the temporary file is there; the request was never reported
///   written. A later write removes the file once it is an hour old ([`sweep_stale_temporaries`]).
/// - between the link and the removal of the temporary name: the request is in place (the
///   terminal answers it) and the temporary name is beside it, removed the same way.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // A temporary name of this call's own: two writers of one name (threads of one program)
    // shared `.{name}.{pid}.tmp`, so one could link the other's bytes and be told its own
    // request was written.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        match std::fs::hard_link(&temp, path) {
            Ok(()) => std::fs::remove_file(&temp),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
            Err(_) if path.exists() => Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists)),
            Err(_) => std::fs::rename(&temp, path),
        }?;
        // The request's name on disk before this returns: a power cut must not take back a
        // request the caller was told is written (and waits for the answer to).
        crate::durable::sync_dir(dir);
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::io(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> QualificationRequest {
        QualificationRequest {
            medical_institution_code: "1312345678".into(),
            qualification_confirmation_date: NaiveDate::from_ymd_opt(2025, 6, 4).unwrap(),
            insurer_number: "138057".into(),
            insured_card_symbol: Some("練馬〜東".into()),
            insured_identification_number: "４０１２３".into(),
            insured_branch_number: Some("00".into()),
            birthdate: NaiveDate::from_ymd_opt(1953, 3, 11).unwrap(),
            limit_application_consent: true,
            arbitrary_file_identifier: Some("RC-20250604-0007".into()),
        }
    }

    /// Fields by name give the same request as the struct; a missing or malformed one is named.
    #[test]
    fn fields_by_name_build_the_same_request() {
        let mut fields = RequestFields::default();
        for (name, value) in [
            ("medical_institution_code", "1312345678"),
            ("qualification_confirmation_date", "2025-06-04"),
            ("insurer_number", "138057"),
            ("insured_card_symbol", "練馬〜東"),
            ("insured_identification_number", "４０１２３"),
            ("insured_branch_number", "00"),
            ("birthdate", "19530311"),
            ("limit_application_consent", "1"),
            ("arbitrary_file_identifier", "RC-20250604-0007"),
        ] {
            fields.set(name, Some(value)).unwrap();
        }
        assert!(fields.build().unwrap() == sample());
        assert!(!format!("{fields:?}").contains("19530311"), "no value in Debug");
        let field = |e: Error| match e {
            Error::InvalidRequest { field } => field,
            other => panic!("{other:?}"),
        };
        let mut missing = fields.clone();
        missing.set("birthdate", None).unwrap();
        assert_eq!(field(missing.build().unwrap_err()), "birthdate");
        for (name, bad) in [
            ("birthdate", "1953-3-11x"),
            ("birthdate", "1953-03/11"),
            ("birthdate", "19530231"),
            ("birthdate", "S28.03.11"),
            ("birthdate", "19530311120000"),
            ("qualification_confirmation_date", "令和7年6月4日"),
            ("qualification_confirmation_date", "R7.06.04"),
            ("limit_application_consent", "yes"),
        ] {
            let mut wrong = fields.clone();
            wrong.set(name, Some(bad)).unwrap();
            assert_eq!(field(wrong.build().unwrap_err()), name);
        }
        assert_eq!(field(fields.clone().set("birth_date", Some("x")).unwrap_err()), "field");
        assert_eq!(field(fields.clone().set_index(REQUEST_FIELDS.len(), Some("x")).unwrap_err()), "field");
        // Full-width digits (a レセコン's database may hold them) and padding, as in results.
        for (birthdate, consent) in
            [("１９５３０３１１", "１"), ("１９５３－０３－１１", "1"), (" 1953/03/11\u{3000}", "true")]
        {
            let mut wide = fields.clone();
            wide.set("birthdate", Some(birthdate)).unwrap();
            wide.set("limit_application_consent", Some(consent)).unwrap();
            assert!(wide.build().unwrap() == sample(), "{birthdate}");
        }
        let mut today = fields.clone();
        today.set("qualification_confirmation_date", None).unwrap();
        assert_eq!(today.build().unwrap().qualification_confirmation_date, japan_now().date());
        let (a, b) = (fresh_free_part(), fresh_free_part());
        assert!(a != b && request_file_name(&a).is_ok() && a.len() == 22, "{a} {b}");
    }

    /// Two writers of one name at once (threads of one program): one wins and its own bytes
    /// are the file; the other gets `io`. They shared one temporary name, so the winner could
    /// link the loser's bytes and be told its own request was written.
    #[test]
    fn two_writers_of_one_name_never_swap_contents() {
        let root = kohi_fixtures::terminal_folder("two-writers");
        let req = root.join("req");
        for round in 0..200 {
            let _ = std::fs::remove_file(req.join("OQSsiquc01req_SAME.xml"));
            let requests: Vec<QualificationRequest> = (0..2)
                .map(|i| QualificationRequest { arbitrary_file_identifier: Some(format!("W{i}")), ..sample() })
                .collect();
            let results: Vec<Result<PathBuf>> = std::thread::scope(|scope| {
                let handles: Vec<_> =
                    requests.iter().map(|r| scope.spawn(|| r.write_to(&req, "SAME", Encoding::Utf8))).collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let winners: Vec<usize> = (0..2).filter(|&i| results[i].is_ok()).collect();
            assert_eq!(winners.len(), 1, "round {round}: {:?}", results.iter().map(Result::is_ok).collect::<Vec<_>>());
            let written = std::fs::read(req.join("OQSsiquc01req_SAME.xml")).unwrap();
            assert_eq!(written, requests[winners[0]].to_xml(Encoding::Utf8).unwrap(), "round {round}");
            let names: Vec<_> = std::fs::read_dir(&req).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(names.len(), 1, "round {round}: no temporary file left: {names:?}");
        }
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn round_trips_through_the_parser_in_both_encodings() {
        for encoding in [Encoding::Utf8, Encoding::ShiftJis] {
            let bytes = sample().to_xml(encoding).unwrap();
            assert!(!bytes.windows(2).any(|w| w == b"&#"), "no character references");
            let doc = kohi::parse(&bytes).unwrap();
            assert_eq!(doc.encoding, encoding);
            assert_eq!(doc.header.medical_institution_code.as_deref(), Some("1312345678"));
            assert_eq!(doc.header.arbitrary_file_identifier.as_deref(), Some("RC-20250604-0007"));
            assert_eq!(&*doc.header.qualification_confirmation_date.as_ref().unwrap().raw, "20250604");
            let search = doc.patients[0].search_info.as_ref().unwrap();
            let insurer = search.insurer_number.as_ref().unwrap();
            assert_eq!((insurer.text.raw(), insurer.valid), ("  138057", true));
            let symbol = search.insured_card_symbol.as_ref().unwrap().value().to_owned();
            // WAVE DASH went out as CP932's FULLWIDTH TILDE in Shift_JIS.
            assert_eq!(symbol, if encoding == Encoding::Utf8 { "練馬〜東" } else { "練馬～東" });
            assert_eq!(search.insured_identification_number.as_ref().unwrap().value(), "40123");
            assert_eq!(&*search.birthdate.as_ref().unwrap().expose().raw, "19530311");
            assert!(doc.unknown_elements.is_empty(), "every request element is in the layout table");
            assert!(doc.warnings.is_empty());
        }
    }

    #[test]
    fn escapes_markup() {
        let r = QualificationRequest { insured_card_symbol: Some("A&B<1>".into()), ..sample() };
        let doc = kohi::parse(&r.to_xml(Encoding::Utf8).unwrap()).unwrap();
        let search = doc.patients[0].search_info.as_ref().unwrap();
        assert_eq!(search.insured_card_symbol.as_ref().unwrap().value(), "A&B<1>");
    }

    #[test]
    fn refuses_bad_fields_and_unrepresentable_characters() {
        let cases = [
            (QualificationRequest { insurer_number: "12345".into(), ..sample() }, "insurer_number"),
            (QualificationRequest { medical_institution_code: "13123".into(), ..sample() }, "medical_institution_code"),
            (
                QualificationRequest { insured_identification_number: " ".into(), ..sample() },
                "insured_identification_number",
            ),
            (QualificationRequest { insured_branch_number: Some("1".into()), ..sample() }, "insured_branch_number"),
            (QualificationRequest { insured_card_symbol: Some("a\u{1}".into()), ..sample() }, "insured_card_symbol"),
        ];
        for (request, field) in cases {
            let e = request.to_xml(Encoding::Utf8).unwrap_err();
            assert!(matches!(e, Error::InvalidRequest { field: f } if f == field), "{e:?}");
            assert_eq!(e.code(), "invalid_request");
        }
        let r = QualificationRequest { insured_card_symbol: Some("𠮷野".into()), ..sample() };
        assert!(r.to_xml(Encoding::Utf8).is_ok());
        let e = r.to_xml(Encoding::ShiftJis).unwrap_err();
        assert_eq!(e.code(), "unrepresentable_character");
        assert!(!e.to_string().contains('𠮷'));
        assert!(!format!("{r:?}").contains("40123"));
    }

    #[test]
    fn file_names() {
        assert_eq!(request_file_name("202506040007").unwrap(), "OQSsiquc01req_202506040007.xml");
        for bad in ["", "../x", "a/b", "a b", "x.xml"] {
            assert!(request_file_name(bad).is_err(), "{bad}");
        }
        assert_eq!(result_file_name("OQSsiquc01req_0007.xml").as_deref(), Some("OQSsiquc01res_0007.xml"));
        assert_eq!(request_file_name_for("OQSsiquc01res_0007.xml").as_deref(), Some("OQSsiquc01req_0007.xml"));
        assert_eq!(request_file_name_for("OQSsiquc01res_face_1312_20250604.xml"), None);
        // A free part holding `req_`/`res_` pairs by the prefix alone.
        assert_eq!(request_file_name("PREQ_7").unwrap(), "OQSsiquc01req_PREQ_7.xml");
        assert_eq!(result_file_name("OQSsiquc01req_PREQ_7.xml").as_deref(), Some("OQSsiquc01res_PREQ_7.xml"));
        assert_eq!(request_file_name_for("OQSsiquc01res_PREQ_7.xml").as_deref(), Some("OQSsiquc01req_PREQ_7.xml"));
        assert_eq!(
            request_file_name_for("OQSsiquc01res_xres_face_1.xml").as_deref(),
            Some("OQSsiquc01req_xres_face_1.xml")
        );
        assert_eq!(request_file_name_for("OQSmuquc02res_0001.ZIP").as_deref(), Some("OQSmuquc02req_0001.xml"));
        assert_eq!(
            request_file_name_for("OQSsiquc01res_受付").as_deref(),
            Some("OQSsiquc01req_受付"),
            "no panic mid-character"
        );
        assert_eq!(split_interface_name("PMHsimsm01res_1.xml"), Some(("PMHsimsm01", "res", "1.xml")));
        assert_eq!(split_interface_name("res_1.xml"), None);
        assert_eq!(split_interface_name("notes.xml"), None);
    }

    #[test]
    fn writes_atomically_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("kohi-req-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = sample().write_to(&dir, "0001", Encoding::ShiftJis).unwrap();
        assert_eq!(path.file_name().unwrap(), "OQSsiquc01req_0001.xml");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1);
        assert!(kohi::parse(&std::fs::read(&path).unwrap()).is_ok());
        assert_eq!(sample().write_to(&dir.join("missing"), "0002", Encoding::Utf8).unwrap_err().code(), "io");
        // A second request of the same name is refused, and the first is kept as it was.
        let first = std::fs::read(&path).unwrap();
        let again = sample().write_to(&dir, "0001", Encoding::Utf8).unwrap_err();
        assert!(matches!(again, Error::Io { kind: std::io::ErrorKind::AlreadyExists, .. }), "{again}");
        assert_eq!(std::fs::read(&path).unwrap(), first);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A kill -9 before a write's link leaves its temporary file in `req/`; the next write
    /// removes those an hour old, and nothing else (a fresh one may be another writer's).
    #[test]
    fn temporaries_a_kill_left_are_removed_once_an_hour_old() {
        let dir = std::env::temp_dir().join(format!("kohi-req-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
        let put = |name: &str, old: bool| {
            let file = std::fs::File::create(dir.join(name)).unwrap();
            if old {
                file.set_modified(hours_ago).unwrap();
            }
        };
        put(".OQSsiquc01req_A.xml.4242.0.tmp", true);
        put(".OQSsiquc01req_B.xml.4242.17.tmp", false);
        put(".OQSsiquc01req_C.xml.tmp", true);
        put(".notes.tmp", true);
        put("OQSsiquc01req_D.xml", true);
        sample().write_to(&dir, "E", Encoding::Utf8).unwrap();
        let mut names: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                ".OQSsiquc01req_B.xml.4242.17.tmp",
                ".OQSsiquc01req_C.xml.tmp",
                ".notes.tmp",
                "OQSsiquc01req_D.xml",
                "OQSsiquc01req_E.xml"
            ]
        );
        assert!(is_request_temporary(".OQSsiquc01req_A.xml.1.2.tmp"));
        for not_ours in
            [".OQS.xml..1.tmp", ".OQSx.xml.a.1.tmp", "OQSsiquc01req_A.xml.1.2.tmp", ".OQSsiquc01req_A.1.2.tmp"]
        {
            assert!(!is_request_temporary(not_ours), "{not_ours}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A request written into `res/`, `face/` or the terminal folder itself is never read by the
    /// terminal: it was written, the call said so, and no answer ever came. Refused, nothing
    /// written.
    #[test]
    fn a_request_outside_req_is_refused() {
        let root = std::env::temp_dir().join(format!("kohi-req-elsewhere-{}", std::process::id()));
        for folder in ["req", "res", "FACE"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        for wrong in [root.join("res"), root.join("FACE"), root.clone(), root.join("req").join("..")] {
            let refused = sample().write_to(&wrong, "0001", Encoding::Utf8).unwrap_err();
            assert_eq!(refused.code(), "not_a_terminal_folder", "{}", wrong.display());
            assert!(refused.to_string().contains("req/"), "{refused}");
        }
        for folder in ["res", "FACE"] {
            assert_eq!(std::fs::read_dir(root.join(folder)).unwrap().count(), 0, "written into {folder}/");
        }
        assert!(sample().write_to(&root.join("req"), "0001", Encoding::Utf8).is_ok());
        std::fs::remove_dir_all(root).unwrap();
    }
}
