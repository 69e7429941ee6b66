//! The Rust peer comparison, in one run: kohi against a hand-written quick-xml extractor,
//! roxmltree and quick-xml's serde, with the bare quick-xml event loop as the floor, on the face
//! result, the Shift_JIS result and generated 1k/10k/100k-unit bulk files.
//!
//! Time is this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), so another process on the machine
//! moves it less than the wall clock. Rounds are interleaved (every tool once per round, in
//! turn), and each tool's figure is the median of its rounds. Prints one JSON line per tool and
//! input, the same fields as bench/peers/*. `scripts/bench.sh` runs it; its command line is
//! [`USAGE`] (`kohi-bench --help`).

use std::hint::black_box;

use kohi_bench::{floor, hand, kohi_stream, roxmltree, serde_peer, streaming_floor};

/// With `--features mimalloc`, every tool runs on mimalloc (the bindings' allocator) instead of
/// the system's: the two runs side by side show which part of a figure is the allocator's.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// With `--features arena-ceiling`, `kohi::parse` allocates from a bump region and its document
/// is forgotten, as an arena model's would be dropped: the most such a model could gain (see
/// `src/arena.rs`). Every other tool runs on the system allocator.
#[cfg(feature = "arena-ceiling")]
#[global_allocator]
static ALLOCATOR: kohi_bench::arena::Ceiling = kohi_bench::arena::Ceiling;
#[cfg(all(feature = "mimalloc", feature = "arena-ceiling"))]
compile_error!("kohi-bench: the features mimalloc and arena-ceiling each choose the allocator; pick one");

/// The allocator every line of this run names.
const ALLOCATOR_NAME: &str = if cfg!(feature = "mimalloc") {
    "mimalloc"
} else if cfg!(feature = "arena-ceiling") {
    "arena-ceiling"
} else {
    "system"
};

/// The `kohi::parse` tool: parse and drop, or in the arena build the parse in the region.
fn kohi_tool(bytes: &[u8]) -> usize {
    #[cfg(feature = "arena-ceiling")]
    return kohi_bench::arena::parse(bytes);
    #[cfg(not(feature = "arena-ceiling"))]
    kohi_bench::kohi_parse(bytes).patients.len()
}

/// This thread's CPU time in seconds.
fn cpu_seconds() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for the call to write; the clock id is a constant.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

