//! Compare the 公費 a レセコン has stored for a patient with what a result reports.
//!
//! Absence never proposes ending a stored 公費: PMH sends nothing when the patient refused
//! consent, when the municipality does not take part, or when the qualification was lost, and
//! the three cannot be told apart (docs/DOMAIN.md §3.1). A stored record that the result could not have
//! reported is `Unknown`; only a record missing from a result that did report and that kohi
//! read whole (`received`) is `NotReported`, and even that is for a person to check, not to
//! end automatically.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::mapping::KohiEntry;
use crate::model::{MaxCopayment, Patient, PmhState};
use crate::numbers::normalize;

/// One 公費 as the レセコン holds it. JSON uses the contract's names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KohiRecord {
    /// 公費負担者番号.
    pub payer_number: String,
    #[serde(default)]
    /// 受給者番号.
    pub recipient_number: Option<String>,
    #[serde(default)]
    /// 有効開始年月日.
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    /// 有効終了年月日.
    pub valid_to: Option<NaiveDate>,
    #[serde(default)]
    /// 所得区分.
    pub income_segment: Option<String>,
    /// Yen, ASCII digits.
    #[serde(default)]
    pub max_copayment: Option<String>,
}

impl KohiRecord {
    /// Reads a JSON array of records (the form the C, Python and Node bindings accept).
    pub fn list_from_json(json: &str) -> Result<Vec<KohiRecord>> {
        serde_json::from_str(json).map_err(|e| Error::InvalidStoredRecord {
            reason: format!("line {}, column {}: {}", e.line(), e.column(), classify(&e)),
        })
    }

    fn law_number(&self) -> Option<&str> {
        self.payer_number.get(0..2)
    }
}

// serde_json's messages can quote values (numbers, names): say only what kind of problem it is.
fn classify(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not valid JSON",
        serde_json::error::Category::Data => "not an array of records with the expected fields and types",
        serde_json::error::Category::Io => "read error",
    }
}

/// Which fields of a matched 公費 differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangedField {
    /// 有効開始年月日.
    ValidFrom,
    /// 有効終了年月日.
    ValidTo,
    /// 所得区分.
    IncomeSegment,
    /// 自己負担上限額.
    MaxCopayment,
}

/// What to propose for one 公費.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Reported, not stored.
    Added {
        /// The 公費 as the result reports it.
        kohi: KohiEntry,
    },
    /// Stored and reported, with different values in `fields`.
    Changed {
        /// Index of the stored record.
        stored: usize,
        /// The 公費 as the result reports it.
        kohi: KohiEntry,
        /// Which fields differ.
        fields: Vec<ChangedField>,
    },
    /// Stored and reported with the same values.
    Unchanged {
        /// Index of the stored record.
        stored: usize,
        /// The 公費 as the result reports it.
        kohi: KohiEntry,
    },
    /// Reported with an end date before today.
    Expired {
        /// Index of the stored record, when one matches.
        stored: Option<usize>,
        /// The 公費 as the result reports it.
        kohi: KohiEntry,
    },
    /// Stored, and missing from a result that did report its source. Check the paper 受給者証.
    NotReported {
        /// Index of the stored record.
        stored: usize,
    },
    /// Stored, and the result could not have reported it (no PMH data, or consent not given), or
    /// its PMH data was not read whole (`received_unread`).
    Unknown {
        /// Index of the stored record.
        stored: usize,
    },
}

fn same_number(stored: Option<&str>, received: Option<&str>) -> bool {
    stored.map(normalize).as_deref() == received
}

fn max_copay_amount(m: &Option<MaxCopayment>) -> Option<&str> {
    m.as_ref().and_then(|m| m.amount.as_deref())
}

fn changed_fields(stored: &KohiRecord, kohi: &KohiEntry) -> Vec<ChangedField> {
    let mut fields = Vec::new();
    if stored.valid_from != kohi.valid_from.as_ref().and_then(|d| d.value) {
        fields.push(ChangedField::ValidFrom);
    }
    if stored.valid_to != kohi.valid_to.as_ref().and_then(|d| d.value) {
        fields.push(ChangedField::ValidTo);
    }
    if stored.income_segment.as_deref() != kohi.income_segment.as_deref() {
        fields.push(ChangedField::IncomeSegment);
    }
    if stored.max_copayment.as_deref() != max_copay_amount(&kohi.max_copayment) {
        fields.push(ChangedField::MaxCopayment);
    }
    fields
}

