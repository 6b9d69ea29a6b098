"""The docs' backprop-sheet tables, pictures and figures are the ones the layout, the reference and output/
give today, and every link and picture of the README and docs/ points at a file that is there."""

import json
import re
from pathlib import Path

import pytest

from backprop_sheet import docs
from backprop_sheet.config import SheetConfig, load_config
from backprop_sheet.generate import generate
from backprop_sheet.workbook import read_grids

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
WORKBOOK = ROOT / "docs" / "workbook.md"
CHECK = ROOT / "docs" / "check.md"
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]


def is_png(path: Path) -> bool:
    return path.read_bytes().startswith(b"\x89PNG")


def test_columns_table_is_current():
    assert docs.columns_table() in WORKBOOK.read_text()


def test_e_total_table_is_current():
    assert docs.e_total_table(SheetConfig()) in WORKBOOK.read_text()


def test_workbook_page_shows_the_committed_pictures():
    for name in ("backprop_lr.png", "backprop_summary.png", "backprop_rate_sheet.png", "backprop_derivation.png"):
        assert f"(../output/{name})" in WORKBOOK.read_text(), name
        assert is_png(ROOT / "output" / name)


def test_readme_shows_a_rate_sheet_the_learning_rates_and_a_check_report():
    for name in ("backprop_rate_sheet.png", "backprop_lr.png", "check_feedback.png"):
        assert f"(output/{name})" in README.read_text(), name
        assert is_png(ROOT / "output" / name)
    assert "(../output/check_feedback.png)" in CHECK.read_text()


def test_workbook_page_names_the_engines_and_the_row_limit():
    from backprop_sheet.layout import MAX_ITERATIONS
    assert "LibreOffice Calc 7.4 and Gnumeric 1.12" in WORKBOOK.read_text()
    assert f"1 … {MAX_ITERATIONS:,}" in WORKBOOK.read_text()


def test_workbook_page_shows_the_classic_example_config():
    assert (ROOT / "examples" / "classic.toml").read_text().strip() in WORKBOOK.read_text()


def test_workbook_page_shows_the_relu_example_config_and_picture(tmp_path):
    """The 2-3-2 ReLU config on the page is examples/relu.toml, and the committed workbook is made from it."""
    config_path = ROOT / "examples" / "relu.toml"
    assert config_path.read_text().strip() in WORKBOOK.read_text()
    assert "(../output/backprop_relu_lr.png)" in WORKBOOK.read_text()
    assert is_png(ROOT / "output" / "backprop_relu_lr.png")
    config = load_config(config_path)
    assert (config.spec.n_in, config.spec.hidden, config.spec.n_out) == (2, 3, 2)
    assert config.hidden_activation == config.output_activation == "relu"
    assert config.train_biases and config.momentum == 0.9
    generate(config, tmp_path / "fresh.xlsx")
    committed = ROOT / "output" / "backprop_relu.xlsx"
    assert read_grids(committed, formulas=True) == read_grids(tmp_path / "fresh.xlsx", formulas=True)


def test_generate_figures_are_those_of_output_backprop_bench_json():
    """The generate timings in docs/benchmarks.md (run bench/backprop_generate.py to renew)."""
    data = json.loads((ROOT / "output" / "backprop_bench.json").read_text())
    text = BENCHMARKS.read_text()
    for r in data["results"]:
        row = (f"| {r['case']} | {r['cells']:,} | {r['generate_median_s']:.2f} s | {r['command_median_s']:.2f} s "
               f"| < {r['target_s']:g} s | {r['file_bytes'] / 1e6:.1f} MB |")
        assert row in text, row


def test_check_speed_figures_are_those_of_output_check_bench_json():
    """The check timing in docs/benchmarks.md and the README (run bench/check_speed.py to renew)."""
    data = json.loads((ROOT / "output" / "check_bench.json").read_text())
    text = BENCHMARKS.read_text()
    quoted = float(re.search(r"\*\*([\d.]+) s\*\* \(median of (\d+) runs", text).group(1))
    assert abs(quoted - data["median_s"]) <= 0.051  # the figure as written, to a tenth of a second
    assert f"target ≤ {data['target_s']:g} s" in text
    readme = " ".join(README.read_text().split())
    assert f"({data['files']} such submissions: about {round(data['median_s'])} s on 2 cores)" in readme


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_picture_points_at_a_file(page):
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        assert path.exists(), f"{page.relative_to(ROOT)} links to {target}, which is not there"


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_anchor_of_a_link_is_a_heading():
    """Links such as docs/benchmarks.md#mnist-results land on a heading of their page."""
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            file, _, anchor = target.partition("#")
            linked = (page.parent / file).resolve() if file else page
            if anchor and linked.suffix == ".md" and linked.exists():
                assert anchor in anchors(linked), f"{page.relative_to(ROOT)} links to {target}"


def test_install_sizes_in_the_docs_are_the_measured_ones():
    """docs/install.md quotes output/install_sizes.json (python bench/install_sizes.py renews it)."""
    root = Path(__file__).parents[2]
    cases = {c["name"]: c for c in json.loads((root / "output" / "install_sizes.json").read_text())["cases"]}
    text = (root / "docs" / "install.md").read_text()
    for name, row in (("spreadsheet side", "`pip install .` (spreadsheet side)"),
                      ("with [mnist], CPU torch", "`pip install '.[mnist]'`, CPU build of torch"),
                      ("with [mnist], PyPI's torch", "`pip install '.[mnist]'`, PyPI's CUDA build of torch"),
                      ("with [mnist,test], PyPI's torch", "`pip install '.[mnist,test]'`, PyPI's CUDA build")):
        case = cases[name]
        assert f"| {row} | {len(case['packages'])} | {case['mb']:,} MB |" in text, name
    spreadsheet = cases["spreadsheet side"]["packages"]
    assert not [p for p in spreadsheet if p.split("==")[0] in ("torch", "torchvision", "tqdm")]


def test_saved_check_speed_figures_are_those_of_output():
    """docs/benchmarks.md quotes output/check_saved_bench.json (python bench/check_saved.py renews it)."""
    data = json.loads((ROOT / "output" / "check_saved_bench.json").read_text())
    text = BENCHMARKS.read_text()
    for mode in ("auto", "always"):
        runs = ", ".join(f"{x:.1f}" for x in data["all_s"][mode])
        assert f"| **{data['median_s'][mode]:.1f} s** | {runs} s | ≤ {data['targets_s'][mode]:g} s |" in text, mode
        assert data["met"][mode]
    assert data["files"] == 100 and data["values_from"]["always"] == ["recalculated by LibreOffice"]
