"""Where `check` gets its values: as saved (no engine needed), recalculated, or not at all, per file."""

import json
import os
import re
import shutil
import zipfile

import pytest
from openpyxl import load_workbook

from backprop_sheet import layout as L
from backprop_sheet.cli import main
from backprop_sheet.config import SheetConfig
from backprop_sheet.generate import generate

SMALL = SheetConfig(learning_rates=(0.5,), iterations=5)


@pytest.fixture
def saved(tmp_path):
    """A workbook whose every formula carries its value, as a spreadsheet application saves it."""
    path = tmp_path / "saved.xlsx"
    generate(SMALL, path)
    return path


@pytest.fixture
def unvalued(tmp_path):
    """The same workbook saved by openpyxl: formulas without their values."""
    path = tmp_path / "unvalued.xlsx"
    generate(SMALL, path)
    load_workbook(path).save(path)
    return path


def _rewrite(path, part: str, change) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, change(data) if info.filename == part else data)


def _sheet_part(path, title: str) -> str:
    with zipfile.ZipFile(path) as z:
        names = re.findall(rb'<sheet [^>]*name="([^"]+)"', z.read("xl/workbook.xml"))
    return f"xl/worksheets/sheet{[n.decode() for n in names].index(title) + 1}.xml"


@pytest.fixture
def hidden(monkeypatch, path_without_engines):
    monkeypatch.setenv("PATH", path_without_engines)
    monkeypatch.delenv("BACKPROP_SOFFICE", raising=False)


def test_saved_values_need_no_engine(runner, hidden, saved, unvalued, tmp_path):
    result = runner.invoke(main, ["check", str(saved), str(unvalued), "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{saved}: OK (1 table; values as saved by ")
    (line,) = [x for x in lines if x.startswith(str(unvalued))]
    assert line.startswith(f"{unvalued}: needs recalculation: install LibreOffice, or open and save it in a "
                           "spreadsheet (")
    assert "formula cells were saved without their values" in line
    files = json.loads((tmp_path / "r.json").read_text())["files"]
    assert [f["status"] for f in files] == ["ok", "needs recalculation"]


def test_never_reads_only_saved_values(runner, saved, unvalued, soffice):
    result = runner.invoke(main, ["check", "--recalculate", "never", str(saved), str(unvalued)])
    assert result.exit_code == 1
    assert f"{unvalued}: needs recalculation:" in result.output and "--recalculate never" in result.output


def test_always_without_an_engine_is_bad_usage(runner, hidden, saved):
    result = runner.invoke(main, ["check", "--recalculate", "always", str(saved)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        ("Error: --recalculate always needs LibreOffice (soffice, or $BACKPROP_SOFFICE) or Gnumeric (ssconvert) "
         "to recalculate")]


def test_a_stale_saved_value_is_graded_as_saved_and_reported_with_always(runner, saved, soffice):
    cell = f"{L.letter('h1', SMALL.spec)}{L.data_row(2)}"
    _rewrite(saved, _sheet_part(saved, "lr 0.5"),
             lambda xml: re.sub(rf'(<c r="{cell}"[^>]*>.*?<v>)[^<]*(</v>)'.encode(), rb"\g<1>0.5\g<2>", xml, count=1))
    as_saved = runner.invoke(main, ["check", str(saved)])
    assert as_saved.exit_code == 1 and f"'lr 0.5'!{cell} h1" in as_saved.output
    fresh = runner.invoke(main, ["check", "--recalculate", "always", str(saved)])
    assert fresh.exit_code == 0, fresh.output
    assert "recalculated by LibreOffice" in fresh.output
    assert f"stale: 1 cell saved with another value than it computes now; first 'lr 0.5'!{cell}" in fresh.output


def test_manual_calculation_mode_is_recalculated(runner, saved, soffice):
    _rewrite(saved, "xl/workbook.xml", lambda xml: xml.replace(b"<calcPr ", b'<calcPr calcMode="manual" '))
    result = runner.invoke(main, ["check", str(saved)])
    assert result.exit_code == 0 and "recalculated by LibreOffice" in result.output, result.output


def test_gnumeric_recalculates_where_libreoffice_is_missing(runner, unvalued, gnumeric_only, monkeypatch):
    monkeypatch.setenv("PATH", gnumeric_only)
    result = runner.invoke(main, ["check", str(unvalued)])
    assert result.exit_code == 0, result.output
    assert "recalculated by Gnumeric" in result.output


def test_soffice_option_names_libreoffice_off_path(runner, hidden, unvalued, soffice):
    result = runner.invoke(main, ["check", "--soffice", soffice, str(unvalued)])
    assert result.exit_code == 0 and "recalculated by LibreOffice" in result.output, result.output
    bad = runner.invoke(main, ["check", "--soffice", "/nowhere/soffice", str(unvalued)])
    assert bad.exit_code == 2 and bad.output.startswith("Error: --soffice '/nowhere/soffice' is not an executable")


@pytest.fixture
def gnumeric_only(tmp_path, path_without_engines, gnumeric_program):
    folder = tmp_path / "bin-gnumeric"
    shutil.copytree(path_without_engines, folder, symlinks=True)
    (folder / "ssconvert").symlink_to(gnumeric_program)
    return str(folder)


@pytest.fixture
def gnumeric_program():
    path = shutil.which("ssconvert")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Gnumeric's ssconvert is not on PATH")
        pytest.skip("Gnumeric (ssconvert) is not installed")
    return path
