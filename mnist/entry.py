"""The `mnist` console script: check for the trainer's optional dependencies before importing any of them.

`pip install backprop-sheet` alone brings the spreadsheet side only; without this check `mnist` would end
in an ImportError traceback from deep inside mnist.cli. So `mnist` looks for the packages first (find_spec
imports nothing) and, where one is missing, says in one line which and how to get them.
"""

from __future__ import annotations

import importlib.util
import sys

NEEDED = ("torch", "torchvision", "tqdm", "PIL")  # import names of the `[mnist]` extra in pyproject.toml
INSTALL = "pip install 'backprop-sheet[mnist]'"


def missing() -> list[str]:
    """The NEEDED packages this Python cannot import."""
    def absent(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is None
        except (ImportError, ValueError):  # a blocked or broken package: it cannot be imported either
            return True

    return [name for name in NEEDED if absent(name)]


def main() -> None:
    lacking = missing()
    if lacking:
        print(f"Error: mnist needs PyTorch, torchvision, tqdm and Pillow, which this install lacks "
              f"({', '.join(lacking)}): {INSTALL}", file=sys.stderr)
        sys.exit(2)
    from mnist.cli import main as cli_main  # imports torch

    cli_main()


if __name__ == "__main__":
    main()
