"""The workbook's look: one font family, the fills and borders, number formats and print setup."""

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

FONT = "Arial"  # one family for cells, headers and charts; every office suite has it or a metric twin
BODY = Font(name=FONT, size=10)
BOLD = Font(name=FONT, size=10, bold=True)
TITLE = Font(name=FONT, size=13, bold=True)
NOTE = Font(name=FONT, size=10, italic=True, color="595959")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a user may edit
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_BORDER = Border(bottom=Side(style="thin"))
CENTER = Alignment(horizontal="center", vertical="center")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
LEFT = Alignment(horizontal="left")
RIGHT = Alignment(horizontal="right")


def value_format(value: float) -> str:
    """A readable format for one value: plain decimals, or scientific with few digits when tiny or huge."""
    if value == 0 or (isinstance(value, int) and abs(value) < 1e6):
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        return "0.000000"
    return "0.000E+00"


def print_setup(ws: Worksheet, title_rows: str | None = None, pages_wide: int = 1) -> None:
    """Landscape, `pages_wide` pages wide, the header rows repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = pages_wide, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
