"""Every error code of the core raises a class of its own, unless it is listed here: a new code
cannot silently fall back to the base class."""

import kohi

# Codes that raise the base class on purpose (they do not come from parsing a file).
BASE_CLASS = {"invalid_request", "unrepresentable_character"}


def test_the_table_is_the_core_s():
    numbers = [n for n, _, _ in kohi.ERROR_CODES]
    assert numbers == list(range(1, len(numbers) + 1))
    assert ("invalid_layout" in {c for _, c, _ in kohi.ERROR_CODES}) and len(numbers) >= 18


def test_every_code_has_its_class():
    for _, code, _ in kohi.ERROR_CODES:
        cls = kohi.ERROR_CLASSES[code]
        assert issubclass(cls, kohi.KohiError), code
        if code in BASE_CLASS:
            assert cls is kohi.KohiError, code
        else:
            assert cls is not kohi.KohiError, f"{code} falls back to the base class: give it one, or list it"
            assert cls.__name__ in kohi.__all__, code
