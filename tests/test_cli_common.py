"""Both commands answer alike: -h, --version, and bad usage as one `Error: …` line with exit code 2."""

import subprocess
import sys

import pytest

from bpcore import __version__

COMMANDS = {"backprop-sheet": "backprop_sheet.cli", "mnist": "mnist.entry"}


def run(command: str, *args: str) -> subprocess.CompletedProcess:
    code = f"import sys; sys.argv[0] = {command!r}; from {COMMANDS[command]} import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], check=False, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("command", COMMANDS)
def test_version(command):
    result = run(command, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"{command} {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_short_help(command):
    short, long = run(command, "-h"), run(command, "--help")
    assert short.returncode == long.returncode == 0
    assert short.stdout == long.stdout and "Usage:" in short.stdout


@pytest.mark.parametrize(("command", "args"), [
    ("backprop-sheet", ["generate", "--bogus"]), ("mnist", ["train", "--bogus"]),
    ("backprop-sheet", ["nonsense"]), ("mnist", ["nonsense"]),
    ("backprop-sheet", ["generate", "--lr"]), ("mnist", ["train", "--epochs"]),
])
def test_bad_usage_is_one_line_and_exit_2(command, args):
    result = run(command, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert f"see '{command}" in lines[0]  # click's one-line hint to --help
