#!/usr/bin/env python3
"""Packs the .NET binding as a NuGet package: Kohi.Onshi.<version>.nupkg.

    python3 scripts/pack_nuget.py --managed KohiNet.dll --framework netstandard2.0 \\
        --native win-x64=kohi.dll --native linux-x64=libkohi.so [--out target/nuget]

A release builds each part on its own platform (KohiNet.dll with `dotnet build -c Release
bindings/dotnet/KohiNet.csproj`, kohi.dll on Windows, libkohi.so on Linux: docs/PACKAGING.md)
and packs them here, in one step, the way napi's `artifacts` collects the Node addons. The test
command packs mono's build of KohiNet.dll (`--framework net45`) with the Linux library and
installs the package into a .NET Framework project (scripts/test.sh, layer dotnet).

Layout (NuGet's conventions): lib/<framework>/KohiNet.dll, with KohiNet.xml (its documentation)
when the compiler wrote one beside it; runtimes/<rid>/native/<library>, which .NET (Core, 5+)
loads by itself; build/Kohi.Onshi.targets (and buildTransitive/), which copies the library
beside a .NET Framework program (those do not read runtimes/) and warns a 32-bit build;
README.md and the licences. Version, licence and repository come from the workspace's
Cargo.toml, so the package says what the crates say. The zip is reproducible: fixed times,
sorted names.

A native library is checked before it is packed: its format must be the RID's (PE for win-*, ELF
for linux-*, Mach-O for osx-*) and its machine the RID's architecture, so a 32-bit or Linux build
cannot go out as win-x64.
"""
import argparse
import re
import struct
import sys
import tomllib
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
DOTNET = ROOT / "bindings" / "dotnet"
PACKAGE_ID = "Kohi.Onshi"
DESCRIPTION = (
    "Reads the result files of Japan's online qualification confirmation system (オンライン資格確認) "
    "and maps their 公費 (PMH 医療費助成, 医療扶助) to the fields a レセコン fills in: 公費負担者番号, "
    "受給者番号, validity, caps, program and the 第1〜第4公費 order. .NET layer over libkohi (64-bit)."
)
TAGS = "onshi japan healthcare receipt kohi pmh"

# RID → (file name the P/Invoke name "kohi" resolves to, format, machine numbers it may carry).
PLATFORMS = {
    "win-x64": ("kohi.dll", "pe", {0x8664}),
    "win-arm64": ("kohi.dll", "pe", {0xAA64}),
    "linux-x64": ("libkohi.so", "elf", {62}),
    "linux-arm64": ("libkohi.so", "elf", {183}),
    "linux-musl-x64": ("libkohi.so", "elf", {62}),
    "osx-x64": ("libkohi.dylib", "macho", {0x01000007}),
    "osx-arm64": ("libkohi.dylib", "macho", {0x0100000C}),
}

# Target framework folder → the name NuGet's nuspec uses for it.
FRAMEWORKS = {
    "netstandard2.0": ".NETStandard2.0",
    "net45": ".NETFramework4.5",
    "net462": ".NETFramework4.6.2",
    "net48": ".NETFramework4.8",
}

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackError(Exception):
    pass


def binary_format(data: bytes):
    """(format, machine) of a native library, or (None, None)."""
    if data[:2] == b"MZ" and len(data) >= 0x40:
        (pe,) = struct.unpack_from("<I", data, 0x3C)
        if data[pe : pe + 4] == b"PE\0\0" and len(data) >= pe + 6:
            return "pe", struct.unpack_from("<H", data, pe + 4)[0]
    if data[:4] == b"\x7fELF" and len(data) >= 20:
        endian = "<" if data[5] == 1 else ">"
        return "elf", struct.unpack_from(endian + "H", data, 18)[0]
    if data[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe") and len(data) >= 8:
        return "macho", struct.unpack_from("<I", data, 4)[0]
    return None, None


def check_native(rid: str, path: Path) -> bytes:
    if rid not in PLATFORMS:
        raise PackError(f"unknown RID {rid!r} (known: {', '.join(PLATFORMS)})")
    _, want_format, machines = PLATFORMS[rid]
    data = path.read_bytes()
    found, machine = binary_format(data)
    if found != want_format:
        raise PackError(f"{path} is not a {want_format} library, as {rid} needs (found: {found or 'unknown'})")
    if machine not in machines:
        raise PackError(f"{path} is built for machine {machine:#x}, not for {rid}")
    return data


def check_managed(path: Path) -> bytes:
    data = path.read_bytes()
    found, _ = binary_format(data)
    # A .NET assembly is a PE file carrying CLI metadata, whose root starts with "BSJB": a
    # native DLL passed by mistake has the first and not the second.
    if found != "pe" or b"BSJB" not in data:
        raise PackError(f"{path} is not a .NET assembly")
    return data


def workspace():
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))["workspace"]["package"]
    return cargo["version"], cargo["license"], cargo["repository"]


