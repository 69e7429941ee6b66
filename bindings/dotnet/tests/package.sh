#!/usr/bin/env bash
# The NuGet package, as a .NET Framework vendor gets it: packed by scripts/pack_nuget.py, installed
# by NuGet from a folder feed, referenced by an old-style project (PackageConsumer.csproj) built
# with xbuild, and the .NET tests run from that project's output folder with nothing on the
# library path. Also: the packer refuses a library of the wrong platform, packs reproducibly, the
# targets copy kohi.dll on Windows, and a 32-bit build is warned (KOHI001).
#
#   bash bindings/dotnet/tests/package.sh MANAGED_DLL NATIVE_SO     (scripts/test.sh, layer dotnet)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$ROOT"
managed="$1" native="$2"
work="$ROOT/target/nuget"
rm -rf "$work" && mkdir -p "$work"

fail() { echo "nuget package: $*" >&2; exit 1; }

# Headers just long enough for the packer's checks: a PE of a given machine, an i386 ELF.
python3 - "$work" <<'EOF'
import struct, sys
from pathlib import Path
work = Path(sys.argv[1])
def pe(machine):
    d = bytearray(0x100); d[0:2] = b"MZ"; struct.pack_into("<I", d, 0x3C, 0x40)
    d[0x40:0x44] = b"PE\0\0"; struct.pack_into("<H", d, 0x44, machine); return bytes(d)
(work / "win64.dll").write_bytes(pe(0x8664))
(work / "win32.dll").write_bytes(pe(0x14C))
elf = bytearray(0x40); elf[0:4] = b"\x7fELF"; elf[4] = 1; elf[5] = 1; struct.pack_into("<H", elf, 18, 3)
(work / "i386.so").write_bytes(bytes(elf))
EOF

pack() { python3 scripts/pack_nuget.py --managed "$managed" --framework net45 --out "$work/feed" "$@"; }
refused() {
  if pack "$@" 2>"$work/refused.txt" >/dev/null; then fail "packed what it must refuse: $*"; fi
  grep -q "pack_nuget: " "$work/refused.txt" || fail "no reason given for refusing $*"
}
refused --native win-x64="$native"             # a Linux library as Windows'
refused --native win-x64="$work/win32.dll"     # a 32-bit DLL as x64
refused --native linux-x64="$work/i386.so"     # a 32-bit Linux library
refused --native linux-x64="$native" --managed "$native"   # not a .NET assembly
refused                                        # no native library at all

package=$(pack --native linux-x64="$native" --native win-x64="$work/win64.dll")
first=$(sha256sum "$package" | cut -d' ' -f1)
package=$(pack --native win-x64="$work/win64.dll" --native linux-x64="$native")
[ "$(sha256sum "$package" | cut -d' ' -f1)" = "$first" ] || fail "two packs of the same inputs differ"
[ ! -e "$package.part" ] || fail "a partial package was left behind"
# Writing fails part-way (the partial file is the full device): refused with the reason, and
# neither a partial file nor a package is left behind.
mkdir -p "$work/full"
partial="$work/full/$(basename "$package").part"
ln -s /dev/full "$partial"
if python3 scripts/pack_nuget.py --managed "$managed" --framework net45 --out "$work/full" --native linux-x64="$native" \
  2>"$work/full.txt" >/dev/null; then fail "packed onto a full disk"; fi
grep -q "pack_nuget: " "$work/full.txt" || fail "no reason given for a failed write"
[ ! -e "$partial" ] && [ ! -L "$partial" ] || fail "a failed write left its partial file behind"
[ ! -e "$work/full/$(basename "$package")" ] || fail "a failed write left a package"

