# The C library, installed as a distribution would: `make install PREFIX=/usr/local` (DESTDIR
# for staging). Gives include/kohi.h, lib/libkohi.so.<version> with its SONAME link
# (libkohi.so.<abi>: 0.<minor> before 1.0, then <major>; ffi/build.rs sets that SONAME) and
# libkohi.so, lib/libkohi.a and lib/pkgconfig/kohi.pc. This is what
# cargo-c's `cargo cinstall` lays out (Debian's cargo-c is too old for this workspace).
# `make uninstall` removes exactly those files. Tested by scripts/readme_snippets.sh.

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR ?=
CARGO ?= cargo

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR := $(word 1,$(subst ., ,$(VERSION)))
MINOR := $(word 2,$(subst ., ,$(VERSION)))
ABI := $(if $(filter 0,$(MAJOR)),0.$(MINOR),$(MAJOR))
BUILT := target/release

.PHONY: lib install uninstall

lib:
	$(CARGO) build --release --locked -p kohi-ffi

install: lib
	install -d "$(DESTDIR)$(LIBDIR)/pkgconfig" "$(DESTDIR)$(INCLUDEDIR)"
	install -m 644 ffi/include/kohi.h "$(DESTDIR)$(INCLUDEDIR)/kohi.h"
	install -m 755 $(BUILT)/libkohi.so "$(DESTDIR)$(LIBDIR)/libkohi.so.$(VERSION)"
	ln -sf libkohi.so.$(VERSION) "$(DESTDIR)$(LIBDIR)/libkohi.so.$(ABI)"
	ln -sf libkohi.so.$(ABI) "$(DESTDIR)$(LIBDIR)/libkohi.so"
	install -m 644 $(BUILT)/libkohi.a "$(DESTDIR)$(LIBDIR)/libkohi.a"
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		ffi/kohi.pc.in > "$(DESTDIR)$(LIBDIR)/pkgconfig/kohi.pc"

uninstall:
	rm -f "$(DESTDIR)$(INCLUDEDIR)/kohi.h" "$(DESTDIR)$(LIBDIR)/libkohi.so.$(VERSION)" \
		"$(DESTDIR)$(LIBDIR)/libkohi.so.$(ABI)" "$(DESTDIR)$(LIBDIR)/libkohi.so" \
		"$(DESTDIR)$(LIBDIR)/libkohi.a" "$(DESTDIR)$(LIBDIR)/pkgconfig/kohi.pc"
