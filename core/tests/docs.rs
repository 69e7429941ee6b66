//! The README's error table is the documented one: it must match the code exactly.

#[test]
fn readme_error_table_matches_the_code() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let rows: Vec<(u32, String, String)> = readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let number = cells.get(1)?.parse().ok()?;
            Some((number, cells.get(2)?.trim_matches('`').to_owned(), cells.get(3)?.to_string()))
        })
        .collect();
    let code: Vec<(u32, String, String)> =
        kohi::ERROR_CODES.iter().map(|e| (e.number, e.code.to_owned(), e.meaning.to_owned())).collect();
    assert_eq!(rows, code);
}

#[test]
fn every_fixture_is_described() {
    let readme = std::fs::read_to_string(kohi_fixtures::path("README.md")).unwrap();
    for path in kohi_fixtures::xml_cases() {
        {
            let case = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(readme.contains(&format!("| `{case}` |")), "fixtures/README.md does not describe {case}");
        }
    }
}

/// The README's example layout file is one kohi accepts.
#[test]
fn readme_layout_example_is_valid() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme.split("## The PMH layout is provisional").nth(1).unwrap();
    let example = section.split("```json\n").nth(1).unwrap().split("```").next().unwrap();
    assert!(example.contains("\"wrappers\""));
    kohi::ParseOptions::default().with_layout_json(example).unwrap();
}
