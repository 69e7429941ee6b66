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

/// How many cases a property runs: `PROPTEST_CASES` when set (a longer hunt), else `default`.
/// A property's own `cases` outranks the variable, so a config names this to honour it.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// How many kinds of [`break_at`] there are.
pub const DEFECT_KINDS: usize = 16;

/// A document broken once at byte `at` by defect `kind` (below [`DEFECT_KINDS`]): a byte that
/// does not decode, a control character, the rest cut off, stray or broken markup, a reference
/// to a character XML does not allow, half a UTF-8 character; the last five kinds are markup
/// that is no defect where it falls between elements or in a text (a processing instruction, a
/// comment, CDATA, a line end and a reference, an unknown element). For the properties that hold
/// two readings of the same bytes to one answer, error and place included.
pub fn break_at(bytes: &mut Vec<u8>, at: usize, kind: usize) {
    let at = at.min(bytes.len());
    let inserted: &[u8] = match kind {
        0 => b"\xFF",
        1 => b"\x01",
        2 => {
            bytes.truncate(at);
            return;
        }
        3 => b"<",
        4 => b"&bogus;",
        5 => b"</X>",
        6 => b"<!DOCTYPE x>",
        7 => b"&#1;",
        8 => b"\xE3\x81",
        9 => b"]]>",
        10 => b"<A b=\">",
        11 => b"<?pi x?>",
        12 => b"<!-- x -->",
        13 => b"<![CDATA[x]]>",
        14 => b"\r&amp;",
        _ => b"<U>1</U>",
    };
    bytes.splice(at..at, inserted.iter().copied());
}

/// An empty terminal folder (`req/`, `res/`, `face/`) in the temporary folder, named after
/// `test` and this process (removed first if a killed run left it).
pub fn terminal_folder(test: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("kohi-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for folder in ["req", "res", "face"] {
        std::fs::create_dir_all(root.join(folder)).expect("a terminal folder");
    }
    root
}

/// The golden of a fixture: `<case>.expected.json` beside `<case>.xml` (for a Web API form in a
/// sub-folder, the golden of the XML case of the same name).
pub fn golden_of(case: &Path) -> PathBuf {
    dir().join(case.file_name().expect("a file")).with_extension("expected.json")
}

/// A generated bulk (一括照会) result with `units` patients, every fourth with 医療扶助 (about
/// 780 bytes a unit): the benchmarks' and the peers' bulk input, generated the same everywhere.
pub fn bulk_file(units: usize) -> Vec<u8> {
    let mut xml = Vec::new();
    write_bulk_file(units, &mut xml).expect("writing into memory");
    xml
}

/// [`bulk_file`] written to `out` unit by unit (a memory measurement must not hold the file).
pub fn write_bulk_file(units: usize, mut out: impl std::io::Write) -> std::io::Result<()> {
    out.write_all(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult>\
         <CharacterCodeIdentifier>0</CharacterCodeIdentifier></MessageHeader><MessageBody>\
         <ReceptionNumber>R1</ReceptionNumber><ProcessingResultStatus>1</ProcessingResultStatus>\n"
            .as_bytes(),
    )?;
    for i in 0..units {
        let (class, insurer) = if i % 4 == 3 { ("A1", "12136016") } else { ("01", "  138057") };
        writeln!(
            out,
            "<BulkConfirmUnit><ReferenceNumber>{i}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus>\
             <QualificationValidity>1</QualificationValidity><ResultList><ResultOfQualificationConfirmation>\
             <InsuredCardClassification>{class}</InsuredCardClassification><InsurerNumber>{insurer}</InsurerNumber>\
             <InsuredCardSymbol>練馬</InsuredCardSymbol><InsuredIdentificationNumber>{i:07}</InsuredIdentificationNumber>\
             <InsuredBranchNumber>00</InsuredBranchNumber><Name>見本　一郎</Name><NameKana>ﾐﾎﾝ ｲﾁﾛｳ</NameKana>\
             <Sex1>1</Sex1><Birthdate>19530311</Birthdate><Address>東京都練馬区見本町１－２－３</Address>\
             <QualificationDate>20130401</QualificationDate><InsurerName>練馬区</InsurerName>\
             </ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>"
        )?;
    }
    out.write_all(b"</MessageBody></XmlMsg>\n")?;
    out.flush()
}

/// A reader that hands out at most `n` bytes per read: a stream's reads then end inside
/// characters, tags and buffers everywhere.
pub struct Trickle<'a> {
    /// What is left to read.
    pub data: &'a [u8],
    /// The most bytes one read returns.
    pub n: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let k = self.n.min(out.len()).min(self.data.len());
        out[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}
