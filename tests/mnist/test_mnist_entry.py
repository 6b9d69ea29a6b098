"""`mnist` on an install without the `[mnist]` extra: one line that says what is missing and how to get it,
before anything imports torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import bpcore
from mnist import entry

ROOT = Path(__file__).resolve().parents[2]


def run_entry(blocked: list[str], *args: str) -> subprocess.CompletedProcess:
    """`mnist ARGS` in a fresh Python where the `blocked` packages cannot be imported (as if not installed)."""
    code = (f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None  # import raises ImportError\n"
            "from mnist.entry import main\nmain()\n")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=120)


@pytest.mark.parametrize("blocked", [["torch"], ["tqdm", "PIL"], ["torchvision"]])
def test_without_the_extra_mnist_says_so_in_one_line(blocked):
    done = run_entry(blocked, "train", "--dry-run")
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == ("Error: mnist needs PyTorch, torchvision, tqdm and Pillow, which this install lacks "
                           f"({', '.join(n for n in entry.NEEDED if n in blocked)}): "
                           "pip install 'backprop-sheet[mnist]'\n")


def test_importing_the_entry_or_the_package_loads_no_torch():
    code = "import sys, mnist, mnist.entry, mnist.threads; print(sorted({'torch', 'tqdm', 'PIL'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_with_everything_installed_the_entry_runs_the_cli(monkeypatch, capsys):
    assert entry.missing() == []
    monkeypatch.setattr(sys, "argv", ["mnist", "--version"])  # in this process: torch is loaded already
    with pytest.raises(SystemExit) as exited:
        entry.main()
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"mnist {bpcore.__version__}\n"
