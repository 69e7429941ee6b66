//! Names the installed shared library by its ABI version, so that a program linked against it
//! asks for that version at run time: the SONAME `libkohi.so.<abi>` on Linux (the install name
//! `@rpath/libkohi.<abi>.dylib` on macOS). The ABI version follows ffi/README.md's "Versioning":
//! before 1.0 a minor version may change the ABI, so it is `0.<minor>`; from 1.0 on, the major.
//!
//! Only `make install` asks for it (`KOHI_SONAME=1`, in its own target folder), as cargo-c does:
//! a plain `cargo build` keeps an unversioned `libkohi.so`, which programs linked in the build
//! tree (the tests, `-Ltarget/release -lkohi`) find by that name. The Makefile lays out the
//! versioned file and its links under the same name.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=KOHI_SONAME");
    if std::env::var("KOHI_SONAME").as_deref() != Ok("1") {
        return;
    }
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".into());
    let abi = if major == "0" { format!("0.{minor}") } else { major };
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux" | "android" | "freebsd") => println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkohi.so.{abi}"),
        Ok("macos") => println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libkohi.{abi}.dylib"),
        _ => {}
    }
}
