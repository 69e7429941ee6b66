//! 公費 for the レセプト: one list per patient, from PMH subsidies and from 医療扶助, in
//! 第1〜第4公費 order.
//!
//! Order (docs/DOMAIN.md §5.2): national programs in the order of the 記載要領 別添「法別番号及び制度の
//! 略称表」 (生活保護 12 last among them), then 地方単独 programs in input order. Four slots; a
//! fifth and later keep their data with `slot: None` and a `slot_overflow` warning.
//!
//! Renewals: every April a certificate is renewed, and a result may carry the old and the new one
//! (same 公費負担者番号 and 受給者番号, another period, cap or segment). Both are kept. The one
//! valid on the confirmation date is `current` and takes the slot; the others are `superseded`
//! or `not_yet_valid`, take no slot, come after every slotted entry, and warn `renewed_kohi`.
//! Only a certificate equal in every field to one already listed is merged (`duplicate_kohi`).

use chrono::NaiveDate;

use crate::codes::CodeList;
use crate::layout::names as N;
pub use crate::model::{KohiEntry, KohiSource, Renewal, Scope};
use crate::model::{MedicalSubsidy, Patient, Qualification, Text, Warning, WarningCode};
use crate::numbers::{NumberKind, NumberText, is_valid_normalized, split_payer_number};
use crate::personal::Personal;
use crate::programs::national_program;
pub use crate::programs::{NATIONAL_PROGRAMS, RECEIPT_ORDER};

/// Slots on the レセプト: 第1〜第4公費.
pub const SLOTS: usize = 4;

/// 法別番号 of 生活保護 (医療扶助).
const MEDICAL_AID_LAW: &str = "12";

/// Where an entry goes: replaced renewals last; national programs in 記載要領 order; local after.
fn order_weight(entry: &KohiEntry) -> (bool, usize) {
    let law = match (entry.scope, &entry.law_number) {
        (Scope::National, Some(law)) => RECEIPT_ORDER.iter().position(|l| l == law).unwrap_or(RECEIPT_ORDER.len()),
        _ => usize::MAX,
    };
    (entry.is_replaced(), law)
}

/// Equal in every field but where it came from: the same certificate sent twice.
fn same_certificate(this: &KohiEntry, other: &KohiEntry) -> bool {
    let content = |k: &KohiEntry| serde_json::to_value(KohiEntry { path: String::new(), ..k.clone() }).ok();
    this.key() == other.key() && content(this) == content(other)
}

/// The numbers of an entry, with the element names they came from (for warning paths).
struct Numbers<'a> {
    payer: Option<&'a NumberText>,
    payer_element: &'static str,
    recipient: Option<&'a NumberText>,
    recipient_element: &'static str,
}

fn entry_from_numbers(
    source: KohiSource,
    numbers: Numbers<'_>,
    path: String,
    warnings: &mut Vec<Warning>,
) -> KohiEntry {
    let payer_value = numbers.payer.map(NumberText::value);
    let parts = payer_value.and_then(split_payer_number);
    let program = parts.and_then(|p| national_program(p.law));
    let scope = if program.is_some() { Scope::National } else { Scope::Local };
    let payer_number_valid = payer_value.map(|p| is_valid_normalized(NumberKind::Payer, p));
    if payer_number_valid == Some(false) {
        warnings.push(Warning::under(WarningCode::PayerCheckDigit, &path, numbers.payer_element));
    }
    let recipient_number_valid = match (numbers.recipient, scope) {
        (Some(r), Scope::National) => Some(is_valid_normalized(NumberKind::Recipient, r.value())),
        _ => None,
    };
    if recipient_number_valid == Some(false) {
        warnings.push(Warning::under(WarningCode::RecipientCheckDigit, &path, numbers.recipient_element));
    }
    KohiEntry {
        slot: None,
        source,
        law_number: parts.map(|p| Text::from(p.law)),
        prefecture_number: parts.map(|p| Text::from(p.prefecture)),
        agency_number: parts.map(|p| Text::from(p.agency)),
        payer_number_raw: numbers.payer.map(|p| Personal::new(Text::from(p.raw()))),
        payer_number: numbers.payer.map(|p| Personal::new(Text::from(p.value()))),
        payer_number_valid,
        recipient_number: numbers.recipient.map(|r| Personal::new(Text::from(r.value()))),
        recipient_number_raw: numbers.recipient.map(|r| Personal::new(Text::from(r.raw()))),
        recipient_number_valid,
        scope,
        program: program.flatten(),
        certificate_name: None,
        valid_from: None,
        valid_to: None,
        income_segment: None,
        max_copayment: None,
        always_reimbursement: None,
        segment: None,
        certification_sub_key: None,
        additional_conditions: None,
        designated_medical_institutions: None,
        welfare_office_name: None,
        path,
        renewal: None,
    }
}

