"""Real MNIST for the tests: the verified cache that `mnist fetch` fills (CI runs it before pytest)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from mnist import data as mnist_data


@pytest.fixture(scope="session")
def dataset() -> mnist_data.MNIST:
    root = mnist_data.cache_dir()
    missing = [name for name in mnist_data.SHA256 if mnist_data.check_file(root / name) is not None]
    if missing:
        message = f"MNIST is not in {root} (run `mnist fetch` first): {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # CI must test on real data, never skip
        pytest.skip(message)
    return mnist_data.load(root)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory, dataset):
    """The fast model trained for two epochs on 8,000 real images, through the CLI."""
    from mnist.cli import main

    out = tmp_path_factory.mktemp("run") / "fast"
    result = CliRunner().invoke(main, ["train", "--model", "fast", "--epochs", "2", "--batch-size", "64", "--out",
                                       str(out), "--quiet", "--subset", "8000", "--target", "50"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Test set: Average loss:" in result.output and "Accuracy:" in result.output
    assert "Target 50.00%" in result.output and "MET" in result.output
    return out / "last.pt"