/// Of a renewal (certificates with the same numbers), the one valid `today` (the latest to start,
/// if several are); else `first` (the current one on the result's own date).
fn valid_sibling(kohi: &[KohiEntry], first: usize, today: NaiveDate) -> usize {
    let valid_today = |k: &KohiEntry| {
        k.valid_from.as_ref().and_then(|d| d.value).is_none_or(|f| f <= today)
            && k.valid_to.as_ref().and_then(|d| d.value).is_none_or(|t| t >= today)
    };
    (0..kohi.len())
        .filter(|&i| kohi[i].key() == kohi[first].key() && valid_today(&kohi[i]))
        .max_by_key(|&i| kohi[i].valid_from.as_ref().and_then(|d| d.value))
        .unwrap_or(first)
}

fn expired(kohi: &KohiEntry, today: NaiveDate) -> bool {
    kohi.valid_to.as_ref().and_then(|d| d.value).is_some_and(|end| end < today)
}

/// `today` as the bindings take it: `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The changes as JSON (the form the bindings return).
pub fn changes_to_json(changes: &[Change]) -> String {
    serde_json::to_string(changes).unwrap_or_else(|_| String::from("[]"))
}

/// Proposes changes: one per stored record (in order), then one per reported 公費 not stored.
///
/// ```
/// use kohi::reconcile::{reconcile, Change, ChangedField, KohiRecord};
/// let doc = kohi::parse_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml"), &kohi::ParseOptions::default())?;
/// let mut stored = KohiRecord::default();
/// stored.payer_number = "52136017".into();
/// stored.recipient_number = Some("1234566".into());
/// let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 4).unwrap();
/// let changes = reconcile(&[stored], &doc.patients[0], today);
/// // The stored one is reported with new dates, 所得区分 and cap; the 子ども医療証 is new.
/// assert!(matches!(&changes[0], Change::Changed { stored: 0, fields, .. } if fields.contains(&ChangedField::ValidTo)));
/// assert!(matches!(&changes[1], Change::Added { .. }));
/// # Ok::<(), kohi::Error>(())
/// ```
pub fn reconcile(stored: &[KohiRecord], patient: &Patient, today: NaiveDate) -> Vec<Change> {
    let mut matched = vec![false; patient.kohi.len()];
    let medical_aid_reported = patient.qualifications.iter().any(|q| q.is_medical_aid());
    let mut changes = Vec::with_capacity(stored.len() + patient.kohi.len());
    for (index, record) in stored.iter().enumerate() {
        let found = patient.kohi.iter().position(|k| {
            same_number(Some(&record.payer_number), k.key().0)
                && same_number(record.recipient_number.as_deref(), k.key().1)
        });
        let found = found.map(|i| valid_sibling(&patient.kohi, i, today));
        let change = match found {
            Some(i) => {
                // A renewal: the stored record is compared with the current certificate (listed
                // first); its siblings are the same 公費 and are not proposed again.
                for (j, k) in patient.kohi.iter().enumerate() {
                    matched[j] |= k.key() == patient.kohi[i].key();
                }
                let kohi = patient.kohi[i].clone();
                if expired(&kohi, today) {
                    Change::Expired { stored: Some(index), kohi }
                } else {
                    let fields = changed_fields(record, &kohi);
                    if fields.is_empty() {
                        Change::Unchanged { stored: index, kohi }
                    } else {
                        Change::Changed { stored: index, kohi, fields }
                    }
                }
            }
            None => {
                // 生活保護 comes only from an A1 result; everything else only from PMH.
                let source_reported = if record.law_number() == Some("12") {
                    medical_aid_reported
                } else {
                    // Received and read whole (not `received_unread`: a certificate under names
                    // kohi does not read may be this record's).
                    patient.pmh == PmhState::Received
                };
                if source_reported { Change::NotReported { stored: index } } else { Change::Unknown { stored: index } }
            }
        };
        changes.push(change);
    }
    // Of a renewal, only the current certificate is proposed.
    let unmatched = patient.kohi.iter().zip(&matched).filter(|(k, m)| !**m && !k.is_replaced());
    for (kohi, _) in unmatched {
        let kohi = kohi.clone();
        changes.push(if expired(&kohi, today) {
            Change::Expired { stored: None, kohi }
        } else {
            Change::Added { kohi }
        });
    }
    changes
}
