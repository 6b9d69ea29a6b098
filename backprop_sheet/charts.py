"""The charts of E_total against iteration, built from the layout (openpyxl chart objects).

Ranges are written as formula text: openpyxl's Reference stops at row 1,000,000, short of Excel's
1,048,576. The x axis sits at the bottom (axPos="b"): Gnumeric draws an axis where axPos says.
"""

import math

from openpyxl.chart import ScatterChart
from openpyxl.chart.data_source import AxDataSource, NumDataSource, NumRef, StrRef
from openpyxl.chart.legend import Legend
from openpyxl.chart.series import SeriesLabel, XYSeries
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import CharacterProperties, Font, Paragraph, ParagraphProperties, RegularTextRun

from backprop_sheet import layout as L
from backprop_sheet.spec import Network
from backprop_sheet.styles import FONT

COLORS = ("1F77B4", "FF7F0E", "2CA02C", "D62728", "9467BD", "8C564B", "E377C2", "7F7F7F", "BCBD22", "17BECF")


def column_range(title: str, key: str, iterations: int, spec: Network) -> str:
    """`'lr 0.1'!$T$19:$T$118`: one column of a rate sheet, every iteration."""
    letter = L.letter(key, spec)
    return f"{L.quote_sheet(title)}!${letter}${L.FIRST_ROW}:${letter}${L.data_row(iterations)}"


def tick_step(iterations: int) -> int:
    """A round step (1, 2, 5 × 10^k) that puts at most 10 intervals on the iteration axis."""
    for power in range(8):
        for unit in (1, 2, 5):
            step = unit * 10 ** power
            if math.ceil(iterations / step) <= 10:
                return step
    raise ValueError(iterations)


def _text(size: int, bold: bool = False) -> RichText:
    font = CharacterProperties(latin=Font(typeface=FONT), sz=size * 100, b=bold)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=font), endParaRPr=font)])


def _title(text: str) -> Title:
    font = CharacterProperties(latin=Font(typeface=FONT), sz=1200, b=True)
    rich = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(rPr=font, t=text)])])
    rich.bodyPr.wrap = "none"  # a short title on one line
    return Title(tx=Text(rich=rich), overlay=False)


def chart(title: str, iterations: int) -> ScatterChart:
    """An empty E_total chart: titled, with round iteration ticks and plain axis numbers."""
    c = ScatterChart(scatterStyle="lineMarker")  # the markers themselves are switched off per series
    c.title = _title(title)
    c.style = 2
    c.txPr = _text(10)
    step = tick_step(max(iterations, 2))
    x, y = c.x_axis, c.y_axis
    x.scaling.min, x.scaling.max, x.majorUnit = 0, step * math.ceil(max(iterations, 2) / step), step
    x.axPos, y.axPos = "b", "l"
    x.title, y.title = _title("iteration"), _title("E_total")
    x.number_format, y.number_format = "#,##0", "0.0##"  # Gnumeric reads "General" as the cells' format
    x.numFmt.sourceLinked = y.numFmt.sourceLinked = False  # not the cells' 9 decimals
    x.majorGridlines = None
    x.majorTickMark = y.majorTickMark = "out"
    # openpyxl ≥ 3.1 leaves `delete` unset, which Excel reads as "hide the axis".
    x.delete = y.delete = False
    c.legend = Legend(legendPos="r", overlay=False)
    return c


def place(c: ScatterChart, row: int, rows: int, columns: int) -> None:
    """Anchor the chart to a block of cells: `rows` × `columns` from column A of `row` (1-based).

    A two-cell anchor: Gnumeric reads charts only from those (openpyxl's default is a one-cell anchor).
    """
    c.anchor = TwoCellAnchor(_from=AnchorMarker(col=0, row=row - 1), to=AnchorMarker(col=columns, row=row - 1 + rows))


def series(title: str, iterations: int, k: int, spec: Network) -> XYSeries:
    """E_total of sheet `title` against its iteration column, named by the k-th rate's legend cell."""
    s = XYSeries()
    s.xVal = AxDataSource(numRef=NumRef(f=column_range(title, "iteration", iterations, spec)))
    s.yVal = NumDataSource(numRef=NumRef(f=column_range(title, "E_total", iterations, spec)))
    s.tx = SeriesLabel(strRef=StrRef(L.legend_ref(k)))
    s.marker.symbol = "none"
    s.smooth = False
    color = COLORS[k % len(COLORS)]
    s.graphicalProperties = GraphicalProperties(ln=LineProperties(solidFill=color, w=22225))  # 1.75 pt
    return s
