//! The shape of the code, checked: modules form no cycle, element names live in the layout
//! alone, and nothing in the repository points at a path outside it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Each module of `core/src` (but `lib.rs`) with its code outside `#[cfg(test)]`.
fn modules() -> BTreeMap<String, String> {
    std::fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.ends_with("lib.rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_owned();
            (p.file_stem().unwrap().to_string_lossy().into_owned(), code)
        })
        .collect()
}

/// The modules `code` uses: `crate::name` and `use crate::{a, b::c}`.
fn uses(code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(group.len())].split(',').collect(),
            None => vec![rest],
        };
        for name in names {
            let name: String = name.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if known.contains(&name) {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn core_modules_form_no_cycle() {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let graph: BTreeMap<&str, BTreeSet<String>> = modules
        .iter()
        .map(|(m, code)| (m.as_str(), uses(code, &known).into_iter().filter(|d| d != m).collect()))
        .collect();
    assert!(
        graph["parse"].contains("layout") && graph["mapping"].contains("model"),
        "the scan sees imports: {graph:?}"
    );
    // Depth-first search; a module met again on the current path closes a cycle.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<&str, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(m) {
            return;
        }
        assert!(!path.contains(&m), "module cycle: {} -> {m}", path.join(" -> "));
        path.push(m);
        for d in &graph[m] {
            visit(d, graph, path, done);
        }
        path.pop();
        done.insert(m);
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn element_names_are_spelled_only_in_the_layout() {
    let layout = std::fs::read_to_string(src().join("layout.rs")).unwrap();
    let names: BTreeSet<&str> = kohi::layout::TABLE.iter().map(|row| row.1).collect();
    assert!(names.len() > 100, "{}", names.len());
    let mut found = Vec::new();
    for (module, code) in modules() {
        if module == "layout" {
            continue;
        }
        // String and byte-string literals of the code, comments left out (no escaped quotes in
        // this code base's literals).
        let code: String =
            code.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
        for literal in code.split('"').skip(1).step_by(2) {
            let hit = names
                .iter()
                .find(|n| literal == **n || literal.contains(&format!("/{n}")) || literal.contains(&format!("<{n}")));
            if let Some(name) = hit {
                found.push(format!("{module}: {name}"));
            }
        }
    }
    assert!(found.is_empty(), "element names outside core/src/layout.rs: {found:?}");
    assert!(layout.contains("pub mod names"));
}

#[test]
fn nothing_points_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tracked = std::process::Command::new("git").args(["ls-files"]).current_dir(&root).output();
    let Some(tracked) = tracked.ok().filter(|o| o.status.success()) else { return };
    let mut found = Vec::new();
    for file in String::from_utf8_lossy(&tracked.stdout).lines() {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else { continue };
        for needle in ["../shared", "shared/reference", "domain.md", "/work/", "core/ERRORS.md"] {
            if text.contains(needle) && !file.ends_with("core/tests/architecture.rs") {
                found.push(format!("{file}: {needle}"));
            }
        }
    }
    assert!(found.is_empty(), "{found:?}");
}

/// Every C field enum value is named after a key of the contract at its level (the C getters are
/// a subset of the JSON; `ffi/README.md` says which); a bulk file's status, read with the
/// header's getter, as `KOHI_HEADER_FIELD_BULK_<key of bulk>`.
#[test]
fn c_field_enums_name_contract_keys() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let header = std::fs::read_to_string(root.join("ffi/include/kohi.h")).unwrap();
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("fixtures/face_pmh_two.expected.json")).unwrap())
            .unwrap();
    let patient = &golden["patients"][0];
    let bulk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("fixtures/bulk_three_units.expected.json")).unwrap())
            .unwrap();
    let levels: [(&str, Vec<&serde_json::Value>); 6] = [
        ("KOHI_HEADER_FIELD_BULK_", vec![&bulk["bulk"]]),
        ("KOHI_HEADER_FIELD_", vec![&golden["header"], &golden]),
        ("KOHI_PATIENT_FIELD_", vec![patient]),
        ("KOHI_QUALIFICATION_FIELD_", vec![&patient["qualifications"][0]]),
        ("KOHI_KOHI_FIELD_", vec![&patient["kohi"][0]]),
        ("KOHI_KOHI_FLAG_", vec![&patient["kohi"][0]]),
    ];
    let mut checked = 0;
    for (prefix, objects) in levels {
        for line in header.lines() {
            let Some(rest) = line.trim().strip_prefix(prefix) else { continue };
            if prefix == "KOHI_HEADER_FIELD_" && rest.starts_with("BULK_") {
                continue; // checked at the level of `bulk`, above
            }
            let key = rest.split([' ', '=']).next().unwrap().to_ascii_lowercase();
            assert!(
                objects.iter().any(|o| o.as_object().is_some_and(|o| o.contains_key(&key))),
                "{prefix}{} is not a key of the contract",
                key.to_ascii_uppercase()
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}

/// No Windows build runs here, so Unix-only APIs are kept behind `cfg(unix)`: every use of
/// `std::os::unix` (or `libc`) in the crates a Windows vendor builds has a `#[cfg(unix)]` (or
/// the narrower `#[cfg(target_os = "linux")]`) just above it (docs/WINDOWS.md).
#[test]
fn unix_only_apis_stay_behind_cfg_unix() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    let mut files = 0;
    for dir in ["core/src", "terminal/src", "ffi/src", "cli/src"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if line.contains("std::os::unix") || line.contains("libc::") {
                    let guarded = lines[i.saturating_sub(4)..i]
                        .iter()
                        .any(|l| l.contains("#[cfg(unix)]") || l.contains("#[cfg(target_os = \"linux\")]"));
                    if !guarded {
                        found.push(format!("{}:{}", path.display(), i + 1));
                    }
                }
            }
        }
    }
    assert!(files > 20, "{files}");
    assert!(found.is_empty(), "Unix-only API outside cfg(unix): {found:?}");
}