/// 医療扶助 (§3.5 A1 rules): 公費負担者番号 from `PublicExpenseNumber` else `InsurerNumber`;
/// 受給者番号 from `BeneficiaryNumber` else `InsuredIdentificationNumber`; 福祉事務所名 from
/// `WelfareOfficeName` else `InsurerName`. Validity: the first 医療券's period (the clinic bills
/// against the ticket), else the 保護 start/stop dates of the result.
fn medical_aid_entry(q: &Qualification, warnings: &mut Vec<Warning>) -> KohiEntry {
    let aid = q.medical_aid_details();
    let (payer, payer_element) = match &aid.public_expense_number {
        Some(n) => (Some(&n.text), N::PUBLIC_EXPENSE_NUMBER),
        None => (q.insurer_number.as_ref().map(|n| &n.text), N::INSURER_NUMBER),
    };
    let (recipient, recipient_element) = match &aid.beneficiary_number {
        Some(n) => (Some(n), N::BENEFICIARY_NUMBER),
        None => (q.insured_identification_number.as_ref(), N::INSURED_IDENTIFICATION_NUMBER),
    };
    let numbers = Numbers { payer, payer_element, recipient, recipient_element };
    let mut entry = entry_from_numbers(KohiSource::MedicalAid, numbers, q.path.clone(), warnings);
    if entry.law_number.as_deref() == Some(MEDICAL_AID_LAW) || entry.law_number.is_none() {
        entry.program = national_program(MEDICAL_AID_LAW).flatten();
    }
    entry.welfare_office_name = aid.welfare_office_name.clone().or_else(|| q.insurer_name.clone());
    let ticket = aid.medical_tickets.first();
    entry.valid_from =
        ticket.and_then(|t| t.medical_ticket_valid_date.clone()).or_else(|| q.qualification_date.clone());
    entry.valid_to =
        ticket.and_then(|t| t.medical_ticket_expiration_date.clone()).or_else(|| q.disqualification_date.clone());
    entry
}

fn pmh_entry(s: &MedicalSubsidy, warnings: &mut Vec<Warning>) -> KohiEntry {
    let numbers = Numbers {
        payer: s.insurer_number.as_ref(),
        payer_element: N::SUBSIDY_PAYER,
        recipient: s.recipient_number.as_ref(),
        recipient_element: N::SUBSIDY_RECIPIENT,
    };
    let mut entry = entry_from_numbers(KohiSource::Pmh, numbers, s.path.clone(), warnings);
    entry.certificate_name = s.certification_name.clone();
    entry.valid_from = s.valid_start_date.clone();
    entry.valid_to = s.valid_end_date.clone();
    entry.income_segment = s.income_segment.clone();
    entry.max_copayment = s.max_copayment.clone();
    // `0`/`1` as the registration API writes it; a JSON boolean (`true`, the Web API's form of a
    // flag, as an unknown code with its warning) says the same. `null` would read as "no" to a
    // vendor, who would then apply a subsidy the patient must claim back.
    entry.always_reimbursement = s.always_reimbursement.as_ref().and_then(|f| match f.code() {
        "0" => Some(false),
        "1" => Some(true),
        other if other.eq_ignore_ascii_case("false") => Some(false),
        other if other.eq_ignore_ascii_case("true") => Some(true),
        _ => None,
    });
    entry.segment = s.segment.clone();
    entry.certification_sub_key = s.certification_sub_key.clone();
    entry.additional_conditions = s.additional_conditions.clone();
    entry.designated_medical_institutions = s.designated_medical_institutions.clone();
    entry
}

