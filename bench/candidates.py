"""Candidate architectures tried while tuning (bench/tune.py), registered beside the package's models.

A candidate that wins moves into mnist/models.py (t2 became `tiny`); the rest stay here so that every
line of output/tuning.jsonl can be re-run.
"""

from __future__ import annotations

from torch import nn

from mnist.models import MODELS, Crop, Net, block, separable, tiny


def head(c_in: int) -> list[nn.Module]:
    return [nn.AdaptiveAvgPool2d(1), nn.Conv2d(c_in, 10, 1, bias=False)]


def t1(dropout: float = 0.0) -> Net:
    return Net(*block(1, 16, 0, drop=False), *separable(16, 24), nn.MaxPool2d(2), *separable(24, 32),
               *separable(32, 32), nn.Conv2d(32, 32, 3, groups=32, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
               *head(32))


def t1b(dropout: float = 0.0) -> Net:
    return Net(*block(1, 16, 0, drop=False), *separable(16, 24), *separable(24, 24), nn.MaxPool2d(2),
               *separable(24, 28), *separable(28, 28), *head(28))


t2 = tiny  # the winner, now the package's `tiny`


def tiny_v1(dropout: float = 0.0) -> Net:
    """The first `tiny` (3,992 parameters; the tuning log's "tiny" lines with that count): plain 3x3 convs."""
    return Net(*block(1, 8, 0, drop=False), *block(8, 8, 0, drop=False), *block(8, 12, 0, drop=False),
               nn.MaxPool2d(2), nn.Conv2d(12, 8, 1, bias=False), *block(8, 12, 0, drop=False),
               *block(12, 12, 0, drop=False), *head(12))


def t3(dropout: float = 0.0) -> Net:
    """Conventional convs, wider after the pool than tiny."""
    return Net(*block(1, 8, 0, drop=False), *block(8, 12, 0, drop=False), nn.MaxPool2d(2),
               *block(12, 14, 0, drop=False), nn.Conv2d(14, 8, 1, bias=False), *block(8, 12, 0, drop=False),
               *head(12))


def dwsep_bn(c_in: int, c_out: int, padding: int = 0) -> list[nn.Module]:
    """MobileNet v1: BN and ReLU after the depthwise conv as well."""
    return [nn.Conv2d(c_in, c_in, 3, padding=padding, groups=c_in, bias=False), nn.BatchNorm2d(c_in), nn.ReLU(),
            nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


def t4(dropout: float = 0.0) -> Net:
    """Two pools: the last layers see the whole digit."""
    return Net(*block(1, 16, 0, drop=False), *separable(16, 20), nn.MaxPool2d(2), *separable(20, 28),
               *separable(28, 28, 1), nn.MaxPool2d(2), *separable(28, 28, 1), *head(28))


def t5(dropout: float = 0.0) -> Net:
    return Net(*block(1, 12, 0, drop=False), *dwsep_bn(12, 20), *dwsep_bn(20, 24), nn.MaxPool2d(2),
               *dwsep_bn(24, 30), *dwsep_bn(30, 30), *head(30))


class Residual(nn.Sequential):
    """x + layers(x): the layers must keep the shape."""

    def forward(self, x):
        return x + super().forward(x)


def t6(dropout: float = 0.0, width: int = 22, blocks: tuple[int, int] = (2, 2)) -> Net:
    """Residual depthwise-separable blocks at 12x12 and 6x6: deeper, with a receptive field of 32."""
    return Net(*block(1, 16, 0, drop=False), *separable(16, width), nn.MaxPool2d(2),
               *[Residual(*separable(width, width, 1)) for _ in range(blocks[0])], nn.MaxPool2d(2),
               *[Residual(*separable(width, width, 1)) for _ in range(blocks[1])], *head(width))


def t8(dropout: float = 0.0) -> Net:
    return t6(dropout, width=20, blocks=(3, 2))


def t2s(dropout: float = 0.0) -> Net:
    """t2 with SiLU in place of ReLU."""
    return Net(*[nn.SiLU() if isinstance(m, nn.ReLU) else m for m in t2().layers])


def fast_narrow(dropout: float = 0.0) -> Net:
    """`fast` with 24 channels in place of 32 after the first pool: about a fifth fewer FLOPs per image."""
    return Net(nn.Conv2d(1, 16, 3, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(16), nn.ReLU(),
               *block(16, 24, dropout), *block(24, 32, dropout), nn.MaxPool2d(2),
               *block(32, 16, dropout, padding=1), nn.AdaptiveAvgPool2d(1), nn.Conv2d(16, 10, 1))


def fast_s2(dropout: float = 0.0) -> Net:
    """`fast` with a stride-2 first conv in place of conv + max-pool: the same 13x13 maps, the same
    parameters, a quarter of the first conv's work and no pool."""
    return Net(nn.Conv2d(1, 16, 3, stride=2, bias=False), nn.BatchNorm2d(16), nn.ReLU(),  # (16, 13, 13)
               *block(16, 32, dropout), *block(32, 32, dropout), nn.MaxPool2d(2),
               *block(32, 16, dropout, padding=1), nn.AdaptiveAvgPool2d(1), nn.Conv2d(16, 10, 1))


def fast_s2w(dropout: float = 0.0) -> Net:
    """`fast_s2` with 24 channels from the stride-2 conv and 28 after it: more width where the maps are largest."""
    return Net(nn.Conv2d(1, 24, 3, stride=2, bias=False), nn.BatchNorm2d(24), nn.ReLU(),  # (24, 13, 13)
               *block(24, 28, dropout), *block(28, 32, dropout), nn.MaxPool2d(2),
               *block(32, 16, dropout, padding=1), nn.AdaptiveAvgPool2d(1), nn.Conv2d(16, 10, 1))


def fast_c8(dropout: float = 0.0, first: int = 8) -> Net:
    """`fast` with 8 channels (not 16) from the first conv: its max-pool, a quarter of the step, halves."""
    return Net(nn.Conv2d(1, first, 3, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(first), nn.ReLU(),
               *block(first, 32, dropout), *block(32, 32, dropout), nn.MaxPool2d(2),
               *block(32, 16, dropout, padding=1), nn.AdaptiveAvgPool2d(1), nn.Conv2d(16, 10, 1))


def fast_c12(dropout: float = 0.0) -> Net:
    """`fast_c8` with 12 first-conv channels: validation as `fast`'s, but its runs were slower."""
    return fast_c8(dropout, first=12)


def fast_uncropped(dropout: float = 0.0) -> Net:
    """`fast` before it cropped the frame's border: conv and pool on all 28x28 pixels. The tuning log's
    "fast" lines up to the first "fast_k" line are this network."""
    return fast_c8(dropout, first=16)


def fast_k(dropout: float = 0.0, border: int = 1) -> Net:
    """`fast_uncropped` on the centre of the frame (the tuning log's "fast_k" lines): now the package's `fast`."""
    return Net(Crop(border), *fast_uncropped(dropout).layers)


def fast_k24(dropout: float = 0.0) -> Net:
    """`fast` on the centre 24x24: 35 % fewer FLOPs than the whole frame, but lower validation accuracy."""
    return fast_k(dropout, border=2)


def tiny_pool(dropout: float = 0.0) -> Net:
    """`tiny` with its pool one block earlier: the three later blocks run on 12x12 and smaller, not 22x22.
    13.4 s per training epoch against 15.2 s (bf16), but validation 99.18-99.36 % over 3 seeds against
    99.29-99.33 %: not adopted."""
    return Net(*block(1, 12, dropout, drop=False), *separable(12, 20), nn.MaxPool2d(2),  # (20, 12, 12)
               *separable(20, 24, 1), *separable(24, 32), *separable(32, 32),  # (32, 8, 8)
               nn.AdaptiveAvgPool2d(1), nn.Conv2d(32, 10, 1, bias=False))


def tiny_k(dropout: float = 0.0, border: int = 1) -> Net:
    """`tiny` on the centre of the frame, as `fast` does: (28 - 2 * border) pixels square in."""
    return Net(Crop(border), *tiny(dropout).layers)


def tiny_k2(dropout: float = 0.0) -> Net:
    return tiny_k(dropout, border=2)


CANDIDATES = {"tiny_v1": tiny_v1, "t1": t1, "t1b": t1b, "t2": t2, "t2s": t2s, "t3": t3, "t4": t4, "t5": t5,
              "t6": t6, "t8": t8, "tiny_pool": tiny_pool, "fast_narrow": fast_narrow, "fast_s2": fast_s2,
              "fast_s2w": fast_s2w, "fast_c8": fast_c8, "fast_c12": fast_c12, "fast_k": fast_k, "fast_k24": fast_k24,
              "fast_uncropped": fast_uncropped, "tiny_k": tiny_k, "tiny_k2": tiny_k2}
for name, builder in CANDIDATES.items():
    MODELS.setdefault(name, builder)
