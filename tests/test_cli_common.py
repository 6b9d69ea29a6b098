"""Both commands answer alike: -h, --version, and bad usage as one `Error: …` line with exit code 2."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop_sheet.cli import main as backprop_sheet
from bpcore import __version__
from mnist.cli import main as mnist

COMMANDS = {"backprop-sheet": backprop_sheet, "mnist": mnist}


def run(command: str, *args: str):
    return CliRunner().invoke(COMMANDS[command], list(args), prog_name=command)


@pytest.mark.parametrize("command", COMMANDS)
def test_version(command):
    result = run(command, "--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"{command} {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_short_help(command):
    short, long = run(command, "-h"), run(command, "--help")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout and "Usage:" in short.stdout


@pytest.mark.parametrize(("command", "args"), [
    ("backprop-sheet", ["generate", "--bogus"]), ("mnist", ["train", "--bogus"]),
    ("backprop-sheet", ["nonsense"]), ("mnist", ["nonsense"]),
    ("backprop-sheet", ["generate", "--lr"]), ("mnist", ["train", "--epochs"]),
])
def test_bad_usage_is_one_line_and_exit_2(command, args):
    result = run(command, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert f"see '{command}" in lines[0]  # click's one-line hint to --help


@pytest.mark.slow  # two fresh processes, one of which imports torch
@pytest.mark.parametrize("command", COMMANDS)
def test_the_installed_commands(command):
    """The console scripts themselves, as a user runs them."""
    path = shutil.which(command, path=str(Path(sys.executable).parent)) or shutil.which(command)
    if path is None:
        pytest.skip(f"{command} is not installed (pip install -e '.[mnist]')")
    version = subprocess.run([path, "--version"], check=False, capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.strip() == f"{command} {__version__}"
    bad = subprocess.run([path, "nonsense"], check=False, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout == "" and len(bad.stderr.splitlines()) == 1
