"""Where `check` gets its values: as saved (no engine needed), recalculated, or not at all, per file."""

import json
import re
import shutil
import subprocess
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
    assert lines[0].startswith(f"{saved}: OK, score 100/100 (1 table; values as saved by ")
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
def mistake_as_xls_and_csv(tmp_path, soffice):
    """A workbook with the source document's h1 typo, saved by LibreOffice as .xls and as .csv (its lr 0.5 sheet)."""
    path = tmp_path / "typo.xlsx"
    generate(SMALL, path)
    wb = load_workbook(path)
    cell = wb["lr 0.5"][f"{L.letter('h1', SMALL.spec)}{L.data_row(2)}"]
    cell.value = cell.value.replace("*i_2", "+i_2")
    wb.save(path)
    # the .csv holds the lr 0.5 sheet (the filter's 12th token is the sheet's number), in UTF-8 (76)
    csv_filter = f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false," \
                 f"{wb.sheetnames.index('lr 0.5') + 1}"
    out = {}
    for suffix, target in (("xls", "xls"), ("csv", csv_filter)):
        subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                        "--convert-to", target, "--outdir", str(tmp_path / suffix), str(path)],
                       check=True, capture_output=True, timeout=300)
        (out[suffix],) = (tmp_path / suffix).glob(f"typo*.{suffix}")  # the .csv is named after its sheet too
    return out, f"'lr 0.5'!{cell.coordinate}"


def test_xls_is_graded_through_an_engine_or_from_its_values(runner, mistake_as_xls_and_csv, monkeypatch,
                                                            path_without_engines):
    files, cell = mistake_as_xls_and_csv
    with_engine = runner.invoke(main, ["check", str(files["xls"])])
    assert "recalculated by LibreOffice" in with_engine.output
    assert f"✗ {cell} h1: h1_w2_plus_i2" in with_engine.output, with_engine.output
    monkeypatch.setenv("PATH", path_without_engines)
    monkeypatch.delenv("BACKPROP_SOFFICE", raising=False)
    without = runner.invoke(main, ["check", str(files["xls"])])
    assert "values read from the .xls without a spreadsheet engine" in without.output
    assert f"✗ {cell} h1: h1_w2_plus_i2" in without.output, without.output


def test_csv_is_graded_as_typed_values(runner, mistake_as_xls_and_csv):
    files, cell = mistake_as_xls_and_csv
    result = runner.invoke(main, ["check", str(files["csv"])])
    assert result.exit_code == 1
    assert "values from a .csv, which holds no formulas" in result.output
    sheet = files["csv"].stem
    assert f"✗ '{sheet}'!{cell.split('!')[1]} h1: h1_w2_plus_i2" in result.output, result.output


def test_a_file_that_is_not_an_xls_is_named(runner, tmp_path):
    fake = tmp_path / "fake.xls"
    fake.write_text("i1,i2\n")
    result = runner.invoke(main, ["check", str(fake)])
    assert result.exit_code == 1 and "unreadable: not an .xls workbook" in result.output


def test_a_file_that_breaks_the_grader_does_not_stop_the_others(runner, saved, tmp_path, monkeypatch):
    from backprop_sheet.check import run as check_run
    other = tmp_path / "other.xlsx"
    generate(SMALL, other)
    real = check_run.grade_sheets

    def grade(path, *args):
        if path.endswith("saved.xlsx"):
            raise IndexError("a layout nobody foresaw")
        return real(path, *args)

    monkeypatch.setattr(check_run, "grade_sheets", grade)
    result = runner.invoke(main, ["check", str(saved), str(other)])
    assert result.exit_code == 1
    assert f"{saved}: unreadable: could not grade it (IndexError: a layout nobody foresaw)" in result.output
    assert f"{other}: OK" in result.output
