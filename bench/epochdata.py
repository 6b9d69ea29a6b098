"""Time one epoch's data path, as the trainer runs it and as it ran on float32 images before.

    python bench/epochdata.py [--model fast] [--repeats 5] [--out output/epoch_data.json]

uint8 (the trainer now): shuffle and augment the uint8 pixels (`epoch_images`), then standardise each
batch as it is fed (`model_input`). float32 (before): standardise all 60,000 images once per run, then
shuffle and augment the float32 images and lay out each batch. Both give the same floats to the bit
(tests/mnist/test_mnist_recipes.py). The two are timed in one process, interleaved, with 2 threads;
the figure is the median over repeats. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import mnist  # noqa: F401 - first: it sets the OpenMP wait policy, which torch reads once, when it loads

# isort: split
import torch

from mnist import data as mnist_data
from mnist.augment import augment
from mnist.config import recipe
from mnist.memory import keep_freed_memory
from mnist.train import AUGMENT_CHUNK, BLACK, epoch_images, memory_format, model_input


def float32_epoch(images: torch.Tensor, perm: torch.Tensor, c, gen: torch.Generator) -> None:
    out = torch.cat([augment(images[perm[i: i + AUGMENT_CHUNK]], c.shift, c.rotate, BLACK, gen, c.scale)
                     for i in range(0, len(perm), AUGMENT_CHUNK)])
    for i in range(0, len(perm), c.batch_size):
        out[i: i + c.batch_size].contiguous(memory_format=memory_format(c))


def uint8_epoch(pixels: torch.Tensor, perm: torch.Tensor, c, gen: torch.Generator) -> None:
    out = epoch_images(pixels, perm, c, gen)
    for i in range(0, len(perm), c.batch_size):
        model_input(out[i: i + c.batch_size], memory_format(c))


def seconds(f, *args) -> float:
    t0 = time.perf_counter()
    f(*args)
    return time.perf_counter() - t0


@click.command()
@click.option("--model", default="fast", show_default=True, help="Whose recipe (batch size, augmentation).")
@click.option("--repeats", type=int, default=5, show_default=True, help="Epochs timed per path, interleaved.")
@click.option("--out", default="output/epoch_data.json", show_default=True, help="JSON file to write.")
def main(model, repeats, out):
    torch.set_num_threads(2)
    malloc = keep_freed_memory()  # as in training
    dataset, c, gen = mnist_data.load(), recipe(model), torch.Generator().manual_seed(0)
    pixels = dataset.train_images.unsqueeze(1)
    load_before = os.getloadavg()[0]
    standardise_once = []
    times = {"uint8": [], "float32": []}
    for _ in range(repeats):
        perm = torch.randperm(len(pixels), generator=gen)
        times["uint8"].append(seconds(uint8_epoch, pixels, perm, c, gen))
        t0 = time.perf_counter()
        images = mnist_data.normalise(dataset.train_images).contiguous(memory_format=memory_format(c))
        standardise_once.append(time.perf_counter() - t0)
        times["float32"].append(seconds(float32_epoch, images, perm, c, gen))
        del images
    data = {"model": model, "images": len(pixels), "batch_size": c.batch_size, "shift": c.shift,
            "rotate": c.rotate, "threads": 2, "malloc": malloc, "repeats": repeats,
            "median_epoch_seconds": {k: round(statistics.median(v), 3) for k, v in times.items()},
            "median_standardise_once_seconds": round(statistics.median(standardise_once), 3),
            "epoch_seconds": {k: [round(x, 3) for x in v] for k, v in times.items()},
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "torch": torch.__version__}
    Path(out).write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps(data))


if __name__ == "__main__":
    main()
