//! Names the shared library by its ABI version, so that a program linked against it asks for
//! that version at run time: the SONAME `libkohi.so.<abi>` on Linux (the install name
//! `@rpath/libkohi.<abi>.dylib` on macOS). The ABI version follows ffi/README.md's "Versioning":
//! before 1.0 a minor version may change the ABI, so it is `0.<minor>`; from 1.0 on, the major.
//!
//! A program linked in the build tree (`-Ltarget/release -lkohi`: the tests, the README's
//! "without installing" commands) then looks for `libkohi.so.<abi>` at run time, so the link
//! `libkohi.so.<abi>` → `libkohi.so` is made beside the library, as `make install` makes it in
//! `lib/`. (Cargo puts the library three folders above this script's OUT_DIR.)

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".into());
    let abi = if major == "0" { format!("0.{minor}") } else { major };
    let (versioned, plain) = match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux" | "android" | "freebsd") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkohi.so.{abi}");
            (format!("libkohi.so.{abi}"), "libkohi.so")
        }
        Ok("macos") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libkohi.{abi}.dylib");
            (format!("libkohi.{abi}.dylib"), "libkohi.dylib")
        }
        _ => return,
    };
    link_beside_the_library(&versioned, plain);
}

/// `<profile folder>/<versioned>` → `<plain>`; best effort (a build never fails over it).
fn link_beside_the_library(versioned: &str, plain: &str) {
    let Some(out_dir) = std::env::var_os("OUT_DIR") else { return };
    let Some(artifacts) = Path::new(&out_dir).ancestors().nth(3) else { return };
    let link = artifacts.join(versioned);
    #[cfg(unix)]
    if std::fs::read_link(&link).ok().as_deref() != Some(Path::new(plain)) {
        let _ = std::fs::remove_file(&link);
        let _ = std::os::unix::fs::symlink(plain, &link);
    }
    #[cfg(not(unix))]
    let _ = (link, plain);
}
