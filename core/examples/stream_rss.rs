//! Peak memory of streaming a bulk file, against its size: `stream_rss UNITS [--whole]`.
//! Writes a UNITS-unit file (unit by unit), then reads it back with `PatientReader` (or, with
//! `--whole`, reads and parses it whole) and prints one JSON line.
//! `stream_rss --face N` instead parses the face fixture N times and keeps every document (as a
//! watcher's consumer holding results would): memory per input byte of small files.
//! With `--max-growth X` it exits 1 when the peak grew by more than X times the input (the
//! hardening step holds whole-file parses to the documented 4x this way: a generous bound for a
//! known bug, not a timing).

use std::io::BufWriter;
use std::time::Instant;

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Parses the face fixture `n` times, keeping every document.
fn faces(n: usize) -> std::io::Result<f64> {
    let xml = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/face_pmh_two.xml"))?;
    let before = peak_rss_kb();
    let started = Instant::now();
    let docs: Vec<kohi::Document> = (0..n).filter_map(|_| kohi::parse(&xml).ok()).collect();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"face x{n}\",\"units\":{n},\"patients\":{},\"file_mb\":{:.1},\"seconds\":{seconds:.3},\"peak_rss_mb\":{:.1},\"rss_before_mb\":{:.1}}}",
        docs.len(),
        (xml.len() * n) as f64 / 1048576.0,
        peak_rss_kb() as f64 / 1024.0,
        before as f64 / 1024.0
    );
    Ok(growth(before, (xml.len() * n) as u64))
}

/// Peak growth over `before` (kB), per byte of input.
fn growth(before_kb: u64, input: u64) -> f64 {
    (peak_rss_kb().saturating_sub(before_kb) * 1024) as f64 / input.max(1) as f64
}

/// The value after `flag`, if given.
fn flag(flag: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != flag).nth(1)
}

fn main() -> std::io::Result<()> {
    let growth = match flag("--face") {
        Some(n) => faces(n.parse().unwrap_or(10_000))?,
        None => bulk()?,
    };
    if let Some(max) = flag("--max-growth").and_then(|m| m.parse::<f64>().ok()) {
        if growth > max {
            eprintln!("peak memory grew by {growth:.2}x the input, over the bound of {max}x");
            std::process::exit(1);
        }
        eprintln!("peak memory grew by {growth:.2}x the input (bound {max}x)");
    }
    Ok(())
}

/// Writes a bulk file, then streams it or parses it whole.
fn bulk() -> std::io::Result<f64> {
    let units: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let whole = std::env::args().any(|a| a == "--whole");
    let path = std::env::temp_dir().join(format!("kohi-bulk-{units}-{}.xml", std::process::id()));
    kohi_fixtures::write_bulk_file(units, BufWriter::new(std::fs::File::create(&path)?))?;
    let size = std::fs::metadata(&path)?.len();
    let before = peak_rss_kb();
    let started = Instant::now();
    let options = kohi::ParseOptions::default().with_max_input_bytes(1 << 30);
    let patients = if whole {
        kohi::parse_file(&path, &options).map(|d| d.patients.len()).unwrap_or(0)
    } else {
        let reader = kohi::PatientReader::new(std::fs::File::open(&path)?, &options).map_err(std::io::Error::other)?;
        reader.filter(Result::is_ok).count()
    };
    let seconds = started.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    println!(
        "{{\"mode\":\"{}\",\"units\":{units},\"patients\":{patients},\"file_mb\":{:.1},\"seconds\":{seconds:.3},\"peak_rss_mb\":{:.1},\"rss_before_mb\":{:.1}}}",
        if whole { "whole" } else { "stream" },
        size as f64 / 1048576.0,
        peak_rss_kb() as f64 / 1024.0,
        before as f64 / 1024.0
    );
    Ok(growth(before, size))
}
