"""Pure catalog rules: barcode formats and their check digits."""

from stockyard.core.errors import ValidationFailed


def gs1_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit for the digits before it (EAN-13 uses 12, UPC-A 11)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def validate_barcode(code: str, kind: str, field: str = "barcode") -> str:
    code = code.strip()
    if kind == "ean13":
        if len(code) != 13 or not code.isdigit():
            raise ValidationFailed("an EAN-13 is 13 digits", field=field)
        if gs1_check_digit(code[:12]) != int(code[12]):
            raise ValidationFailed(f"EAN-13 {code} has a wrong check digit", field=field)
    elif kind == "upca":
        if len(code) != 12 or not code.isdigit():
            raise ValidationFailed("a UPC-A is 12 digits", field=field)
        if gs1_check_digit(code[:11]) != int(code[11]):
            raise ValidationFailed(f"UPC-A {code} has a wrong check digit", field=field)
    elif kind == "code128":
        if not code or len(code) > 64 or not all(32 <= ord(c) < 127 for c in code):
            raise ValidationFailed("a Code128 barcode is 1-64 printable ASCII characters", field=field)
    else:
        raise ValidationFailed(f"unknown barcode kind '{kind}' (ean13, upca, code128)", field=field)
    return code


def guess_barcode_kind(code: str) -> str:
    code = code.strip()
    if code.isdigit() and len(code) == 13:
        return "ean13"
    if code.isdigit() and len(code) == 12:
        return "upca"
    return "code128"
