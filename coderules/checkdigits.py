"""Check digits of Japanese public identifiers (record-layout §3).

Plain functions over strings, used by the record validator and by the registry's models. Tables are
precomputed per position so that validating a million rows costs a few lookups per number.
"""

_DIGITS = "0123456789"

# MHLW 検証番号: weights 2, 1, 2, 1, … from the right-most body digit; a two-digit product counts
# as the sum of its digits.
_LUHN_DOUBLE = {d: (2 * int(d)) // 10 + (2 * int(d)) % 10 for d in _DIGITS}
_LUHN_SINGLE = {d: int(d) for d in _DIGITS}

# 個人番号: Q_n = n + 1 for n <= 6, n - 5 for n >= 7, n counted from the right of the 11-digit body.
_MYNUMBER_WEIGHTS = [n + 1 if n <= 6 else n - 5 for n in range(11, 0, -1)]
_MYNUMBER_TABLES = [{d: w * int(d) for d in _DIGITS} for w in _MYNUMBER_WEIGHTS]

_MUNICIPALITY_WEIGHTS = (6, 5, 4, 3, 2)


def _is_ascii_digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


def mhlw_check_digit(body: str) -> int:
    """Check digit of the MHLW scheme (§3.1) for a body of ASCII digits."""
    total = 0
    double = True
    for ch in reversed(body):
        total += _LUHN_DOUBLE[ch] if double else _LUHN_SINGLE[ch]
        double = not double
    return (10 - total % 10) % 10


def mynumber_check_digit(body: str) -> int:
    """Check digit of a 個人番号 (§3.2) for its 11-digit body."""
    r = sum(table[ch] for table, ch in zip(_MYNUMBER_TABLES, body, strict=True)) % 11
    return 0 if r <= 1 else 11 - r


def municipality_check_digit(body: str) -> int:
    """Check digit of a 全国地方公共団体コード (§3.3) for its 5-digit body."""
    r = sum(w * int(ch) for w, ch in zip(_MUNICIPALITY_WEIGHTS, body, strict=True)) % 11
    return (11 - r) % 10


def insurer_number_valid(number: str) -> bool:
    """True for an 8-digit 公費負担者番号 whose last digit checks (prefecture not looked at)."""
    return _is_ascii_digits(number, 8) and mhlw_check_digit(number[:7]) == int(number[7])


def recipient_number_valid(number: str) -> bool:
    """True for a 7-digit national 受給者番号 whose last digit checks."""
    return _is_ascii_digits(number, 7) and mhlw_check_digit(number[:6]) == int(number[6])


def mynumber_valid(number: str) -> bool:
    """True for a 12-digit 個人番号 whose last digit checks."""
    return _is_ascii_digits(number, 12) and mynumber_check_digit(number[:11]) == int(number[11])


def municipality_code_valid(code: str) -> bool:
    """True for a 6-digit 全国地方公共団体コード whose last digit checks."""
    return _is_ascii_digits(code, 6) and municipality_check_digit(code[:5]) == int(code[5])


# Lookup tables by digit groups for the validator's hot path: three dictionary lookups instead
# of a loop over eleven digits (about 21,000 entries, built at import in a few milliseconds).
_GROUP_TABLES: dict[str, list[dict[str, int]]] = {}


def _group_tables(name: str) -> list[dict[str, int]]:
    tables = _GROUP_TABLES.get(name)
    if tables is None:
        spans = ((0, 4), (4, 8), (8, 11)) if name == "mynumber" else ((0, 3), (3, 6))
        tables = []
        for lo, hi in spans:
            width = hi - lo
            table = {}
            for n in range(10**width):
                digits = f"{n:0{width}d}"
                if name == "mynumber":
                    weights = _MYNUMBER_WEIGHTS[lo:hi]
                    table[digits] = sum(w * int(d) for w, d in zip(weights, digits, strict=True))
                else:  # MHLW over a 6-digit body: the right-most body digit is doubled
                    table[digits] = sum(
                        _LUHN_DOUBLE[d] if (5 - (lo + k)) % 2 == 0 else int(d)
                        for k, d in enumerate(digits)
                    )
            tables.append(table)
        _GROUP_TABLES[name] = tables
    return tables


_MN_A, _MN_B, _MN_C = _group_tables("mynumber")
_MHLW6_A, _MHLW6_B = _group_tables("mhlw6")


# The check digit, as a character, of each remainder of the weighted sum modulo 11.
_MN_DIGIT = tuple(str(0 if r <= 1 else 11 - r) for r in range(11))


def mynumber_digits_valid(number: str) -> bool:
    """mynumber_valid for a value already known to be 12 ASCII digits."""
    r = (_MN_A[number[:4]] + _MN_B[number[4:8]] + _MN_C[number[8:11]]) % 11
    return (0 if r <= 1 else 11 - r) == ord(number[11]) - 48


def mynumber_digit_tables() -> tuple[dict[str, int], dict[str, int], dict[str, int], tuple]:
    """For code that inlines :func:`mynumber_digits_valid` (the validator's generated checks):
    ``digit[(a[n[:4]] + b[n[4:8]] + c[n[8:11]]) % 11] == n[11]`` for a valid 12-digit ``n``."""
    return _MN_A, _MN_B, _MN_C, _MN_DIGIT


# The check digit, as a character, of each remainder of the MHLW sum of a 6-digit body.
_MHLW6_DIGIT = tuple(str((10 - r) % 10) for r in range(10))


def recipient_digit_tables() -> tuple[dict[str, int], dict[str, int], tuple]:
    """For code that inlines :func:`recipient_digits_valid`: for 7 ASCII digits ``n``,
    ``digit[(a[n[:3]] + b[n[3:6]]) % 10] == n[6]`` exactly when it is valid."""
    return _MHLW6_A, _MHLW6_B, _MHLW6_DIGIT


def recipient_digits_valid(number: str) -> bool:
    """recipient_number_valid for a value already known to be ASCII digits (any length)."""
    if len(number) != 7:
        return False
    return (10 - (_MHLW6_A[number[:3]] + _MHLW6_B[number[3:6]]) % 10) % 10 == ord(number[6]) - 48
