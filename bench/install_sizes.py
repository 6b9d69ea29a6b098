"""The size on disk of each install the docs offer: a fresh virtual environment per install, measured.

    python bench/install_sizes.py [--cpu-torch WHEEL_OR_SPEC] [--out output/install_sizes.json]

Each case makes a new venv in a temporary folder, runs pip there and records the venv's size, the
packages in it and the largest of them. Feeds docs/install.md ("Sizes"). About 3-6 minutes, most of it
copying torch. `--cpu-torch` names the CPU build to install where PyTorch's own index cannot be
reached (default: that index, through --extra-index-url).
"""

import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def folder_mb(path: Path) -> int:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20)


def measure(name: str, steps: list[list[str]]) -> dict:
    """Make a venv, run each `pip install …` step in it, and measure it."""
    with tempfile.TemporaryDirectory(prefix="install-size-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        empty = folder_mb(venv)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        for step in steps:
            subprocess.run(pip + step, check=True, capture_output=True)
        freeze = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                                check=True, capture_output=True, text=True).stdout.split()
        site = next((venv / "lib").glob("python*/site-packages"))
        largest = sorted(((folder_mb(p), p.name) for p in site.iterdir() if p.is_dir()), reverse=True)[:6]
        return {"name": name, "pip": [" ".join(s) for s in steps], "mb": folder_mb(venv), "empty_venv_mb": empty,
                "packages": sorted(p for p in freeze if not p.startswith(("pip==", "setuptools=="))),
                "largest_mb": {n: mb for mb, n in largest}}


@click.command()
@click.option("--cpu-torch", multiple=True, help="A CPU torch wheel, or a requirement that goes with it "
              f"(torchvision<0.29), installed with the extra where {CPU_INDEX} cannot be reached; repeatable.")
@click.option("--out", default=str(ROOT / "output" / "install_sizes.json"), show_default=True)
def main(cpu_torch, out):
    from bpcore.files import write_json

    here = str(ROOT)
    cpu = [[*cpu_torch, f"{here}[mnist]"]] if cpu_torch else [["--extra-index-url", CPU_INDEX, f"{here}[mnist]"]]
    cases = [measure("spreadsheet side", [[here]]),
             measure("with [mnist], CPU torch", cpu),
             measure("with [mnist], PyPI's torch", [[f"{here}[mnist]"]]),
             measure("with [mnist,test], PyPI's torch", [[f"{here}[mnist,test]"]])]
    write_json(out, {"machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
                     "measured": time.strftime("%Y-%m-%d"), "cases": cases})
    for case in cases:
        click.echo(f"{case['name']}: {case['mb']:,} MB, {len(case['packages'])} packages")


if __name__ == "__main__":
    main()