names=$(python3 -c 'import sys, zipfile; print(" ".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$package")
expected="Kohi.Onshi.nuspec LICENSE-APACHE.txt LICENSE-MIT.txt README.md [Content_Types].xml _rels/.rels build/Kohi.Onshi.targets buildTransitive/Kohi.Onshi.targets lib/net45/KohiNet.dll lib/net45/KohiNet.xml runtimes/linux-x64/native/libkohi.so runtimes/win-x64/native/kohi.dll"
[ "$names" = "$expected" ] || fail "package holds: $names"
version=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]["version"])')
python3 - "$package" "$version" <<'EOF'
import sys, zipfile, xml.etree.ElementTree as ET
ns = {"n": "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"}
meta = ET.fromstring(zipfile.ZipFile(sys.argv[1]).read("Kohi.Onshi.nuspec")).find("n:metadata", ns)
got = {k: meta.findtext(f"n:{k}", namespaces=ns) for k in ("id", "version", "license", "readme")}
want = {"id": "Kohi.Onshi", "version": sys.argv[2], "license": "MIT OR Apache-2.0", "readme": "README.md"}
assert got == want, f"nuspec metadata {got} != {want}"
EOF

# NuGet itself (mono's NuGet.exe) installs it from a folder feed, as packages.config does.
nuget install Kohi.Onshi -Source "$work/feed" -OutputDirectory "$work/packages" -NonInteractive -NoCache >"$work/install.log" 2>&1 \
  || { cat "$work/install.log" >&2; fail "nuget install failed"; }
installed="$work/packages/Kohi.Onshi.$version"
cmp -s "$installed/runtimes/linux-x64/native/libkohi.so" "$native" || fail "the installed package lacks libkohi.so"

# xbuild has no .NET Framework reference assemblies here: point it at mono's own 4.5 profile.
mkdir -p "$work/frameworks/.NETFramework/v4.5/RedistList"
echo '<FileList Name=".NET Framework 4.5" TargetFrameworkDirectory="/usr/lib/mono/4.5" />' \
  >"$work/frameworks/.NETFramework/v4.5/RedistList/FrameworkList.xml"
build() {
  local out="$1" package_dir="$2"; shift 2
  xbuild /nologo /v:minimal bindings/dotnet/tests/PackageConsumer.csproj "/p:KohiPackage=$package_dir" \
    /p:KohiFramework=net45 "/p:ConsumerOut=$work/$out" "/p:TargetFrameworkRootPath=$work/frameworks/" "$@" \
    >"$work/$out.log" 2>&1 || { cat "$work/$out.log" >&2; fail "xbuild failed ($out)"; }
}

build consumer "$installed"
cmp -s "$work/consumer/bin/libkohi.so" "$native" || fail "the targets did not copy libkohi.so beside the program"
[ ! -e "$work/consumer/bin/kohi.dll" ] || fail "the Windows library was copied on Linux"
if grep -q KOHI001 "$work/consumer.log"; then fail "a 64-bit build was warned"; fi
env -u LD_LIBRARY_PATH mono "$work/consumer/bin/Tests.exe" fixtures | tee "$work/tests.log" | tail -n 1
grep -q ", 0 failed$" "$work/tests.log" || fail "the .NET tests failed from the package"

# The same project without the package's targets gets no native library: what they are for.
cp -r "$installed" "$work/no-targets" && rm -r "$work/no-targets/build"
build no-targets-build "$work/no-targets"
[ ! -e "$work/no-targets-build/bin/libkohi.so" ] || fail "the library arrived without the targets"

build windows "$installed" /p:OS=Windows_NT
cmp -s "$work/windows/bin/kohi.dll" "$work/win64.dll" || fail "the targets did not copy kohi.dll on Windows"

build x86 "$installed" /p:PlatformTarget=x86
grep -q "warning KOHI001" "$work/x86.log" || fail "a 32-bit build (x86) was not warned"
build prefer32 "$installed" /p:Prefer32Bit=true
grep -q "warning KOHI001" "$work/prefer32.log" || fail "a 32-bit build (Prefer32Bit) was not warned"
build x64 "$installed" /p:PlatformTarget=x64 /p:Prefer32Bit=true
if grep -q KOHI001 "$work/x64.log"; then fail "an x64 build was warned"; fi
echo "nuget package: packed, installed, used from a .NET Framework project"
