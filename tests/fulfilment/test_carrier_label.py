"""The table-rate carrier's PDF label, the Code 128 symbol on it, and the carrier registry."""

import re
import zlib

from stockyard.fulfilment.carriers import TableRateCarrier, carrier_for, register_carrier
from stockyard.fulfilment.labels import LabelData, LabelParty, code128_modules, latin1, render_label


def page_text(pdf: bytes) -> str:
    """The page content streams, inflated."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            out.append(match.group(1).decode("latin-1"))
    return "\n".join(out)


LABEL = LabelData(tracking_number="DHL0000000042", carrier_name="DHL", method_name="Standard",
                  sender=LabelParty("Main warehouse", ("Hafenstrasse 1", "20457 Hamburg", "DE")),
                  recipient=LabelParty("Jürgen Łukasz", ("Unter den Linden 5", "10115 Berlin", "DE")),
                  weight_g=2400, reference="SO-1001")


def test_the_label_is_a_pdf_with_addresses_weight_and_tracking_number() -> None:
    pdf = render_label(LABEL)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    text = page_text(pdf)
    for expected in ("(DHL0000000042)", "Main warehouse", "Hafenstrasse 1", "10115 Berlin", "Weight: 2.40 kg",
                     "Ref: SO-1001", "Standard"):
        assert expected in text, expected
    assert "(Jürgen Lukasz)" in text  # Latin-1 as it is; Ł has no Latin-1 form, so it loses its stroke


def test_the_barcode_is_drawn_bar_by_bar() -> None:
    modules = code128_modules("DHL0000000042")
    assert modules.startswith("11010000100") or modules.startswith("11010010000") or \
        modules.startswith("11010011100")  # a Code 128 start code (A, B or C)
    assert modules.endswith("1100011101011")  # the stop pattern
    bars = len(re.findall(r"1+", modules))
    filled = page_text(render_label(LABEL)).count(" re f")
    assert filled == bars


def test_latin1_keeps_what_the_core_font_can_show() -> None:
    assert latin1("Łódź Straße") == "Lódz Straße"
    assert latin1("東京") == "??"


def test_unknown_carrier_codes_get_the_table_rate_carrier() -> None:
    assert isinstance(carrier_for("dhl"), TableRateCarrier)
    assert carrier_for("dhl").code == "dhl"

    class Special(TableRateCarrier):
        pass

    register_carrier("special-test", Special)
    assert isinstance(carrier_for("SPECIAL-TEST"), Special)
