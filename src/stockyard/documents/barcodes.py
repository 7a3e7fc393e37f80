"""Barcode symbols as modules, ready to draw: Code 128 and EAN-13 as strings of '1' (bar) and '0' (space),
QR as a square matrix of dark/light modules. Encoding is done by python-barcode and qrcode; this module checks the
values first so that a bad one is refused with a message naming what is wrong (a bad EAN-13 check digit above all).
"""

from enum import StrEnum

import barcode
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from stockyard.core.errors import ValidationFailed

CODE128_MAX = 80
QR_MAX = 1000


class Symbology(StrEnum):
    CODE128 = "code128"
    EAN13 = "ean13"
    QR = "qr"


def ean13_check_digit(first12: str) -> int:
    """The GS1 check digit of 12 digits: weights 1, 3, 1, 3, ... from the left."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def check_value(symbology: Symbology | str, value: str, field: str = "value") -> str:
    """The value, stripped, if `symbology` can encode it; ValidationFailed naming `field` otherwise."""
    kind = Symbology(symbology)
    text = value.strip()
    if not text:
        raise ValidationFailed("a barcode needs a value", field=field)
    if kind is Symbology.EAN13:
        if len(text) != 13 or not text.isdigit():
            raise ValidationFailed(f"{text!r} is not an EAN-13: it needs exactly 13 digits", field=field)
        expected = ean13_check_digit(text[:12])
        if int(text[12]) != expected:
            raise ValidationFailed(f"{text} is not a valid EAN-13: its check digit is {text[12]}, "
                                   f"it should be {expected}", field=field)
    elif kind is Symbology.CODE128:
        if len(text) > CODE128_MAX:
            raise ValidationFailed(f"a Code 128 label holds at most {CODE128_MAX} characters", field=field)
        bad = sorted({ch for ch in text if not 32 <= ord(ch) <= 126})
        if bad:
            raise ValidationFailed(f"Code 128 cannot encode {''.join(bad)!r}: use QR for such values", field=field)
    elif len(text.encode()) > QR_MAX:
        raise ValidationFailed(f"a QR label holds at most {QR_MAX} bytes here", field=field)
    return text


def linear_modules(symbology: Symbology | str, value: str) -> str:
    """Code 128 or EAN-13 as '1'/'0' modules (start, check and stop codes or guard bars included)."""
    kind = Symbology(symbology)
    text = check_value(kind, value)
    if kind is Symbology.QR:
        raise ValueError("QR is a matrix symbol: use qr_matrix")
    name = "ean13" if kind is Symbology.EAN13 else "code128"
    # EAN-13 is handed its 12 data digits: the library adds the (already checked) check digit itself.
    return str(barcode.get(name, text[:12] if kind is Symbology.EAN13 else text).build()[0])


def qr_matrix(value: str) -> list[list[bool]]:
    """The QR symbol's modules (error correction M, no quiet zone: the drawing leaves it)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(check_value(Symbology.QR, value).encode())
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]
