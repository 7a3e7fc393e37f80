"""Barcode labels: what a real decoder (ZXing) reads off the rendered PDF pages is exactly the value asked for, on
every layout; bad EAN-13 values are refused; the ZPL job holds the right commands and data."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockyard.core.errors import ValidationFailed
from stockyard.documents.barcodes import Symbology, check_value, ean13_check_digit, linear_modules, qr_matrix
from stockyard.documents.labels_layout import LAYOUTS, LabelItem, layout_for
from stockyard.documents.labels_pdf import render_labels_pdf
from stockyard.documents.labels_zpl import render_labels_zpl
from tests.documents.support import decoded, pdf_pages, pdf_text

ITEMS = [LabelItem("BRK-PAD-0042", Symbology.CODE128, "Brake pad set, front", "Bosch"),
         LabelItem("4006381333931", Symbology.EAN13, "Oil filter"),
         LabelItem("MAIN/A/01/03", Symbology.QR, "MAIN/A/01/03", "Main warehouse")]
FORMATS = {Symbology.CODE128: "Code128", Symbology.EAN13: "EAN13", Symbology.QR: "QRCode"}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_symbology_decodes_to_its_value_on_every_layout(layout: str) -> None:
    pdf = render_labels_pdf(ITEMS, layout_for(layout))
    pages = decoded(pdf)
    found = sorted(code for page in pages for code in page)
    assert found == sorted((FORMATS[i.symbology], i.value) for i in ITEMS)
    assert len(pages) == (1 if LAYOUTS[layout].is_sheet else 3)
    text = pdf_text(pdf)
    assert "Brake pad set, front" in text and "BRK-PAD-0042" in text and "Oil filter" in text


def test_a_sheet_fills_in_reading_order_and_overflows_to_the_next_page() -> None:
    items = [LabelItem(f"LOC-{i:02d}", Symbology.CODE128, quantity=1) for i in range(25)]
    pdf = render_labels_pdf(items, layout_for("a4-3x8"), skip=2)
    assert pdf_pages(pdf) == 2  # 2 skipped + 22 on the first sheet, 3 on the second
    first, second = decoded(pdf, dpi=200)
    assert [text for _, text in first] == [f"LOC-{i:02d}" for i in range(22)]
    assert [text for _, text in second] == ["LOC-22", "LOC-23", "LOC-24"]


def test_quantity_prints_copies() -> None:
    pdf = render_labels_pdf([LabelItem("X-1", Symbology.QR, quantity=3)], layout_for("57x32"))
    assert decoded(pdf) == [[("QRCode", "X-1")]] * 3


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=24))
@settings(max_examples=15, deadline=None)
def test_any_printable_code128_value_round_trips(value: str) -> None:
    pdf = render_labels_pdf([LabelItem(value, Symbology.CODE128)], layout_for("100x150"))
    assert decoded(pdf, dpi=200) == [[("Code128", value)]]


def test_utf8_qr_round_trips() -> None:
    pdf = render_labels_pdf([LabelItem("Zoë · Straße 5 · 東京", Symbology.QR, "Zoe")], layout_for("a4-3x7"))
    assert decoded(pdf) == [[("QRCode", "Zoë · Straße 5 · 東京")]]


def test_ean13_with_a_wrong_check_digit_is_refused() -> None:
    assert ean13_check_digit("400638133393") == 1
    with pytest.raises(ValidationFailed) as bad:
        check_value("ean13", "4006381333932")
    assert "check digit is 2, it should be 1" in bad.value.message and bad.value.field == "value"
    for value in ("400638133393", "40063813339311", "400638133393X", ""):
        with pytest.raises(ValidationFailed):
            check_value("ean13", value)
    with pytest.raises(ValidationFailed) as in_a_job:
        render_labels_pdf([ITEMS[0], LabelItem("4006381333932", Symbology.EAN13)], layout_for("a4-3x8"))
    assert in_a_job.value.field == "items[1].value"
    with pytest.raises(ValidationFailed):
        render_labels_zpl([LabelItem("4006381333932", Symbology.EAN13)], layout_for("57x32"))


def test_other_bad_input_is_refused_with_its_field() -> None:
    with pytest.raises(ValidationFailed, match="Code 128 cannot encode"):
        check_value("code128", "Straße")
    with pytest.raises(ValidationFailed) as layout:
        layout_for("a5")
    assert layout.value.field == "layout"
    with pytest.raises(ValidationFailed) as quantity:
        render_labels_pdf([LabelItem("A", quantity=0)], layout_for("a4-3x8"))
    assert quantity.value.field == "quantity"
    with pytest.raises(ValidationFailed) as skip:
        render_labels_pdf([LabelItem("A")], layout_for("a4-3x8"), skip=24)
    assert skip.value.field == "skip"


def test_symbols_have_the_standard_structure() -> None:
    ean = linear_modules("ean13", "4006381333931")
    assert len(ean) == 95 and ean.startswith("101") and ean.endswith("101") and ean[45:50] == "01010"
    code = linear_modules("code128", "ABC")
    assert code.startswith("11010010000") and code.endswith("1100011101011")  # start code B ... stop
    matrix = qr_matrix("HELLO")
    assert len(matrix) == 21 and all(len(row) == 21 for row in matrix)  # version 1


def test_zpl_holds_the_commands_and_the_data() -> None:
    zpl = render_labels_zpl([*ITEMS[:2], LabelItem("MAIN/A/01", Symbology.QR, "A-01", quantity=4),
                             LabelItem("A^B~C_D", Symbology.CODE128, "Odd ^chars~")], layout_for("100x150"))
    jobs = re.findall(r"\^XA.*?\^XZ", zpl, re.S)
    assert len(jobs) == 4
    code128, ean, qr, odd = jobs
    for job in jobs:
        assert "^PW800" in job and "^LL1200" in job and "^CI28" in job
    assert re.search(r"\^FO\d+,\d+\^BCN,\d+,Y,N,N\^FH_\^FDBRK-PAD-0042\^FS", code128)
    assert "^FDBrake pad set, front^FS" in code128 and "^PQ" not in code128
    # ^BE takes the 12 data digits; the printer adds the check digit (already verified).
    assert re.search(r"\^BEN,\d+,Y,N\^FH_\^FD400638133393\^FS", ean)
    assert re.search(r"\^BQN,2,\d+\^FH_\^FDMA,MAIN/A/01\^FS", qr) and "^PQ4,0,1,Y" in qr
    # Characters that ZPL reads as commands travel as hex escapes.
    assert "^FDA_5EB_7EC_5FD^FS" in odd and "^FDOdd _5Echars_7E^FS" in odd
    small = render_labels_zpl([ITEMS[0]], layout_for("57x32"))
    assert "^PW456" in small and "^LL256" in small
