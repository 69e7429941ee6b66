//! Names the shared library by its ABI version, so programs linked against it ask for that
//! version at run time: the SONAME `libkohi.so.<major>` on Linux (and the install name
//! `@rpath/libkohi.<major>.dylib` on macOS). The C ABI only grows within a major version (numbers
//! are never reused, functions never change), so one major is one ABI. `make install` lays out the
//! versioned file and its links (Makefile).

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux") | Ok("android") | Ok("freebsd") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkohi.so.{major}");
        }
        Ok("macos") => println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libkohi.{major}.dylib"),
        _ => {}
    }
    println!("cargo:rerun-if-changed=build.rs");
}
