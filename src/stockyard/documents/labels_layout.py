"""What a barcode label carries (LabelItem) and the sizes it is printed at (Layout).

Layouts: A4 sheets of 3 × 8 labels (70 × 37 mm) and 3 × 7 labels (70 × 42.3 mm), and single labels for label
printers, 57 × 32 mm and 100 × 150 mm. A sheet is filled left to right, top to bottom; `skip` leaves the first
positions of the first sheet empty, for a sheet that was partly used already.
"""

from dataclasses import dataclass

from stockyard.core.errors import ValidationFailed
from stockyard.documents.barcodes import Symbology, check_value

MAX_LABELS = 5000


@dataclass(frozen=True)
class LabelItem:
    value: str  # what the barcode encodes
    symbology: Symbology = Symbology.CODE128
    title: str = ""  # printed above the barcode (a SKU's name, a location's code)
    subtitle: str = ""  # a smaller second line (a warehouse, a recipient)
    quantity: int = 1

    def checked(self, field: str = "value") -> "LabelItem":
        value = check_value(self.symbology, self.value, field)
        if not isinstance(self.quantity, int) or not 1 <= self.quantity <= MAX_LABELS:
            raise ValidationFailed(f"must be a whole number from 1 to {MAX_LABELS}", field="quantity")
        return LabelItem(value, Symbology(self.symbology), self.title, self.subtitle, self.quantity)


@dataclass(frozen=True)
class Layout:
    key: str
    label: str
    page_w: float  # mm
    page_h: float
    cols: int
    rows: int
    label_w: float
    label_h: float
    left: float = 0.0  # sheet margins (mm)
    top: float = 0.0

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    @property
    def is_sheet(self) -> bool:
        return self.per_page > 1


LAYOUTS: dict[str, Layout] = {layout.key: layout for layout in (
    Layout("a4-3x8", "A4 sheet, 3 × 8 (70 × 37 mm)", 210, 297, 3, 8, 70, 37, 0, 0.5),
    Layout("a4-3x7", "A4 sheet, 3 × 7 (70 × 42.3 mm)", 210, 297, 3, 7, 70, 42.3, 0, 0.45),
    Layout("57x32", "Label printer 57 × 32 mm", 57, 32, 1, 1, 57, 32),
    Layout("100x150", "Label printer 100 × 150 mm (4 × 6 in)", 100, 150, 1, 1, 100, 150),
)}


def layout_for(key: str) -> Layout:
    try:
        return LAYOUTS[key]
    except KeyError:
        raise ValidationFailed(f"unknown layout {key!r}; choose one of {', '.join(LAYOUTS)}", field="layout") from None


def expand(items: list[LabelItem]) -> list[LabelItem]:
    """Every item checked and repeated `quantity` times, in order."""
    checked = [item.checked(f"items[{i}].value") for i, item in enumerate(items)]
    total = sum(item.quantity for item in checked)
    if not checked:
        raise ValidationFailed("nothing to print: choose at least one label", field="items")
    if total > MAX_LABELS:
        raise ValidationFailed(f"{total} labels in one print job; at most {MAX_LABELS}", field="quantity")
    return [item for item in checked for _ in range(item.quantity)]
