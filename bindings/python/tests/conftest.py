import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures"


def minified(golden: pathlib.Path) -> str:
    """The golden in the contract's compact form (key order kept)."""
    return json.dumps(json.loads(golden.read_text(encoding="utf-8")), ensure_ascii=False, separators=(",", ":"))


def bulk_xml(unit: str, units: int) -> bytes:
    """A bulk result of `units` units, each `unit` formatted with its index `i`."""
    body = "".join(unit.format(i=i) for i in range(units))
    return f"<XmlMsg><MessageHeader/><MessageBody>{body}</MessageBody></XmlMsg>".encode()


@pytest.fixture
def fixture_bytes():
    return lambda name: (FIXTURES / name).read_bytes()
