//! Print 第1〜第4公費 for the result files given on the command line.
//!
//!     cargo run -p kohi --example slots -- fixtures/face_pmh_two.xml

use kohi::codes::CodeList;

fn main() -> std::process::ExitCode {
    let options = kohi::ParseOptions::default();
    let mut failed = false;
    for path in std::env::args().skip(1) {
        println!("{path}");
        let doc = match kohi::parse_file(&path, &options) {
            Ok(doc) => doc,
            Err(e) => {
                // Errors carry a stable code and say where, never patient data: safe to log.
                println!("  error {} ({}): {e}", e.code(), e.number());
                failed = true;
                continue;
            }
        };
        for (i, patient) in doc.patients.iter().enumerate() {
            let validity = patient.qualification_validity.as_ref().and_then(|v| v.label()).unwrap_or("-");
            println!("  patient {}: 資格 {validity}, PMH {:?}", i + 1, patient.pmh);
            for k in &patient.kohi {
                let slot = k.slot.map_or("枠外".to_owned(), |s| format!("第{s}公費"));
                let payer = k.payer_number.as_ref().map_or("-", |p| p.expose());
                let recipient = k.recipient_number.as_ref().map_or("-", |r| r.expose());
                let program = k.program.or(k.certificate_name.as_deref()).unwrap_or("地方単独");
                let from = k.valid_from.as_ref().map_or("", |d| d.raw.as_ref());
                let to = k.valid_to.as_ref().map_or("", |d| d.raw.as_ref());
                println!("    {slot} {payer} {recipient} {program} {from}-{to}");
            }
        }
        for w in &doc.warnings {
            println!("  warning {}: {}", w.code.as_str(), w.path);
        }
    }
    if failed { std::process::ExitCode::from(1) } else { std::process::ExitCode::SUCCESS }
}