/// Every package carries the licence texts (crates, the wheel, the npm package): each copy is
/// the repository's own, with its copyright holder.
#[test]
fn every_package_carries_the_licences() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
        let text = std::fs::read_to_string(root.join(licence)).unwrap();
        assert!(text.starts_with("Copyright"), "{licence} names its copyright holder");
        for package in ["core", "terminal", "cli", "ffi", "bindings/python", "bindings/node"] {
            let copy = std::fs::read_to_string(root.join(package).join(licence)).unwrap_or_default();
            assert_eq!(copy, text, "{package}/{licence} is not the repository's");
        }
    }
    let npm = std::fs::read_to_string(root.join("bindings/node/package.json")).unwrap();
    assert!(npm.contains("\"LICENSE-MIT\"") && npm.contains("\"LICENSE-APACHE\""), "npm package files");
}

/// One distribution name for the bindings, `kohi-onshi` (PyPI's `kohi` is another package), used
/// the same way in every manifest and document that names it (docs/PACKAGING.md says why).
#[test]
fn distribution_names_agree_everywhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let json = |p: &str| serde_json::from_str::<serde_json::Value>(&read(p)).unwrap();
    assert!(read("bindings/python/pyproject.toml").contains("\nname = \"kohi-onshi\"\n"), "PyPI name");
    assert_eq!(json("bindings/node/package.json")["name"], "kohi-onshi", "npm name");
    assert_eq!(json("bindings/node/package.json")["napi"]["packageName"], "kohi-onshi");
    let lock = json("bindings/node/package-lock.json");
    assert_eq!((&lock["name"], &lock["packages"][""]["name"]), (&"kohi-onshi".into(), &"kohi-onshi".into()));
    for platform in std::fs::read_dir(root.join("bindings/node/npm")).unwrap() {
        let platform = platform.unwrap().file_name().into_string().unwrap();
        let manifest = json(&format!("bindings/node/npm/{platform}/package.json"));
        assert_eq!(manifest["name"], format!("kohi-onshi-{platform}").as_str(), "npm/{platform}");
    }
    for doc in ["README.md", "docs/PACKAGING.md", "bindings/node/README.md"] {
        let text = read(doc);
        assert!(!text.contains("require('kohi')") && !text.contains("pip install kohi\n"), "{doc} uses an old name");
    }
    let packaging = read("docs/PACKAGING.md");
    assert!(packaging.contains("pip install kohi-onshi") && packaging.contains("npm install kohi-onshi"));
}

/// Every published crate says what docs.rs and crates.io need: a description, the licence, the
/// repository, where its docs are, and docs.rs metadata that builds every feature.
#[test]
fn published_crates_carry_their_metadata() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (dir, name) in [("core", "kohi"), ("terminal", "kohi-terminal"), ("cli", "kohi-cli"), ("ffi", "kohi-ffi")] {
        let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml")).unwrap();
        for wanted in [
            format!("name = \"{name}\""),
            "description = ".into(),
            "license.workspace = true".into(),
            "repository.workspace = true".into(),
            format!("documentation = \"https://docs.rs/{name}\""),
            "[package.metadata.docs.rs]\nall-features = true".into(),
        ] {
            assert!(manifest.contains(&wanted), "{dir}/Cargo.toml lacks {wanted}");
        }
    }
    for lib in ["core/src/lib.rs", "terminal/src/lib.rs"] {
        let code = std::fs::read_to_string(root.join(lib)).unwrap();
        assert!(code.contains("#![warn(missing_docs)]"), "{lib}: every public item is documented");
    }
}
