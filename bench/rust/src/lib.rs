//! What a vendor could write in Rust instead of kohi to get the 公費 fields of a result file, and
//! the floor under all of them: the benchmark's Rust peers (run by `src/main.rs`).
//!
//! Every peer does the same work and returns the same [`Entry`] list (tests/agree.rs holds them
//! to kohi's own result on every input of the benchmark):
//! - decode the bytes (UTF-8, or Shift_JIS when the declaration says so);
//! - per patient (a `BulkConfirmUnit`, else the whole body), per `ResultOfQualificationConfirmation`:
//!   a 医療扶助 entry when the 被保険者証区分 is `A1` (公費負担者番号 from `PublicExpenseNumber`
//!   else `InsurerNumber`, 受給者番号 from `BeneficiaryNumber` else `InsuredIdentificationNumber`,
//!   validity from the first 医療券 (`MedicalTicketInfo`), else `QualificationDate`/
//!   `DisqualificationDate`), then one entry per PMH
//!   `MedicalSubsidyCertificateInfo`;
//! - numbers normalised (full-width digits to ASCII, padding trimmed), the payer's check digit
//!   checked, each patient's entries ordered national first in レセプト order, 地方単独 after.
//!
//! They are as lean as such code gets, not as careful as kohi: no limits, no warnings, no raw
//! text kept, unknown elements ignored. That is the comparison the benchmark makes.

use std::borrow::Cow;

/// The arena build's allocator and `kohi::parse` tool (`--features arena-ceiling`).
#[cfg(feature = "arena-ceiling")]
pub mod arena;

use quick_xml::events::Event;

/// One 公費 of a patient, as every peer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 公費負担者番号, normalised.
    pub payer: String,
    /// Whether its 検証番号 holds.
    pub payer_valid: bool,
    /// 受給者番号, normalised.
    pub recipient: String,
    /// 有効開始年月日 as sent (`YYYYMMDD`), empty when absent.
    pub from: String,
    /// 有効終了年月日 as sent, empty when absent.
    pub to: String,
}

/// 法別番号 in レセプト order (national programs; anything else is 地方単独 and comes after).
const ORDER: [&str; 27] = [
    "13", "14", "18", "29", "30", "10", "11", "20", "21", "15", "16", "24", "22", "28", "17", "79", "19", "23", "52",
    "54", "51", "38", "53", "66", "62", "25", "12",
];

/// The text of the file: UTF-8, or Shift_JIS when the XML declaration names it.
pub fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    let head = &bytes[..bytes.len().min(100)];
    let sjis = head.windows(9).any(|w| w.eq_ignore_ascii_case(b"shift_jis"));
    if sjis { encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes).0 } else { String::from_utf8_lossy(bytes) }
}

/// Full-width digits to ASCII, spaces (ASCII and ideographic) trimmed.
pub fn normalize(raw: &str) -> String {
    let trimmed = raw.trim_matches(|c: char| c == ' ' || c == '\u{3000}' || c.is_ascii_whitespace());
    trimmed
        .chars()
        .map(|c| if ('０'..='９').contains(&c) { ((c as u32 - 0xFF10 + 0x30) as u8) as char } else { c })
        .collect()
}

/// The 8-digit 公費負担者番号's 検証番号.
pub fn payer_check_digit_ok(number: &str) -> bool {
    let digits = number.as_bytes();
    if digits.len() != 8 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits[..7]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let p = u32::from(d - b'0') * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    (10 - sum % 10) % 10 == u32::from(digits[7] - b'0')
}

fn entry(payer: &str, recipient: &str, from: &str, to: &str) -> Entry {
    let payer = normalize(payer);
    Entry {
        payer_valid: payer_check_digit_ok(&payer),
        payer,
        recipient: normalize(recipient),
        from: from.into(),
        to: to.into(),
    }
}

/// Orders one patient's entries (stable: equal 法別 and 地方単独 keep input order).
fn order(entries: &mut [Entry]) {
    entries.sort_by_key(|e| ORDER.iter().position(|law| e.payer.get(..2) == Some(law)).unwrap_or(ORDER.len()));
}