/// Builds `patient.kohi` from its qualifications in レセプト order. `confirmation_date` (the
/// header's 資格確認日) decides which of two renewals is current.
pub fn map_patient(patient: &mut Patient, warnings: &mut Vec<Warning>, confirmation_date: Option<NaiveDate>) {
    // Sized once: grown push by push, a one-entry list held room for four (a KohiEntry is
    // hundreds of bytes, and a 医療扶助 unit of a bulk file has one).
    let expected = patient
        .qualifications
        .iter()
        .map(|q| usize::from(q.is_medical_aid()) + q.medical_subsidies.as_ref().map_or(0, Vec::len))
        .sum();
    let mut entries: Vec<KohiEntry> = Vec::with_capacity(expected);
    // Each entry is made where it is pushed (a list per result first cost an allocation and a
    // copy of every entry).
    let mut add = |entry: KohiEntry, warnings: &mut Vec<Warning>| {
        let duplicate = entry.payer_number.is_some() && entries.iter().any(|e| same_certificate(e, &entry));
        if duplicate {
            warnings.push(Warning { code: WarningCode::DuplicateKohi, path: entry.path.clone() });
        } else {
            entries.push(entry);
        }
    };
    for q in &patient.qualifications {
        if q.is_medical_aid() {
            add(medical_aid_entry(q, warnings), warnings);
        }
        for s in q.medical_subsidies.as_deref().unwrap_or_default() {
            add(pmh_entry(s, warnings), warnings);
        }
    }
    mark_renewals(&mut entries, confirmation_date);
    // Stable: equal weights (the same 法別, or any two 地方単独) keep input order; renewals that
    // are not current come last.
    entries.sort_by_key(order_weight);
    // A 公費 not valid that day (alone, or the current one of renewals none of which is) keeps
    // its slot (no source says otherwise), with a warning: an expired one could hold 第1公費 and
    // push a valid one past the fourth, without a word.
    let outside = |k: &KohiEntry| {
        let Some(day) = confirmation_date else { return false };
        k.valid_from.as_ref().and_then(|d| d.value).is_some_and(|from| from > day)
            || k.valid_to.as_ref().and_then(|d| d.value).is_some_and(|to| to < day)
    };
    let mut slot = 0;
    for entry in &mut entries {
        if !entry.is_replaced() && outside(entry) {
            warnings.push(Warning { code: WarningCode::KohiOutsidePeriod, path: entry.path.clone() });
        }
        if entry.is_replaced() {
            warnings.push(Warning { code: WarningCode::RenewedKohi, path: entry.path.clone() });
        } else if slot < SLOTS {
            slot += 1;
            entry.slot = Some(slot as u8);
        } else {
            warnings.push(Warning { code: WarningCode::SlotOverflow, path: entry.path.clone() });
        }
    }
    patient.kohi = entries;
}

