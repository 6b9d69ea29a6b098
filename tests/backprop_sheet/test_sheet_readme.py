"""The README's backprop-sheet tables are the ones the layout and the reference give today."""

from pathlib import Path

from backprop_sheet import docs
from backprop_sheet.config import SheetConfig, load_config
from backprop_sheet.generate import generate
from backprop_sheet.workbook import read_grids

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


def test_readme_shows_the_relu_example_config_and_picture(tmp_path):
    """The README's 2-3-2 ReLU config is the committed one, and the committed workbook is made from it."""
    config_path = README.parent / "output" / "backprop_relu.toml"
    assert config_path.read_text().strip() in section()
    assert "(output/backprop_relu_lr.png)" in section()
    assert (README.parent / "output" / "backprop_relu_lr.png").read_bytes().startswith(b"\x89PNG")
    config = load_config(config_path)
    assert (config.spec.n_in, config.spec.hidden, config.spec.n_out) == (2, 3, 2)
    assert config.hidden_activation == config.output_activation == "relu"
    assert config.train_biases and config.momentum == 0.9
    generate(config, tmp_path / "fresh.xlsx")
    committed = README.parent / "output" / "backprop_relu.xlsx"
    assert read_grids(committed, formulas=True) == read_grids(tmp_path / "fresh.xlsx", formulas=True)
