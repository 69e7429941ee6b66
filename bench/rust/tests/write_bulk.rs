//! `kohi-bench --write-bulk DIR`: a run killed at any moment leaves each bulk file whole or
//! absent, never truncated (the peers would time a truncated file as if it were the real one).

use std::process::Command;
use std::time::Duration;

#[cfg(unix)]
#[test]
fn a_write_killed_at_any_moment_leaves_no_truncated_bulk_file() {
    let dir = std::env::temp_dir().join(format!("kohi-bench-write-{}", std::process::id()));
    for (round, delay_ms) in [0u64, 40, 80, 160, 320, 640].into_iter().enumerate() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kohi-bench"))
            .arg("--write-bulk")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SIGKILL: no destructor, no flush.
        let _ = child.kill();
        let _ = child.wait();
        for units in [1000, 10_000, 100_000] {
            let path = dir.join(format!("bulk_{units}.xml"));
            if let Ok(bytes) = std::fs::read(&path) {
                assert_eq!(bytes, kohi_fixtures::bulk_file(units), "round {round}: {} is not whole", path.display());
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