type Tool = (&'static str, fn(&[u8]) -> usize);

/// Each tool returns a count so the optimiser keeps its work; the result is dropped inside the
/// timed call, as a caller's would be.
const TOOLS: [Tool; 5] = [
    ("kohi::parse", kohi_tool),
    ("hand-written quick-xml extractor", |b| hand(b).len()),
    ("roxmltree + extraction", |b| roxmltree(b).len()),
    ("quick-xml serde + extraction", |b| serde_peer::extract(b).len()),
    ("quick-xml event loop (floor)", floor),
];

/// Streaming, on the bulk files only: kohi's `PatientReader` against quick-xml's buffered reader.
const STREAMING: [Tool; 2] = [
    ("kohi::PatientReader (streamed)", kohi_stream),
    ("quick-xml buffered event loop (streaming floor)", streaming_floor),
];

/// Whose usage `system_and_faults` reads: this thread where the platform can say (Linux),
/// else the process (the harness runs one thread).
#[cfg(target_os = "linux")]
const USAGE_OF: libc::c_int = libc::RUSAGE_THREAD;
#[cfg(not(target_os = "linux"))]
const USAGE_OF: libc::c_int = libc::RUSAGE_SELF;

/// This thread's system CPU time in seconds and its minor page faults so far.
fn system_and_faults() -> (f64, f64) {
    // SAFETY: an all-zero rusage is a valid value for the call to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid rusage for the call to write; USAGE_OF is a constant.
    unsafe { libc::getrusage(USAGE_OF, &mut usage) };
    let system = usage.ru_stime.tv_sec as f64 + usage.ru_stime.tv_usec as f64 * 1e-6;
    (system, usage.ru_minflt as f64)
}

/// One window of calls, per call.
struct PerCall {
    /// CPU seconds (user and system).
    cpu: f64,
    /// System CPU seconds: mostly the kernel handing out fresh pages (a whole-file model is
    /// written into memory the allocator may have given back since the last call).
    system: f64,
    /// Minor page faults.
    faults: f64,
}

/// Calls between two reads of the clock: enough for about a millisecond of work, so the read
/// (`clock_gettime` of the thread's CPU time, about 0.4 µs) is not part of a call's time. Read
/// after every call, it added itself to every tool's figure (a tenth of a face result's parse),
/// pulling every ratio towards 1.
fn batch_for(first_call: f64) -> u32 {
    if first_call <= 0.0 { 1000 } else { (1e-3 / first_call).clamp(1.0, 1000.0) as u32 }
}

/// Calls repeated until the window is filled (at least one), per call.
fn per_call(tool: fn(&[u8]) -> usize, bytes: &[u8], window: f64) -> PerCall {
    let (start, (system, faults)) = (cpu_seconds(), system_and_faults());
    black_box(tool(black_box(bytes)));
    let mut calls = 1u32;
    let batch = batch_for(cpu_seconds() - start);
    loop {
        let spent = cpu_seconds() - start;
        if spent >= window {
            let (system_now, faults_now) = system_and_faults();
            let n = f64::from(calls);
            return PerCall { cpu: spent / n, system: (system_now - system) / n, faults: (faults_now - faults) / n };
        }
        for _ in 0..batch {
            black_box(tool(black_box(bytes)));
        }
        calls += batch;
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The smallest and largest of `values`.
fn spread(values: &[f64]) -> (f64, f64) {
    values.iter().fold((f64::MAX, 0f64), |(a, b), &v| (a.min(v), b.max(v)))
}

/// The tools whose names start with `prefix` (at least one), for `--repeat` and `--only`.
fn named(prefix: &str) -> Result<Vec<Tool>, String> {
    let all = || TOOLS.iter().chain(&STREAMING);
    let found: Vec<Tool> = all().filter(|(name, _)| name.starts_with(prefix)).copied().collect();
    if found.is_empty() {
        let names = all().map(|(name, _)| *name).collect::<Vec<_>>().join(", ");
        return Err(format!("no tool's name starts with {prefix:?} (tools: {names})"));
    }
    Ok(found)
}

fn inputs(quick: bool) -> Vec<(String, Vec<u8>)> {
    let mut list = vec![
        ("face".to_owned(), kohi_fixtures::read("face_pmh_two.xml")),
        ("sjis".to_owned(), kohi_fixtures::read("insured_card_sjis.xml")),
    ];
    let sizes: &[usize] = if quick { &[1000] } else { &[1000, 10_000, 100_000] };
    for &units in sizes {
        list.push((format!("bulk_{units}"), kohi_fixtures::bulk_file(units)));
    }
    list
}

const USAGE: &str = "\
usage: kohi-bench [--rounds N] [--window-ms M] [--quick] [--only TOOL]
                                                           the peer comparison, JSON lines
                                                           (--only: the tools whose names start
                                                           with TOOL)
       kohi-bench --repeat TOOL UNITS N                    one tool, N times (callgrind, perf)
       kohi-bench --write-bulk DIR                         bulk_{1000,10000,100000}.xml";

/// The flags and how many values each takes.
const FLAGS: [(&str, usize); 6] =
    [("--rounds", 1), ("--window-ms", 1), ("--quick", 0), ("--only", 1), ("--repeat", 3), ("--write-bulk", 1)];

/// `Err` with the message for stderr when the arguments are not ones this binary takes (an
/// unknown flag used to start the full run, minutes long).
fn check_args(args: &[String]) -> Result<(), String> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let Some(&(_, values)) = FLAGS.iter().find(|(flag, _)| flag == arg) else {
            return Err(format!("kohi-bench: unknown argument {arg:?}\n{USAGE}"));
        };
        if args.len() < i + 1 + values {
            return Err(format!("kohi-bench: {arg} takes {values} value(s)\n{USAGE}"));
        }
        i += 1 + values;
    }
    Ok(())
}

/// One line to stdout; false once the reader has gone (`kohi-bench | head`), so the run stops
/// quietly instead of panicking in `println!`.
fn emit(line: &str) -> bool {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}").is_ok()
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        emit(USAGE);
        return std::process::ExitCode::SUCCESS;
    }
    if let Err(message) = check_args(&args) {
        eprintln!("{message}");
        return std::process::ExitCode::from(2);
    }
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("kohi-bench: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    // The `k`-th value after a flag (`check_args` has seen that there is one).
    let value = |flag: &str, k: usize| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1 + k));
    // A number after a flag, or `default` without the flag; a value that is not one is refused.
    fn number<T: std::str::FromStr>(value: Option<&String>, flag: &str, default: T) -> Result<T, String> {
        value.map_or(Ok(default), |v| v.parse().map_err(|_| format!("{flag} takes a number, not {v:?}")))
    }
    if let Some(dir) = value("--write-bulk", 0) {
        for units in [1000, 10_000, 100_000] {
            let path = std::path::Path::new(dir).join(format!("bulk_{units}.xml"));
            // Written beside it and renamed: a run killed while writing (a 78 MB file) left a
            // truncated file that the peers then timed as if it were whole.
            let part = path.with_extension("xml.part");
            std::fs::write(&part, kohi_fixtures::bulk_file(units))
                .and_then(|()| std::fs::rename(&part, &path))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if !emit(&path.display().to_string()) {
                break;
            }
        }
        return Ok(());
    }
    // `--repeat TOOL UNITS N`: one tool on a bulk file, N times, for callgrind or perf.
    if let Some(tool) = value("--repeat", 0) {
        let (units, times) =
            (number(value("--repeat", 1), "--repeat", 1)?, number(value("--repeat", 2), "--repeat", 1)?);
        let bytes = kohi_fixtures::bulk_file(units);
        let (_, run) = *named(tool)?.first().expect("named() returns at least one tool");
        let total: usize = (0..times).map(|_| run(black_box(&bytes))).sum();
        emit(&total.to_string());
        return Ok(());
    }
    let quick = args.iter().any(|a| a == "--quick");
    let rounds: usize = number(value("--rounds", 0), "--rounds", if quick { 1 } else { 7 })?;
    let window = number(value("--window-ms", 0), "--window-ms", if quick { 5.0 } else { 150.0 })? / 1e3;
    let only = value("--only", 0).map(|prefix| named(prefix)).transpose()?;
    for (label, bytes) in inputs(quick) {
        let mut tools: Vec<Tool> =
            if label.starts_with("bulk") { TOOLS.iter().chain(&STREAMING).copied().collect() } else { TOOLS.to_vec() };
        if let Some(only) = &only {
            tools.retain(|(name, _)| only.iter().any(|(kept, _)| kept == name));
        }
        // A warm-up call each, then the rounds.
        for (_, tool) in &tools {
            black_box(tool(&bytes));
        }
        let mut measured: Vec<Vec<PerCall>> = tools.iter().map(|_| Vec::new()).collect();
        for _ in 0..rounds {
            for (i, (_, tool)) in tools.iter().enumerate() {
                measured[i].push(per_call(*tool, &bytes, window));
            }
        }
        for ((name, _), rounds) in tools.iter().zip(measured) {
            let of = |field: fn(&PerCall) -> f64| rounds.iter().map(field).collect::<Vec<f64>>();
            let s = median(of(|r| r.cpu));
            let faults = of(|r| r.faults);
            let (fewest, most) = spread(&faults);
            // The fastest and slowest round: how far this run's rounds were from one another.
            let (fastest, slowest) = spread(&of(|r| r.cpu));
            let line = format!(
                "{{\"language\": \"Rust\", \"allocator\": \"{ALLOCATOR_NAME}\", \"file\": \"{label}\", \"bytes\": {}, \"tool\": \"{name}\", \"cpu_us\": {:.3}, \"docs_per_s\": {}, \"mb_per_s\": {:.1}, \"sys_us\": {:.1}, \"faults_per_doc\": {:.0}, \"faults_fewest\": {fewest:.0}, \"faults_most\": {most:.0}, \"cpu_us_fastest\": {:.3}, \"cpu_us_slowest\": {:.3}}}",
                bytes.len(),
                s * 1e6,
                (1.0 / s).round(),
                bytes.len() as f64 / s / 1e6,
                median(of(|r| r.system)) * 1e6,
                median(faults),
                fastest * 1e6,
                slowest * 1e6,
            );
            if !emit(&line) {
                return Ok(());
            }
        }
    }
    Ok(())
}
