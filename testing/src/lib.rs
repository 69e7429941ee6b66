//! The bundled fixtures (`fixtures/`), for the tests of every kohi crate: one place that knows
//! where they are and how a golden is named.

use std::path::{Path, PathBuf};

/// The `fixtures/` folder of the repository.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The path of one fixture (`name` may have a sub-folder: `webapi/face_pmh_two.json`).
pub fn path(name: &str) -> PathBuf {
    dir().join(name)
}

/// The bytes of one fixture.
pub fn read(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Every `fixtures/*.xml`, sorted.
pub fn xml_cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("fixtures/")
        .map(|e| e.expect("fixtures/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    cases.sort();
    cases
}

/// The golden of a fixture: `<case>.expected.json` beside `<case>.xml` (for a Web API form in a
/// sub-folder, the golden of the XML case of the same name).
pub fn golden_of(case: &Path) -> PathBuf {
    dir().join(case.file_name().expect("a file")).with_extension("expected.json")
}
