"""Barcode labels as ZPL II for Zebra-compatible thermal printers (our own generator, 203 dpi = 8 dots/mm).

One ^XA ... ^XZ format per label item, printed `quantity` times with ^PQ. Code 128 is ^BC, EAN-13 is ^BE (given its
12 data digits: the printer adds the check digit, which check_value has already verified), QR is ^BQ (model 2, error
correction M). Field data goes through ^FH with '_' as the escape, so '^', '~' and '_' in a value cannot end the
field or start a command; ^CI28 makes the printer read the text as UTF-8.
"""

from stockyard.documents.barcodes import Symbology
from stockyard.documents.labels_layout import LabelItem, Layout, expand

DOTS_PER_MM = 8


def _field(text: str) -> str:
    """^FH_ and ^FD with the characters that ZPL would read as commands written as _XX hex."""
    escaped = "".join(f"_{ord(ch):02X}" if ch in "^~_" else ch for ch in text)
    return f"^FH_^FD{escaped}^FS"


def _dots(mm: float) -> int:
    return round(mm * DOTS_PER_MM)


def label_zpl(item: LabelItem, layout: Layout, copies: int = 1) -> str:
    w, h = _dots(layout.label_w), _dots(layout.label_h)
    pad = max(12, min(w, h) // 16)
    title_h = max(20, min(56, h // 6))
    parts = ["^XA", "^CI28", f"^PW{w}", f"^LL{h}", "^LH0,0"]
    y = pad
    if item.symbology is Symbology.QR:
        # ^BQ magnification 1-10: as large as fits in the label's height (a QR of v1-v10 is 21-57 modules).
        size = 21 + 4 * max(0, (len(item.value.encode()) - 10) // 12)
        mag = max(1, min(10, (min(h, w // 2) - 2 * pad) // (size + 8)))
        parts.append(f"^FO{pad},{pad}^BQN,2,{mag}" + _field(f"MA,{item.value}"))
        x = pad * 2 + (size + 8) * mag
        for line, height in ((item.title, title_h), (item.value, title_h * 3 // 4), (item.subtitle, title_h // 2)):
            if line:
                parts.append(f"^FO{x},{y}^A0N,{height},{height}^FB{max(w - x - pad, 40)},2,0,L" + _field(line))
                y += height * 2 + 4
    else:
        for line, height in ((item.title, title_h), (item.subtitle, title_h * 2 // 3)):
            if line:
                parts.append(f"^FO{pad},{y}^A0N,{height},{height}^FB{w - 2 * pad},1,0,L" + _field(line))
                y += height + 6
        text_h = max(18, title_h * 2 // 3)
        bar_h = max(30, min(240, h - y - pad - text_h - 8))
        modules = 95 + 18 if item.symbology is Symbology.EAN13 else 11 * (len(item.value) + 3) + 22
        module = max(1, min(4, (w - 2 * pad) // modules))
        parts.append(f"^BY{module},3,{bar_h}")
        if item.symbology is Symbology.EAN13:
            parts.append(f"^FO{pad},{y}^BEN,{bar_h},Y,N" + _field(item.value[:12]))
        else:
            parts.append(f"^FO{pad},{y}^BCN,{bar_h},Y,N,N" + _field(item.value))
    if copies > 1:
        parts.append(f"^PQ{copies},0,1,Y")
    parts.append("^XZ")
    return "\n".join(parts) + "\n"


def render_labels_zpl(items: list[LabelItem], layout: Layout) -> str:
    """All labels as one ZPL job; a sheet layout prints its single label size (70 × 37 mm, ...)."""
    expand(items)  # checks every value and the total
    return "".join(label_zpl(item.checked(), layout, item.quantity) for item in items)
