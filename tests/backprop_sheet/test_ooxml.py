"""An independent OOXML checker (openxml-audit) finds nothing in the workbook that it does not also
find in openpyxl's own one-cell workbook."""

import re

import openpyxl
import pytest

from backprop_sheet.config import SheetConfig
from backprop_sheet.generate import generate

audit = pytest.importorskip("openxml_audit")


def findings(path) -> set[str]:
    """Each finding as a kind: part numbers, counts and positions left out."""
    result = audit.OpenXmlValidator(max_errors=0).validate(str(path))
    return {re.sub(r"\d+", "N", str(error)) for error in result.errors}


def test_nothing_beyond_what_openpyxl_itself_gets(tmp_path):
    baseline = openpyxl.Workbook()
    baseline.active["A1"] = "one cell"
    baseline.save(tmp_path / "one_cell.xlsx")
    generate(SheetConfig(), tmp_path / "ours.xlsx")
    generate(SheetConfig(learning_rates=(0.5,), iterations=3), tmp_path / "small.xlsx")
    allowed = findings(tmp_path / "one_cell.xlsx")
    assert allowed  # the checker does say something about openpyxl's own file (inline strings)
    for name in ("ours", "small"):
        assert findings(tmp_path / f"{name}.xlsx") <= allowed