def nuspec(version: str, license: str, repository: str, framework: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>{PACKAGE_ID}</id>
    <version>{escape(version)}</version>
    <authors>kohi developers</authors>
    <license type="expression">{escape(license)}</license>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <readme>README.md</readme>
    <description>{escape(DESCRIPTION)}</description>
    <tags>{TAGS}</tags>
    <repository type="git" url="{escape(repository)}" />
    <dependencies>
      <group targetFramework="{FRAMEWORKS[framework]}" />
    </dependencies>
  </metadata>
</package>
"""


def content_types(names) -> str:
    kinds = {"rels": "application/vnd.openxmlformats-package.relationships+xml"}
    extensions = sorted({name.rsplit(".", 1)[-1].lower() for name in names if "." in name.rsplit("/", 1)[-1]})
    defaults = "".join(
        f'<Default Extension="{ext}" ContentType="{kinds.get(ext, "application/octet")}" />' for ext in extensions
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">{defaults}</Types>'
    )


def relationships() -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/{PACKAGE_ID}.nuspec" Id="R0" />'
        "</Relationships>"
    )


def pack(managed: Path, framework: str, natives, out: Path) -> Path:
    if framework not in FRAMEWORKS:
        raise PackError(f"unknown framework {framework!r} (known: {', '.join(FRAMEWORKS)})")
    if not natives:
        raise PackError("no native library given (--native RID=PATH)")
    version, license, repository = workspace()
    targets = (DOTNET / f"{PACKAGE_ID}.targets").read_bytes()
    files = {
        f"{PACKAGE_ID}.nuspec": nuspec(version, license, repository, framework).encode(),
        f"lib/{framework}/KohiNet.dll": check_managed(managed),
        f"build/{PACKAGE_ID}.targets": targets,
        # The same for projects that get the package through another one (an exe referencing the
        # vendor's class library that references kohi; NuGet 5+ reads buildTransitive/).
        f"buildTransitive/{PACKAGE_ID}.targets": targets,
        "README.md": (DOTNET / "README.md").read_bytes(),
        "LICENSE-MIT.txt": (ROOT / "LICENSE-MIT").read_bytes(),
        "LICENSE-APACHE.txt": (ROOT / "LICENSE-APACHE").read_bytes(),
    }
    # The XML documentation the compiler wrote beside the assembly: what Visual Studio's
    # IntelliSense shows for each call.
    documentation = managed.with_suffix(".xml")
    if documentation.is_file():
        files[f"lib/{framework}/KohiNet.xml"] = documentation.read_bytes()
    for rid, path in natives:
        data = check_native(rid, path)
        name = f"runtimes/{rid}/native/{PLATFORMS[rid][0]}"
        if name in files:
            raise PackError(f"{rid} given twice")
        files[name] = data
    files["_rels/.rels"] = relationships().encode()
    files["[Content_Types].xml"] = content_types(list(files)).encode()

    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{PACKAGE_ID}.{version}.nupkg"
    partial = target.with_name(target.name + ".part")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
        partial.replace(target)
    except BaseException:
        # A package that could not be written whole (disk full, interrupted) leaves nothing
        # behind: no half-written .part beside the feed.
        partial.unlink(missing_ok=True)
        raise
    return target


def native_argument(text: str):
    rid, sep, path = text.partition("=")
    if not sep or not re.fullmatch(r"[a-z0-9-]+", rid):
        raise argparse.ArgumentTypeError(f"expected RID=PATH, got {text!r}")
    return rid, Path(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--managed", type=Path, required=True, help="KohiNet.dll")
    parser.add_argument("--framework", required=True, help=f"the folder under lib/: {', '.join(FRAMEWORKS)}")
    parser.add_argument("--native", type=native_argument, action="append", default=[], help="RID=PATH, repeated")
    parser.add_argument("--out", type=Path, default=ROOT / "target" / "nuget")
    args = parser.parse_args()
    try:
        print(pack(args.managed, args.framework, args.native, args.out))
    except (PackError, OSError) as e:
        print(f"pack_nuget: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