/// The fields of one `ResultOfQualificationConfirmation` a 公費 needs, as borrowed text.
#[derive(Default)]
struct Qualification<'a> {
    class: Cow<'a, str>,
    insurer: Cow<'a, str>,
    public_expense: Option<Cow<'a, str>>,
    identification: Cow<'a, str>,
    beneficiary: Option<Cow<'a, str>>,
    qualified: Cow<'a, str>,
    disqualified: Cow<'a, str>,
    /// The first 医療券's period, when one came.
    ticket: Option<(Cow<'a, str>, Cow<'a, str>)>,
}

impl Qualification<'_> {
    fn medical_aid(&self) -> Option<Entry> {
        (self.class == "A1").then(|| {
            let payer = self.public_expense.as_deref().unwrap_or(&self.insurer);
            let recipient = self.beneficiary.as_deref().unwrap_or(&self.identification);
            match &self.ticket {
                Some((from, to)) => entry(payer, recipient, from, to),
                None => entry(payer, recipient, &self.qualified, &self.disqualified),
            }
        })
    }
}

/// The bare quick-xml event loop over the decoded text: every event read, nothing kept. The
/// floor under any quick-xml-based reader.
pub fn floor(bytes: &[u8]) -> usize {
    let text = text_of(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut events = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => return events,
            Ok(_) => events += 1,
        }
    }
}

/// The streaming floor: quick-xml's buffered reader over the bytes, every event read, nothing
/// kept (what any streaming reader built on quick-xml pays at least). UTF-8 input only.
pub fn streaming_floor(bytes: &[u8]) -> usize {
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::with_capacity(16 * 1024, bytes));
    let mut buffer = Vec::new();
    let mut events = 0;
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Eof) | Err(_) => return events,
            Ok(_) => events += 1,
        }
        buffer.clear();
    }
}

/// kohi's streaming reader over the same bytes: one patient at a time, each dropped after use.
pub fn kohi_stream(bytes: &[u8]) -> usize {
    let options = kohi::ParseOptions::default().with_max_input_bytes(1 << 30);
    let reader = kohi::PatientReader::new(bytes, &options).expect("a benchmark input");
    reader.map(|patient| patient.expect("a benchmark unit").patient.kohi.len()).sum()
}

/// Which leaf's text the hand extractor is inside.
#[derive(Clone, Copy)]
enum Leaf {
    Class,
    Insurer,
    PublicExpense,
    Identification,
    Beneficiary,
    Qualified,
    Disqualified,
    TicketFrom,
    TicketTo,
    Payer,
    Recipient,
    From,
    To,
}

fn leaf(name: &str) -> Option<Leaf> {
    Some(match name {
        "InsuredCardClassification" => Leaf::Class,
        "InsurerNumber" => Leaf::Insurer,
        "PublicExpenseNumber" => Leaf::PublicExpense,
        "InsuredIdentificationNumber" => Leaf::Identification,
        "BeneficiaryNumber" => Leaf::Beneficiary,
        "QualificationDate" => Leaf::Qualified,
        "DisqualificationDate" => Leaf::Disqualified,
        "MedicalTicketValidDate" => Leaf::TicketFrom,
        "MedicalTicketExpirationDate" => Leaf::TicketTo,
        "MedicalSubsidyInsurerNumber" => Leaf::Payer,
        "MedicalSubsidyRecipientNumber" => Leaf::Recipient,
        "MedicalSubsidyValidStartDate" => Leaf::From,
        "MedicalSubsidyValidEndDate" => Leaf::To,
        _ => return None,
    })
}

