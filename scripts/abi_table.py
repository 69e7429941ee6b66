#!/usr/bin/env python3
"""Writes ffi/abi.json from ffi/include/kohi.h: every enum of the C ABI (statuses, field ids,
kinds, limits) as {enum: {CONSTANT: number}}, and every function with its C return and parameter
types and its documentation (the header's comment above it). scripts/gen_dotnet.py and
scripts/gen_pascal.py read it. A generator for another language's declarations (C#, Delphi, VB)
reads this instead of copying numbers by hand; the C layer of scripts/test.sh regenerates it and
fails on any difference.

    python3 scripts/abi_table.py            # writes ffi/abi.json
    python3 scripts/abi_table.py --check    # exits 1 if ffi/abi.json is not what kohi.h says
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ROOT / "ffi" / "include" / "kohi.h"
TABLE = ROOT / "ffi" / "abi.json"


def function_docs(header: str) -> dict:
    """The comment right above each function declaration, as plain text (its lines joined): what
    a generator writes as the function's documentation in another language."""
    docs = {}
    for comment, name in re.findall(r"/\*((?:(?!\*/).)*)\*/\s*\n[a-z_][\w ]*?\**\s*\b(kohi_\w+)\(", header, flags=re.S):
        lines = [re.sub(r"^\s*\*?\s?", "", line).rstrip() for line in comment.strip().splitlines()]
        docs[name] = " ".join(line.strip() for line in lines if line.strip())
    return docs


def table() -> str:
    header = HEADER.read_text(encoding="utf-8")
    # Comments out (they hold Japanese text and example names), then each `enum X { A = 0, … };`.
    code = re.sub(r"/\*.*?\*/", "", header, flags=re.S)
    code = re.sub(r"//[^\n]*", "", code)
    # The C23/C++ underlying type (`: uint32_t` between #if lines) is not part of the table.
    code = re.sub(r"#if[^\n]*\n\s*:\s*\w+\s*\n#endif[^\n]*\n", "", code)
    enums = {}
    for name, body in re.findall(r"enum (\w+)\s*\{(.*?)\};", code, flags=re.S):
        values = {}
        # Negative values too: `KOHI_TRISTATE_NULL = -1` was left out of the table (and so of the
        # C# and Pascal declarations) by a pattern of digits alone.
        for constant, number in re.findall(r"(\w+)\s*=\s*(-?\d+)", body):
            values[constant] = int(number)
        # Every member of the enum is in the table, or the table is not written.
        members = [m.split("=")[0].strip() for m in body.split(",") if m.strip()]
        if members != list(values):
            sys.exit(f"enum {name}: members {members} but values read for {list(values)}")
        enums[name] = values
    functions = []
    for ret, name, args in re.findall(r"\n([a-z_][\w ]*?\**)\s*\b(kohi_\w+)\(([^)]*)\);", code):
        params = []
        for arg in args.split(","):
            arg = " ".join(arg.split())
            if arg and arg != "void":
                c_type, pname = re.fullmatch(r"(.*?)(\w+)", arg).groups()
                params.append({"type": c_type.strip(), "name": pname})
        functions.append({"name": name, "returns": " ".join(ret.split()), "params": params})
    docs = function_docs(header)
    for function in functions:
        function["doc"] = docs.get(function["name"], "")
    defines = {k: int(v) for k, v in re.findall(r"#define (KOHI_\w+) (\d+)", code)}
    return json.dumps({"enums": enums, "defines": defines, "functions": functions}, ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    text = table()
    if "--check" in sys.argv:
        if not TABLE.exists() or TABLE.read_text(encoding="utf-8") != text:
            print("ffi/abi.json is not what kohi.h says: run python3 scripts/abi_table.py", file=sys.stderr)
            sys.exit(1)
    else:
        TABLE.write_text(text, encoding="utf-8")
