"""The CNNs, as flat layer lists, and a registry of their names.

Every model maps (B, 1, 28, 28) normalised images to (B, 10) log-probabilities.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    """A flat stack of layers that ends in (B, 10, 1, 1) class scores, then log_softmax."""

    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, 28, 28) -> (B, 10)
        return F.log_softmax(self.layers(x).flatten(1), dim=1)


def block(c_in: int, c_out: int, dropout: float, padding: int = 0, drop: bool = True) -> list[nn.Module]:
    """3x3 conv (no bias: BN follows) -> BN -> ReLU [-> Dropout2d]."""
    layers = [nn.Conv2d(c_in, c_out, 3, padding=padding, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
    return layers + [nn.Dropout2d(dropout)] if drop else layers


def seed(dropout: float = 0.05) -> Net:
    """The reference 19,712-parameter network, layer for layer."""
    return Net(
        *block(1, 16, dropout),                      # (16, 26, 26)
        *block(16, 16, dropout, drop=False),         # (16, 24, 24)
        *block(16, 32, dropout),                     # (32, 22, 22)
        nn.Conv2d(32, 16, 1), nn.ReLU(),             # (16, 22, 22) 1x1 transition, with bias
        nn.MaxPool2d(2),                             # (16, 11, 11)
        *block(16, 16, dropout),                     # (16, 9, 9)
        *block(16, 16, dropout, padding=1),          # (16, 9, 9)
        *block(16, 16, dropout),                     # (16, 7, 7)
        *block(16, 32, dropout),                     # (32, 5, 5)
        nn.Conv2d(32, 10, 1, bias=False),            # (10, 5, 5)
        nn.AvgPool2d(5),                             # (10, 1, 1)
    )


def separable(c_in: int, c_out: int, padding: int = 0) -> list[nn.Module]:
    """Depthwise 3x3 conv, pointwise 1x1 conv, BN, ReLU: 9*c_in + c_in*c_out weights, not 9*c_in*c_out."""
    return [nn.Conv2d(c_in, c_in, 3, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


def tiny(dropout: float = 0.0) -> Net:
    """Under 4,000 parameters: depthwise-separable convs buy 20-32 channels, then global average pooling."""
    return Net(
        *block(1, 12, dropout, drop=False),          # (12, 26, 26)
        *separable(12, 20),                          # (20, 24, 24)
        *separable(20, 24),                          # (24, 22, 22)
        nn.MaxPool2d(2),                             # (24, 11, 11)
        *separable(24, 32),                          # (32, 9, 9)
        *separable(32, 32),                          # (32, 7, 7)
        nn.AdaptiveAvgPool2d(1),                     # (32, 1, 1) global average pooling
        nn.Conv2d(32, 10, 1, bias=False),            # (10, 1, 1)
    )


class Crop(nn.Module):
    """Drop `border` pixels on every side. MNIST's digits sit in a 20x20 box centred by mass in the 28x28
    frame: a 1-pixel border holds 0.02 % of the training images' ink (1.4 % of them have any there)."""

    def __init__(self, border: int):
        super().__init__()
        self.border = border

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, (h, w) = self.border, x.shape[-2:]
        return x[:, :, b:h - b, b:w - b]  # not b:-b, which is empty for a border of 0

    def extra_repr(self) -> str:
        return f"border={self.border}"


def fast(dropout: float = 0.0) -> Net:
    """Under 20,000 parameters, built for speed: the centre 26x26 of the frame, then a pool after one conv,
    so the rest runs on 12x12 or smaller."""
    return Net(
        # The empty border costs every conv and the first pool: cropping it made a run 17 % quicker in an
        # idle A/B, at the same validation accuracy (docs/benchmarks.md, "How the recipes were chosen").
        Crop(1),                                     # (1, 26, 26)
        # Pool straight after the first conv, before BN and ReLU: the elementwise layers then
        # run on a quarter of the pixels (the airbench ordering).
        nn.Conv2d(1, 16, 3, bias=False),             # (16, 24, 24)
        nn.MaxPool2d(2),                             # (16, 12, 12)
        nn.BatchNorm2d(16), nn.ReLU(),
        *block(16, 32, dropout),                     # (32, 10, 10)
        *block(32, 32, dropout),                     # (32, 8, 8)
        nn.MaxPool2d(2),                             # (32, 4, 4)
        *block(32, 16, dropout, padding=1),          # (16, 4, 4)
        nn.AdaptiveAvgPool2d(1),                     # (16, 1, 1)
        nn.Conv2d(16, 10, 1),                        # (10, 1, 1)
    )


# Add a model by writing its builder above and naming it here.
# `reference` is the seed network under its authors' recipe (mnist/config.py): same layers, its own name.
MODELS: dict[str, Callable[..., Net]] = {"seed": seed, "tiny": tiny, "fast": fast, "reference": seed}


def build(name: str, **kwargs) -> Net:
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    return MODELS[name](**kwargs)


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
