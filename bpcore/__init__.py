"""The small core that backprop_sheet and mnist share: one way to fail, one atomic write, one plot style.

The two packages import nothing from each other, only from here.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("backprop-sheet")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