/// A hand-written quick-xml event loop that picks out the same fields: what a careful vendor
/// would write for speed.
pub fn hand(bytes: &[u8]) -> Vec<Entry> {
    let text = text_of(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut out = Vec::new();
    let mut patient: Vec<Entry> = Vec::new();
    let mut q = Qualification::default();
    let mut cert: [Cow<'_, str>; 4] = Default::default();
    let mut current: Option<Leaf> = None;
    // The PMH certificates of the result being read: its 医療扶助 entry goes before them.
    let mut certs_in_result = 0;
    // 医療券 seen in the result being read: only the first one's period counts.
    let mut tickets = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => match e.local_name().into_inner() {
                "BulkConfirmUnit" => {
                    order(&mut patient);
                    out.append(&mut patient);
                }
                "ResultOfQualificationConfirmation" => {
                    q = Qualification::default();
                    certs_in_result = 0;
                    tickets = 0;
                }
                "MedicalTicketInfo" => {
                    tickets += 1;
                    if tickets == 1 {
                        q.ticket = Some(Default::default());
                    }
                }
                "MedicalSubsidyCertificateInfo" => cert = Default::default(),
                name => current = leaf(name),
            },
            Ok(Event::Text(t)) => {
                let Some(which) = current else { continue };
                let value = t.into_inner();
                match which {
                    Leaf::Class => q.class = value,
                    Leaf::Insurer => q.insurer = value,
                    Leaf::PublicExpense => q.public_expense = Some(value),
                    Leaf::Identification => q.identification = value,
                    Leaf::Beneficiary => q.beneficiary = Some(value),
                    Leaf::Qualified => q.qualified = value,
                    Leaf::Disqualified => q.disqualified = value,
                    Leaf::TicketFrom if tickets == 1 => q.ticket.get_or_insert_default().0 = value,
                    Leaf::TicketTo if tickets == 1 => q.ticket.get_or_insert_default().1 = value,
                    Leaf::TicketFrom | Leaf::TicketTo => {}
                    Leaf::Payer => cert[0] = value,
                    Leaf::Recipient => cert[1] = value,
                    Leaf::From => cert[2] = value,
                    Leaf::To => cert[3] = value,
                }
            }
            Ok(Event::End(e)) => {
                current = None;
                match e.local_name().into_inner() {
                    "MedicalSubsidyCertificateInfo" => {
                        patient.push(entry(&cert[0], &cert[1], &cert[2], &cert[3]));
                        certs_in_result += 1;
                    }
                    "ResultOfQualificationConfirmation" => {
                        if let Some(aid) = q.medical_aid() {
                            patient.insert(patient.len() - certs_in_result, aid);
                        }
                    }
                    "BulkConfirmUnit" | "MessageBody" => {
                        order(&mut patient);
                        out.append(&mut patient);
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// roxmltree: a DOM over the text, then the same walk.
pub fn roxmltree(bytes: &[u8]) -> Vec<Entry> {
    let text = text_of(bytes);
    let Ok(doc) = roxmltree::Document::parse(&text) else { return Vec::new() };
    let child_text = |n: roxmltree::Node<'_, '_>, name: &str| -> String {
        n.children().find(|c| c.has_tag_name(name)).and_then(|c| c.text()).unwrap_or_default().to_owned()
    };
    let units: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("BulkConfirmUnit")).collect();
    let patients = if units.is_empty() { vec![doc.root_element()] } else { units };
    let mut out = Vec::new();
    for unit in patients {
        let mut patient = Vec::new();
        for r in unit.descendants().filter(|n| n.has_tag_name("ResultOfQualificationConfirmation")) {
            if child_text(r, "InsuredCardClassification") == "A1" {
                let or = |a: &str, b: &str| {
                    let first = child_text(r, a);
                    if r.children().any(|c| c.has_tag_name(a)) { first } else { child_text(r, b) }
                };
                let payer = or("PublicExpenseNumber", "InsurerNumber");
                let recipient = or("BeneficiaryNumber", "InsuredIdentificationNumber");
                let (from, to) = match r.descendants().find(|n| n.has_tag_name("MedicalTicketInfo")) {
                    Some(t) => (child_text(t, "MedicalTicketValidDate"), child_text(t, "MedicalTicketExpirationDate")),
                    None => (child_text(r, "QualificationDate"), child_text(r, "DisqualificationDate")),
                };
                patient.push(entry(&payer, &recipient, &from, &to));
            }
            for c in r.descendants().filter(|n| n.has_tag_name("MedicalSubsidyCertificateInfo")) {
                patient.push(entry(
                    &child_text(c, "MedicalSubsidyInsurerNumber"),
                    &child_text(c, "MedicalSubsidyRecipientNumber"),
                    &child_text(c, "MedicalSubsidyValidStartDate"),
                    &child_text(c, "MedicalSubsidyValidEndDate"),
                ));
            }
        }
        order(&mut patient);
        out.append(&mut patient);
    }
    out
}

/// quick-xml's serde: typed structs for the few elements wanted, the rest skipped.
pub mod serde_peer {
    use serde::Deserialize;

    use super::{Entry, entry, order, text_of};

    #[derive(Deserialize)]
    struct XmlMsg {
        #[serde(rename = "MessageBody")]
        body: Body,
    }

    #[derive(Deserialize)]
    struct Body {
        #[serde(rename = "ResultList", default)]
        results: Option<ResultList>,
        #[serde(rename = "BulkConfirmUnit", default)]
        units: Vec<Unit>,
    }

    #[derive(Deserialize)]
    struct Unit {
        #[serde(rename = "ResultList", default)]
        results: Option<ResultList>,
    }

    #[derive(Deserialize)]
    struct ResultList {
        #[serde(rename = "ResultOfQualificationConfirmation", default)]
        results: Vec<Result>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Result {
        insured_card_classification: Option<String>,
        insurer_number: Option<String>,
        public_expense_number: Option<String>,
        insured_identification_number: Option<String>,
        beneficiary_number: Option<String>,
        qualification_date: Option<String>,
        disqualification_date: Option<String>,
        medical_subsidy_certificate_list: Option<CertificateList>,
        public_expense_result_list: Option<TicketList>,
    }

    #[derive(Deserialize)]
    struct TicketList {
        #[serde(rename = "MedicalTicketInfo", default)]
        tickets: Vec<Ticket>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Ticket {
        medical_ticket_valid_date: Option<String>,
        medical_ticket_expiration_date: Option<String>,
    }

    #[derive(Deserialize)]
    struct CertificateList {
        #[serde(rename = "MedicalSubsidyCertificateInfo", default)]
        certificates: Vec<Certificate>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Certificate {
        medical_subsidy_insurer_number: Option<String>,
        medical_subsidy_recipient_number: Option<String>,
        medical_subsidy_valid_start_date: Option<String>,
        medical_subsidy_valid_end_date: Option<String>,
    }

    fn s(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or_default()
    }

    fn patient(results: &Option<ResultList>, out: &mut Vec<Entry>) {
        let mut entries = Vec::new();
        for r in results.iter().flat_map(|l| &l.results) {
            if s(&r.insured_card_classification) == "A1" {
                let payer = r.public_expense_number.as_ref().or(r.insurer_number.as_ref());
                let recipient = r.beneficiary_number.as_ref().or(r.insured_identification_number.as_ref());
                let (from, to) = match r.public_expense_result_list.as_ref().and_then(|l| l.tickets.first()) {
                    Some(t) => (&t.medical_ticket_valid_date, &t.medical_ticket_expiration_date),
                    None => (&r.qualification_date, &r.disqualification_date),
                };
                entries.push(entry(s(&payer.cloned()), s(&recipient.cloned()), s(from), s(to)));
            }
            for c in r.medical_subsidy_certificate_list.iter().flat_map(|l| &l.certificates) {
                entries.push(entry(
                    s(&c.medical_subsidy_insurer_number),
                    s(&c.medical_subsidy_recipient_number),
                    s(&c.medical_subsidy_valid_start_date),
                    s(&c.medical_subsidy_valid_end_date),
                ));
            }
        }
        order(&mut entries);
        out.append(&mut entries);
    }

    /// The peer: deserialise, then the same walk.
    pub fn extract(bytes: &[u8]) -> Vec<Entry> {
        let text = text_of(bytes);
        let Ok(msg) = quick_xml::de::from_str::<XmlMsg>(&text) else { return Vec::new() };
        let mut out = Vec::new();
        patient(&msg.body.results, &mut out);
        for unit in &msg.body.units {
            patient(&unit.results, &mut out);
        }
        out
    }
}

/// kohi itself: the whole parse (model, numbers, mapping) and the 公費 read off its result.
pub fn kohi_parse(bytes: &[u8]) -> kohi::Document {
    kohi::parse_with(bytes, &kohi::ParseOptions::default().with_max_input_bytes(1 << 30)).expect("a benchmark input")
}

/// kohi's 公費 as the peers report them (for tests/agree.rs).
pub fn kohi_entries(doc: &kohi::Document) -> Vec<Entry> {
    let text = |v: &Option<kohi::Personal<kohi::Text>>| v.as_ref().map(|p| p.expose().to_string()).unwrap_or_default();
    let date = |d: &Option<_>| d.as_ref().map(|d: &kohi::model::Date| d.raw.to_string()).unwrap_or_default();
    doc.patients
        .iter()
        .flat_map(|p| &p.kohi)
        .map(|k| Entry {
            payer: text(&k.payer_number),
            payer_valid: k.payer_number_valid == Some(true),
            recipient: text(&k.recipient_number),
            from: date(&k.valid_from),
            to: date(&k.valid_to),
        })
        .collect()
}
