//! Bulk 一括照会 results delivered as `.zip`: every entry is listed, each XML entry parsed.
//!
//! An archive is untrusted input like any result file: at most [`MAX_ENTRIES`] entries; each
//! entry is read up to the parse size limit plus one byte (a header that lies about the size does
//! not matter), and all entries together up to four times the limit, so a zip bomb costs bounded
//! memory and time. An entry over a limit, encrypted, in another codec than stored or deflate, or
//! not XML is listed with its error; nothing is skipped silently.

use std::io::{Cursor, Read};

use kohi::{Document, Error, ParseOptions, Result, parse_with};

/// Archives with more entries are refused whole.
pub const MAX_ENTRIES: usize = 10_000;

/// One entry of a bulk archive.
#[derive(Debug)]
pub struct ArchiveEntry {
    /// The entry's name inside the archive.
    pub name: String,
    /// The entry parsed, or why it did not.
    pub outcome: std::result::Result<Box<Document>, Error>,
}

fn invalid_archive() -> Error {
    Error::io(std::io::ErrorKind::InvalidData.into())
}

/// Every entry of the archive in `bytes`. An archive that is not a zip (or not complete yet) is an
/// `io` error of kind `InvalidData`.
pub(crate) fn read_archive(bytes: &[u8], options: &ParseOptions) -> Result<Vec<ArchiveEntry>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| invalid_archive())?;
    if archive.len() > MAX_ENTRIES {
        return Err(invalid_archive());
    }
    let limit = options.max_input_bytes();
    let mut budget = limit.saturating_mul(4);
    let mut entries = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let listed = archive.name_for_index(index).map_or_else(|| format!("#{index}"), str::to_owned);
        let Ok(mut file) = archive.by_index(index) else {
            // Encrypted, another codec, or a broken header: listed, never dropped.
            entries.push(ArchiveEntry { name: listed, outcome: Err(invalid_archive()) });
            continue;
        };
        if file.is_dir() {
            continue;
        }
        let name = file.name().to_owned();
        let outcome = if !name.to_ascii_lowercase().ends_with(".xml") {
            Err(Error::io(std::io::ErrorKind::Unsupported.into()))
        } else {
            let too_large =
                |size: u64| Error::InputTooLarge { size: usize::try_from(size).unwrap_or(usize::MAX), limit };
            let mut xml = Vec::new();
            match (&mut file).take(limit.min(budget) as u64 + 1).read_to_end(&mut xml) {
                Err(_) => Err(invalid_archive()),
                Ok(read) if read > limit.min(budget) => Err(too_large(file.size().max(read as u64))),
                Ok(read) => {
                    budget -= read;
                    parse_with(&xml, options).map(Box::new)
                }
            }
        };
        entries.push(ArchiveEntry { name, outcome });
    }
    Ok(entries)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    /// A zip with the given (name, bytes, deflated) entries.
    pub(crate) fn zip_of(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes, deflated) in entries {
            let method = if *deflated { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
            writer.start_file(*name, zip::write::SimpleFileOptions::default().compression_method(method)).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn every_entry_is_listed_and_each_xml_parsed() {
        let bulk = fixture("bulk_three_units.xml");
        let bytes = zip_of(&[
            ("OQSmuquc02res_0001.xml", &bulk, true),
            ("OQSmuquc02res_0002.xml", &fixture("face_pmh_two.xml"), false),
            ("broken.xml", b"<XmlMsg>", true),
            ("readme.txt", b"hello", false),
        ]);
        let entries = read_archive(&bytes, &ParseOptions::default()).unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["OQSmuquc02res_0001.xml", "OQSmuquc02res_0002.xml", "broken.xml", "readme.txt"]);
        let first = entries[0].outcome.as_ref().unwrap();
        assert_eq!(kohi::to_json(first), kohi::to_json(&kohi::parse(&bulk).unwrap()));
        assert!(entries[1].outcome.is_ok());
        assert_eq!(entries[2].outcome.as_ref().unwrap_err().code(), "malformed_xml");
        assert_eq!(entries[3].outcome.as_ref().unwrap_err().code(), "io");
    }

    #[test]
    fn a_bomb_is_bounded_and_a_truncated_archive_is_an_error() {
        // 64 MiB of zeros deflate to ~64 KiB; with a 1 MiB limit it is refused after 1 MiB.
        let zeros = vec![b'0'; 64 << 20];
        let bytes = zip_of(&[("bomb.xml", &zeros, true)]);
        assert!(bytes.len() < 1 << 20);
        let options = ParseOptions::default().with_max_input_bytes(1 << 20);
        let entries = read_archive(&bytes, &options).unwrap();
        assert_eq!(entries[0].outcome.as_ref().unwrap_err().code(), "input_too_large");
        let e = read_archive(&bytes[..bytes.len() / 2], &options).unwrap_err();
        assert!(matches!(e, Error::Io { kind: std::io::ErrorKind::InvalidData, .. }), "{e}");
    }
}
