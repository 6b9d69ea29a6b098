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


@pytest.fixture(scope="session")
def soffice():
    """LibreOffice is the oracle for the formulas: skip without it locally, but never in CI."""
    path = shutil.which("soffice")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but LibreOffice's soffice is not on PATH")
        pytest.skip("LibreOffice (soffice) is not installed")
    return path

