//! The terminal table: one line per 公費 slot. Names are masked (first character only), so the
//! table can be shown at a reception desk or pasted into a ticket.

use std::fmt::Write;
use std::path::Path;

use kohi::codes::CodeList;
use kohi::{Document, Error, KohiEntry, Patient, PmhState};

const COLUMNS: [(&str, usize); 8] = [
    ("FILE", 20),
    ("#", 2),
    ("PATIENT", 7),
    ("SLOT", 4),
    ("公費負担者", 10),
    ("受給者番号", 11),
    ("PROGRAM / CERTIFICATE", 22),
    ("VALID", 17),
];

/// The title line.
pub fn header() -> String {
    let mut out = String::new();
    row(&mut out, COLUMNS.map(|(title, _)| title.to_owned()));
    out
}

/// The lines of one file.
pub fn rows(file: &Path, result: &Result<Document, Error>) -> String {
    let mut out = String::new();
    // File names share long prefixes (`OQSsiquc01res_face_…`): keep their end, which tells them apart.
    let full = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "-".into());
    let name = keep_end(&full, COLUMNS[0].1);
    match result {
        Err(e) => {
            let _ = writeln!(out, "{}  error {}: {e}", fit(&name, COLUMNS[0].1), e.code());
        }
        Ok(doc) if doc.patients.is_empty() => {
            let status = doc.header.segment_of_result.as_ref().and_then(CodeList::label).unwrap_or("-");
            let _ = writeln!(out, "{}  (no patient; 処理結果区分 {status})", fit(&name, COLUMNS[0].1));
        }
        Ok(doc) => {
            for (i, patient) in doc.patients.iter().enumerate() {
                patient_rows(&mut out, &name, i + 1, patient);
            }
        }
    }
    out
}

fn patient_rows(out: &mut String, file: &str, index: usize, patient: &Patient) {
    let who = masked_name(patient);
    // A person-level error (処理結果状況 2 and up: not found, …) is no answer at all: it must
    // never read as "this patient has no 公費".
    let failed = patient.processing_result_status.as_ref().filter(|s| s.code() != "1");
    if let (true, Some(status)) = (patient.kohi.is_empty(), failed) {
        let label = status.label().unwrap_or("-");
        let code = patient.processing_result_code.as_deref().unwrap_or("-");
        let (f, i, p) = (fit(file, COLUMNS[0].1), fit(&index.to_string(), COLUMNS[1].1), fit(&who, COLUMNS[2].1));
        let _ = writeln!(out, "{f} {i} {p} error: 処理結果状況 {} {label} ({code}), no 公費 answer", status.code());
        return;
    }
    let note = |out: &mut String, why: &str| {
        row(
            out,
            [file.into(), index.to_string(), who.clone(), "-".into(), "-".into(), "-".into(), why.into(), "-".into()],
        )
    };
    if patient.kohi.is_empty() {
        let why = match patient.pmh {
            PmhState::Absent => "公費なし (no PMH data)",
            PmhState::ReceivedEmpty => "公費なし (PMH empty)",
            PmhState::Received => "公費なし",
            // `received_unread`, and any state a later kohi adds: never "none".
            _ => UNREAD,
        };
        note(out, why);
        return;
    }
    for k in &patient.kohi {
        row(
            out,
            [
                file.into(),
                index.to_string(),
                who.clone(),
                k.slot.map_or("-".into(), |s| format!("第{s}")),
                exposed(&k.payer_number),
                exposed(&k.recipient_number),
                program(k),
                validity(k),
            ],
        );
    }
    // Beside what was read, PMH data that was not (a certificate under names kohi does not know).
    if !matches!(patient.pmh, PmhState::Received | PmhState::ReceivedEmpty | PmhState::Absent) {
        note(out, UNREAD);
    }
}

/// PMH data came that kohi did not read whole (`received_unread`): `kohi survey` says why.
const UNREAD: &str = "公費未読 (PMH unread)";

fn exposed(value: &Option<kohi::Personal<kohi::Text>>) -> String {
    value.as_ref().map_or("-".into(), |v| v.expose().to_string())
}

/// The first character of the name, else of the kana (a result may carry only `NameKana`).
fn masked_name(patient: &Patient) -> String {
    let name = patient.qualifications.iter().find_map(|q| q.name.as_ref().or(q.name_kana.as_ref()));
    match name.and_then(|n| n.expose().chars().next()) {
        Some(first) => format!("{first}＊＊"),
        None => "-".into(),
    }
}

fn program(k: &KohiEntry) -> String {
    let law = k.law_number.as_deref().unwrap_or("--");
    let name = k.program.or(k.certificate_name.as_deref()).unwrap_or("地方単独");
    format!("{law} {name}")
}

fn validity(k: &KohiEntry) -> String {
    let date = |d: &Option<kohi::model::Date>| {
        d.as_ref().map_or(String::new(), |d| d.value.map_or(d.raw.to_string(), |v| v.format("%Y%m%d").to_string()))
    };
    format!("{}-{}", date(&k.valid_from), date(&k.valid_to))
}

fn row(out: &mut String, cells: [String; 8]) {
    let line: Vec<String> = cells.iter().zip(COLUMNS).map(|(cell, (_, width))| fit(cell, width)).collect();
    let _ = writeln!(out, "{}", line.join(" ").trim_end());
}

/// Pads or cuts to a display width, counting East Asian wide characters as two columns.
/// The end of `text` within `width` display columns, `…` first when it was cut.
fn keep_end(text: &str, width: usize) -> String {
    let total: usize = text.chars().map(char_width).sum();
    if total <= width {
        return text.to_owned();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        if used + char_width(c) > width {
            break;
        }
        used += char_width(c);
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total: usize = text.chars().map(char_width).sum();
    for c in text.chars() {
        let w = char_width(c);
        if total > width && used + w > width - 1 {
            out.push('…');
            used += 1;
            break;
        }
        out.push(c);
        used += w;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

fn char_width(c: char) -> usize {
    match c as u32 {
        0xFF61..=0xFF9F => 1, // half-width kana
        0x1100..=0x115F
        | 0x2460..=0x24FF
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_file_names_keep_their_end() {
        let name = "OQSsiquc01res_face_27142063864da5260a16de5a3d3ad7_20260929160112.xml";
        let kept = keep_end(name, 20);
        assert_eq!(kept, "…_20260929160112.xml");
        assert_eq!(kept.chars().map(char_width).sum::<usize>(), 20);
        assert_eq!(keep_end("short.xml", 20), "short.xml");
    }

    #[test]
    fn fit_pads_and_cuts_by_display_width() {
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit("見本", 5), "見本 ");
        assert_eq!(fit("見本見本", 5), "見本…");
        assert_eq!(fit("ﾐﾎﾝ", 4), "ﾐﾎﾝ ");
    }
}
