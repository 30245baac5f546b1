"""Resource quantities (``500m``, ``64Mi``, ``1e3``): the one reading of them in minik.

Read as apimachinery's ``resource.ParseQuantity`` reads them: an optional
sign, digits with an optional fraction, then a suffix (``n u m k M G T P E``,
``Ki … Ei``, or a decimal exponent ``e3``/``E-2``); the value is exact (a
``Decimal``), a non-zero value below one nano-unit is rounded up to ``1n``,
and a binary-suffixed value is capped at the int64 maximum. Errors carry
upstream's sentences. Validation, the kubelet, the storage controller and
the printers all use this module; nothing else parses a quantity.

- :func:`value` is ``Quantity.Value()`` (whole units, rounded up: bytes),
  :func:`milli_value` is ``MilliValue()`` (thousandths, rounded up: milli-cores).
- :func:`canonical` prints a whole quantity as ``Quantity.String()`` does
  (``1024Mi`` → ``1Gi``) and leaves other text as given.

Pure: no I/O.
"""

from __future__ import annotations

from decimal import Context, Decimal
from typing import Literal

FORMAT_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
NUMERIC_MSG = "unable to parse numeric part of quantity"
SUFFIX_MSG = "unable to parse quantity's suffix"
MAX_INT64 = 2**63 - 1
_INT32 = 2**31

Format = Literal["DecimalSI", "BinarySI", "DecimalExponent"]
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_LETTERS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_EXACT = Context(prec=64)  # enough digits for any value within int64 plus nine decimals: never rounds


class QuantityError(ValueError):
    """A string that is not a quantity; the message is upstream's."""


def _scan(text: str) -> tuple[bool, str, str, str]:
    """``(positive, integer digits, fraction digits, suffix)``, as upstream's scanner splits a quantity."""
    pos, end = 0, len(text)
    positive = True
    if pos < end and text[pos] in "+-":
        positive = text[pos] == "+"
        pos += 1
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    whole = text[start:pos]
    fraction = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        fraction = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_LETTERS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(FORMAT_MSG)
    return positive, whole, fraction, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, Format]:
    """``(base, exponent, format)`` of a suffix."""
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix], "DecimalSI"
    if suffix in _BINARY:
        return 2, _BINARY[suffix], "BinarySI"
    if len(suffix) > 1 and suffix[0] in "eE":
        digits = suffix[1:].lstrip("+-")
        if digits and set(digits) <= _DIGITS and len(suffix[1:]) - len(digits) <= 1:
            exponent = int(suffix[1:])
            if -_INT32 <= exponent < _INT32:
                return 10, exponent, "DecimalExponent"
    raise QuantityError(SUFFIX_MSG)


def parse_with_format(value: object) -> tuple[Decimal, Format]:
    """A quantity's exact value and the format its suffix names; :class:`QuantityError` if it is none."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise QuantityError(FORMAT_MSG)
    text = str(value)
    if not text:
        raise QuantityError(FORMAT_MSG)
    unsigned = text[1:] if text[0] in "+-" else text
    if not unsigned or unsigned[0] not in "0123456789.":  # the regular expression's ``[0-9.]+``
        raise QuantityError(FORMAT_MSG)
    positive, whole, fraction, suffix = _scan(text)
    base, exponent, fmt = _interpret(suffix)
    try:
        unscaled = int((whole + fraction) or "0")
    except ValueError:  # past Python's 4,300-digit conversion limit
        raise QuantityError(NUMERIC_MSG) from None
    scale = len(fraction)  # value = unscaled * 10**-scale * base**exponent
    if base == 2:
        unscaled <<= exponent
        if unscaled > MAX_INT64 * 10**scale:  # upstream caps binary quantities at the int64 maximum
            unscaled, scale = MAX_INT64, 0
    else:
        scale -= exponent
    if unscaled and scale > 9:  # below a nano-unit: rounded up (away from zero) to 1n
        shift = scale - 9
        if shift > len(str(unscaled)):
            unscaled = 1
        else:
            q, r = divmod(unscaled, 10**shift)
            unscaled = q + (1 if r else 0)
        scale = 9
    sign = 0 if positive or not unscaled else 1
    return Decimal((sign, tuple(int(d) for d in str(unscaled)), -scale)), fmt


def parse(value: object) -> Decimal:
    """A quantity's exact value; :class:`QuantityError` (a ``ValueError``) with upstream's sentence if it is none."""
    return parse_with_format(value)[0]


def parse_or_none(value: object) -> Decimal | None:
    try:
        return parse(value)
    except QuantityError:
        return None


def _ceil(d: Decimal, places: int = 0) -> int:
    """``d * 10**places`` rounded away from zero to an integer, capped at the int64 range."""
    if d.is_zero():
        return 0
    if d.adjusted() + places >= 19:  # beyond int64 whatever its digits
        return MAX_INT64 if d > 0 else -MAX_INT64 - 1
    if d.adjusted() + places < -1:  # well below one unit
        return 1 if d > 0 else -1
    d = d.scaleb(places, context=_EXACT)
    whole = int(d)  # truncates toward zero
    if whole != d:
        whole += 1 if d > 0 else -1
    return max(-MAX_INT64 - 1, min(MAX_INT64, whole))


def value(q: object) -> int:
    """``Quantity.Value()``: whole units, rounded up (a memory quantity in bytes)."""
    return _ceil(q if isinstance(q, Decimal) else parse(q))


def milli_value(q: object) -> int:
    """``Quantity.MilliValue()``: thousandths, rounded up (a cpu quantity in milli-cores)."""
    return _ceil(q if isinstance(q, Decimal) else parse(q), 3)


def canonical(text: object) -> str:
    """A whole, unsigned quantity as ``Quantity.String()`` prints it (``1024Mi`` → ``1Gi``, ``2000`` → ``2k``); other text as given."""
    shown = "" if text is None else str(text)
    try:
        amount, fmt = parse_with_format(shown)
    except QuantityError:
        return shown
    if fmt == "DecimalExponent" or amount < 0 or amount != amount.to_integral_value():
        return shown
    number = int(amount)
    if number == 0:
        return "0"
    if fmt == "BinarySI" and number >= 1024:
        table, step = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"), 1024
    else:
        table, step = ("", "k", "M", "G", "T", "P", "E"), 1000
    power = 0
    while power + 1 < len(table) and number % step ** (power + 1) == 0:
        power += 1
    return f"{number // step**power}{table[power]}"
