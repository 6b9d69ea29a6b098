"""The README's backprop-sheet tables are the ones the layout and the reference give today."""

from pathlib import Path

from backprop_sheet import docs
from backprop_sheet.config import SheetConfig

README = Path(__file__).parents[2] / "README.md"


def section() -> str:
    text = README.read_text()
    return text[text.index("<!-- backprop-sheet:begin -->"):text.index("<!-- backprop-sheet:end -->")]


def test_columns_table_is_current():
    assert docs.columns_table() in section()


def test_e_total_table_is_current():
    assert docs.e_total_table(SheetConfig()) in section()


def test_readme_shows_the_committed_picture():
    assert "(output/backprop_lr.png)" in section()
    assert (README.parent / "output" / "backprop_lr.png").read_bytes().startswith(b"\x89PNG")


RENDERS = ("backprop_summary.png", "backprop_rate_sheet.png", "backprop_derivation.png")


def test_readme_shows_the_printed_sheets():
    for name in RENDERS:
        assert f"(output/{name})" in section()
        assert (README.parent / "output" / name).read_bytes().startswith(b"\x89PNG")


def test_readme_names_the_engines_and_the_row_limit():
    from backprop_sheet.layout import MAX_ITERATIONS
    assert "LibreOffice Calc 7.4 and Gnumeric 1.12" in section()
    assert f"1 … {MAX_ITERATIONS:,}" in section()