/// Marks every group of two or more certificates with the same numbers: the one valid on the
/// confirmation date (the latest-starting one if several are) is current; with none valid that
/// day, the latest that started before it, else the earliest to start; with no date, the
/// latest-starting one.
fn mark_renewals(entries: &mut [KohiEntry], on: Option<NaiveDate>) {
    let period =
        |k: &KohiEntry| (k.valid_from.as_ref().and_then(|d| d.value), k.valid_to.as_ref().and_then(|d| d.value));
    for first in 0..entries.len() {
        if entries[first].renewal.is_some() || entries[first].payer_number.is_none() {
            continue;
        }
        let same = |i: &usize| entries[*i].key() == entries[first].key();
        // Looked for before collected: most certificates have no renewal, and need no list.
        if !(first + 1..entries.len()).any(|i| same(&i)) {
            continue;
        }
        let group: Vec<usize> = (first..entries.len()).filter(same).collect();
        let start = |i: &usize| period(&entries[*i]).0;
        let valid_on = |i: &&usize, day: NaiveDate| {
            let (from, to) = period(&entries[**i]);
            from.is_none_or(|f| f <= day) && to.is_none_or(|t| t >= day)
        };
        let current = match on {
            Some(day) => group
                .iter()
                .filter(|i| valid_on(i, day))
                .max_by_key(|i| start(i))
                .or_else(|| group.iter().filter(|i| start(i).is_some_and(|f| f <= day)).max_by_key(|i| start(i)))
                .or_else(|| group.iter().min_by_key(|i| start(i))),
            None => group.iter().max_by_key(|i| start(i)),
        };
        let current = current.copied().unwrap_or(first);
        let starts: Vec<Option<NaiveDate>> = group.iter().map(start).collect();
        for (&i, from) in group.iter().zip(starts) {
            let starts_later = matches!((on, from), (Some(day), Some(from)) if from > day);
            entries[i].renewal = Some(match i {
                _ if i == current => Renewal::Current,
                _ if starts_later => Renewal::NotYetValid,
                _ => Renewal::Superseded,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Date, MedicalSubsidy};

    fn subsidy(payer: &str, recipient: &str) -> MedicalSubsidy {
        MedicalSubsidy {
            insurer_number: Some(NumberText::new(payer)),
            recipient_number: Some(NumberText::new(recipient)),
            path: format!("S/{payer}"),
            ..Default::default()
        }
    }

    fn patient(subsidies: Vec<MedicalSubsidy>) -> Patient {
        let q = Qualification { medical_subsidies: Some(subsidies), ..Default::default() };
        Patient { qualifications: vec![q], ..Default::default() }
    }

    fn laws(p: &Patient) -> Vec<(Option<u8>, &str)> {
        p.kohi.iter().map(|k| (k.slot, k.law_number.as_deref().unwrap_or("-"))).collect()
    }

    /// The list holds what it was built for, no more: one 公費 is one entry's memory, not four.
    #[test]
    fn the_kohi_list_is_sized_to_its_entries() {
        for n in [1, 2, 3, 5] {
            let mut p = patient((0..n).map(|i| subsidy("54136015", &format!("12345{i}"))).collect());
            map_patient(&mut p, &mut Vec::new(), None);
            assert_eq!((p.kohi.len(), p.kohi.capacity()), (n, n));
        }
        let mut aid = Patient {
            qualifications: vec![Qualification {
                insured_card_classification: Some(crate::codes::InsuredCardClassification::MedicalAid),
                ..Default::default()
            }],
            ..Default::default()
        };
        map_patient(&mut aid, &mut Vec::new(), None);
        assert_eq!((aid.kohi.len(), aid.kohi.capacity()), (1, 1));
        let mut none = patient(Vec::new());
        map_patient(&mut none, &mut Vec::new(), None);
        assert_eq!(none.kohi.capacity(), 0, "no 公費, no allocation");
    }

    #[test]
    fn order_follows_the_receipt_table_then_local_in_input_order() {
        let mut p = patient(vec![
            subsidy("88131016", "K1"),
            subsidy("54136015", "1234566"),
            subsidy("80136018", "X2"),
            subsidy("21136015", "1234566"),
        ]);
        let mut w = Vec::new();
        map_patient(&mut p, &mut w, None);
        assert_eq!(laws(&p), vec![(Some(1), "21"), (Some(2), "54"), (Some(3), "88"), (Some(4), "80")]);
        assert_eq!(p.kohi[0].scope, Scope::National);
        assert_eq!(p.kohi[0].program, Some("障害者総合支援法 自立支援医療（精神通院医療）"));
        assert_eq!(p.kohi[2].scope, Scope::Local);
        assert_eq!(p.kohi[2].recipient_number_valid, None);
        assert_eq!(p.kohi[1].recipient_number_valid, Some(true));
    }

    #[test]
    fn fifth_has_no_slot_and_warns() {
        let payers = ["54136015", "52136017", "21136015", "88131016", "80136018"];
        let mut p = patient(payers.iter().map(|n| subsidy(n, "1234566")).collect());
        let mut w = Vec::new();
        map_patient(&mut p, &mut w, None);
        assert_eq!(p.kohi.len(), 5);
        assert_eq!(p.kohi[4].slot, None);
        assert_eq!(w.iter().filter(|w| w.code == WarningCode::SlotOverflow).count(), 1);
    }

    #[test]
    fn a_certificate_sent_twice_is_listed_once() {
        let mut p = patient(vec![subsidy("54136015", "1234566"), subsidy("54136015", "1234566")]);
        let mut w = Vec::new();
        map_patient(&mut p, &mut w, None);
        assert_eq!(p.kohi.len(), 1);
        assert_eq!(p.kohi[0].renewal, None);
        assert_eq!(w[0].code, WarningCode::DuplicateKohi);
    }

    fn dated(payer: &str, from: &str, to: &str) -> MedicalSubsidy {
        MedicalSubsidy {
            valid_start_date: Some(Date::parse(from)),
            valid_end_date: Some(Date::parse(to)),
            path: format!("S/{payer}/{from}"),
            ..subsidy(payer, "1234566")
        }
    }

    fn renewals(p: &Patient) -> Vec<(Option<u8>, &str, Option<Renewal>)> {
        p.kohi.iter().map(|k| (k.slot, k.valid_from.as_ref().unwrap().raw.as_ref(), k.renewal)).collect()
    }

    #[test]
    fn a_renewal_keeps_both_and_the_current_one_takes_the_slot() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y%m%d").ok();
        let certificates = || {
            vec![
                dated("54136015", "20260401", "20270331"),
                dated("52136017", "20250401", "20260331"),
                dated("54136015", "20250401", "20260331"),
            ]
        };
        // In June 2025 the old 54 certificate is current; the renewal waits, without a slot.
        let mut p = patient(certificates());
        let mut w = Vec::new();
        map_patient(&mut p, &mut w, day("20250604"));
        assert_eq!(
            renewals(&p),
            vec![
                (Some(1), "20250401", None), // 52: no renewal of its own
                (Some(2), "20250401", Some(Renewal::Current)),
                (None, "20260401", Some(Renewal::NotYetValid)),
            ]
        );
        assert_eq!(p.kohi[0].law_number.as_deref(), Some("52"));
        let codes: Vec<_> = w.iter().map(|w| (w.code, w.path.as_str())).collect();
        assert_eq!(codes, vec![(WarningCode::RenewedKohi, "S/54136015/20260401")]);
        // In May 2026 the renewal is current and the old one superseded.
        let mut p = patient(certificates());
        map_patient(&mut p, &mut Vec::new(), day("20260501"));
        assert_eq!(
            renewals(&p)[1..],
            [(Some(2), "20260401", Some(Renewal::Current)), (None, "20250401", Some(Renewal::Superseded))]
        );
        // No confirmation date: the latest to start is current.
        let mut p = patient(certificates());
        map_patient(&mut p, &mut Vec::new(), None);
        assert_eq!(renewals(&p)[1].2, Some(Renewal::Current));
        assert_eq!(renewals(&p)[1].1, "20260401");
    }

    #[test]
    fn check_digit_warnings() {
        let mut p = patient(vec![subsidy("54136016", "1234567")]);
        let mut w = Vec::new();
        map_patient(&mut p, &mut w, None);
        let codes: Vec<_> = w.iter().map(|w| w.code).collect();
        assert_eq!(codes, vec![WarningCode::PayerCheckDigit, WarningCode::RecipientCheckDigit]);
        assert_eq!(p.kohi[0].payer_number_valid, Some(false));
        // The 法別 still decides scope and order even when the check digit fails.
        assert_eq!(p.kohi[0].scope, Scope::National);
    }
}
