"""The training loop: whole dataset in memory, batches sliced from a permutation, LR a pure function of the step."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from bpcore.files import atomic_write, write_json

from . import data as mnist_data
from . import startup
from .augment import augment
from .config import TrainConfig
from .memory import keep_freed_memory
from .models import Net, build, count_parameters
from .plot import plot_curves
from .threads import ThreadGovernor

VALIDATION_SPLIT_SEED = 0  # the held-out validation images are the same whatever the training seed
RUN_FILES = ("last.pt", "best.pt", "metrics.json", "config.json", "curves.png")  # what a run writes


class TrainingError(Exception):
    """Training cannot start or cannot go on (bad checkpoint, NaN loss, ...)."""


class ResumeMismatch(TrainingError):
    """--resume with settings other than the run's: `differences` holds (field, the run's value, the new value)."""

    def __init__(self, path: Path, differences: list[tuple[str, object, object]]):
        listed = "; ".join(f"{name}: {was!r} in the run, {now!r} now" for name, was, now in differences)
        super().__init__(f"{path} was made with different settings ({listed}); resume with the run's settings")
        self.path, self.differences = path, differences


@dataclass
class Result:
    config: TrainConfig
    params: int  # total parameter count of the model
    epochs: list[dict] = field(default_factory=list)  # one record per epoch (see `train_one_epoch`)
    stopped: str | None = None  # why the run stopped early, if it did
    precision: str = "fp32"  # the precision the run used: the recipe's, or fp32 where bf16 is not fast
    note: str | None = None  # why the run differs from its recipe (e.g. the precision fallback), if it does
    malloc: str = "default"  # "kept": freed memory kept for reuse (mnist/memory.py); else why not

    @property
    def accuracies(self) -> list[float]:
        return [e["test_accuracy"] for e in self.epochs]

    @property
    def first_reached(self) -> int | None:
        """The first epoch whose accuracy reached the target."""
        return next((e["epoch"] for e in self.epochs if e["test_accuracy"] >= self.config.target), None)

    @property
    def within_budget(self) -> bool:
        return self.params <= self.config.param_budget

    @property
    def target_met(self) -> bool:
        """The target rule of the recipe, judged over the whole epoch budget."""
        accs, k = self.accuracies, self.config.target_epochs
        if self.stopped or len(accs) < self.config.epochs:
            return False
        if k == 0:
            return self.first_reached is not None
        return len(accs) >= k and all(a >= self.config.target for a in accs[-k:])

    @property
    def passed(self) -> bool:
        return self.target_met and self.within_budget

    def to_dict(self) -> dict:
        return {
            "config": self.config.to_dict(), "params": self.params, "epochs": self.epochs,
            "first_reached": self.first_reached, "best_accuracy": max(self.accuracies, default=None),
            "last_accuracy": self.accuracies[-1] if self.epochs else None,
            "target_met": self.target_met, "within_budget": self.within_budget, "passed": self.passed,
            "stopped": self.stopped, "precision": self.precision, "note": self.note, "malloc": self.malloc,
            "total_seconds": sum(e["seconds"] for e in self.epochs),
            "hardware": hardware(),
        }


# ----------------------------------------------------------------------------- pieces


def select_device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def hardware() -> dict:
    cuda = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    return {"cpu": platform.processor() or platform.machine(), "cuda": cuda, "threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform()}


def lr_at(step: int, total_steps: int, c: TrainConfig) -> float:
    """Learning rate for optimizer step `step` (0-based) of `total_steps`."""
    if c.schedule == "constant":
        return c.lr
    warm = max(1, int(c.warmup * total_steps))
    if step < warm:  # linear from lr/div up to lr
        return c.lr / c.div + (c.lr - c.lr / c.div) * step / warm
    frac = (step - warm) / max(1, total_steps - 1 - warm)  # linear from lr down to lr/final_div
    return c.lr + (c.lr / c.final_div - c.lr) * min(1.0, frac)


def bf16_is_fast(device: torch.device) -> bool:
    """Whether `device` runs bfloat16 convs and matmuls natively (faster than fp32), not by emulation."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":  # AVX512-BF16 or AMX: oneDNN's bf16 kernels; without them bf16 is emulated, slower
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    return False


def resolve_precision(c: TrainConfig, device: torch.device) -> tuple[str, str | None]:
    """(the precision the run will use, a note for the user if that is not the recipe's)."""
    if c.precision == "bf16" and not bf16_is_fast(device):
        return "fp32", (f"{device} has no fast bfloat16 (AVX512-BF16, AMX or a bf16 GPU): "
                        "training in fp32 instead of the recipe's bf16")
    return c.precision, None


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """The context the model runs in: bfloat16 autocast for "bf16", plain fp32 otherwise."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def memory_format(c: TrainConfig) -> torch.memory_format:
    """The layout the recipe trains and evaluates in: NHWC with `channels_last`, else contiguous NCHW."""
    return torch.channels_last if c.channels_last else torch.contiguous_format


@dataclass(frozen=True)
class Split:
    # Images stay uint8 pixels until a batch is fed to the model (`model_input`): shuffling and shifting
    # an epoch's images then moves a quarter of the bytes, and nothing is standardised up front.
    train_images: torch.Tensor  # (N, 1, 28, 28) uint8 pixels
    train_labels: torch.Tensor  # (N,) int64
    eval_images: torch.Tensor  # test images, or the held-out validation images: uint8 pixels too
    eval_labels: torch.Tensor
    eval_name: str  # "Test" or "Validation"


def make_split(dataset: mnist_data.MNIST, c: TrainConfig, device: torch.device, test_subset: int = 0) -> Split:
    images, labels = dataset.train_images.unsqueeze(1), dataset.train_labels
    if c.val_split:
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(VALIDATION_SPLIT_SEED))
        held, kept = order[: c.val_split], order[c.val_split:]
        eval_images, eval_labels, name = images[held], labels[held], "Validation"
        images, labels = images[kept], labels[kept]
    else:
        eval_images, eval_labels, name = dataset.test_images.unsqueeze(1), dataset.test_labels, "Test"
    if c.subset:
        images, labels = images[: c.subset], labels[: c.subset]
    if test_subset:
        eval_images, eval_labels = eval_images[:test_subset], eval_labels[:test_subset]
    return Split(images.to(device), labels.to(device), eval_images.to(device), eval_labels.to(device), name)


def model_input(images: torch.Tensor, fmt: torch.memory_format) -> torch.Tensor:
    """A batch as the models read it: uint8 pixels standardised to float32, in layout `fmt`; float images
    (standardised already) are only laid out."""
    x = mnist_data.standardise(images) if images.dtype == torch.uint8 else images
    return x.contiguous(memory_format=fmt)


@torch.no_grad()
def evaluate(model: Net, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000,
             precision: str = "fp32", fmt: torch.memory_format = torch.contiguous_format) -> tuple[float, int]:
    """(average NLL loss, number correct) of `model` on the given images (uint8 pixels or standardised
    floats, (N, 1, 28, 28)), run in `precision` with batches in layout `fmt`."""
    model.eval()
    loss, correct = 0.0, 0
    for i in range(0, len(labels), batch_size):
        with autocast(images.device, precision):
            out = model(model_input(images[i: i + batch_size], fmt)).float()
        loss += F.nll_loss(out, labels[i: i + batch_size], reduction="sum").item()
        correct += (out.argmax(1) == labels[i: i + batch_size]).sum().item()
    return loss / len(labels), correct


AUGMENT_CHUNK = 10_000  # images augmented per call: one epoch in a few vectorised calls, memory bounded


BLACK = float(mnist_data.standardise(torch.zeros(1, dtype=torch.uint8)))  # a black pixel, standardised


def epoch_images(pixels: torch.Tensor, perm: torch.Tensor, c: TrainConfig, gen: torch.Generator) -> torch.Tensor:
    """The epoch's training images in `perm` order, each augmented once: (N, 1, 28, 28). A few large calls
    replace one small call per batch, which the small models paid for in per-call overhead. Shifts move
    uint8 pixels, and the result stays uint8; a rotation or zoom interpolates, so with one the images
    are standardised first and the result is float32."""
    def chunk(i: int) -> torch.Tensor:
        x = pixels[perm[i: i + AUGMENT_CHUNK]]
        if c.rotate or c.scale:
            return augment(mnist_data.standardise(x), c.shift, c.rotate, BLACK, gen, c.scale)
        return augment(x, c.shift, 0.0, 0, gen)
    return torch.cat([chunk(i) for i in range(0, len(perm), AUGMENT_CHUNK)])


def ema_update(decay: float) -> Callable:
    """Exponential moving average with warm-up: the decay after n updates is min(decay, (1 + n) / (10 + n)),
    so the average follows the weights closely early on instead of remembering their random start."""
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n: torch.Tensor) -> None:
        if not torch.is_floating_point(averaged[0]):  # called per dtype: BN's batch counters are copied
            torch._foreach_copy_(averaged, current)
            return
        d = min(decay, (1 + float(n)) / (10 + float(n)))
        torch._foreach_lerp_(averaged, current, 1 - d)
    return update


def make_optimizer(model: Net, c: TrainConfig) -> torch.optim.Optimizer:
    if c.optimizer == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=c.lr, weight_decay=c.weight_decay)
    return torch.optim.SGD(model.parameters(), lr=c.lr, momentum=c.momentum, nesterov=c.nesterov,
                           weight_decay=c.weight_decay)


# ----------------------------------------------------------------------------- checkpoints


def save_checkpoint(path: Path, model: Net, optimizer: torch.optim.Optimizer, c: TrainConfig, epoch: int,
                    epochs: list[dict], gen: torch.Generator, ema: AveragedModel | None = None) -> None:
    """`model` holds the weights that were evaluated (the average, with EMA); `trained` the raw ones."""
    state = {"config": c.to_dict(), "epoch": epoch, "epochs": epochs,
             "model": (ema.module if ema is not None else model).state_dict(), "optimizer": optimizer.state_dict(),
             "data_rng": gen.get_state(), "torch_rng": torch.get_rng_state()}
    if ema is not None:
        state["trained"], state["ema"] = model.state_dict(), ema.state_dict()
    with atomic_write(path) as file:
        torch.save(state, file)


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint, raising TrainingError with the reason if it is missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        checkpoint_config(state)
        state["model"], state["epoch"]
    except Exception as e:  # noqa: BLE001 -- whatever torch.load or a missing key raises
        raise TrainingError(f"checkpoint {path} is corrupt or not a checkpoint of this tool ({type(e).__name__})")
    return state


def checkpoint_config(state: dict) -> TrainConfig:
    """The config a checkpoint was trained with, its device set to cpu: a GPU run's weights load anywhere."""
    return TrainConfig.from_dict({**state["config"], "device": "cpu"})


def model_from_checkpoint(state: dict) -> tuple[Net, TrainConfig]:
    c = checkpoint_config(state)
    model = build(c.model, dropout=c.dropout)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError:
        raise TrainingError(f"checkpoint weights do not fit model {c.model!r}") from None
    return model, c


def run_files(out: str | Path) -> list[Path]:
    """The files of a run that are already in `out`."""
    return [Path(out) / name for name in RUN_FILES if (Path(out) / name).exists()]


def check_new_run(out: str | Path, overwrite: bool = False) -> None:
    """Raise TrainingError if a new run in `out` would overwrite another run's files (unless `overwrite`)."""
    if (existing := run_files(out)) and not overwrite:
        raise TrainingError(f"{out} already holds a run ({', '.join(p.name for p in existing)}); continue it "
                            "with --resume, replace it with --overwrite, or choose another --out")


def resume_state(out: str | Path, c: TrainConfig) -> dict:
    """The last checkpoint of the run in `out`, checked to have been made with the settings `c`."""
    path = Path(out) / "last.pt"
    if not path.is_file():
        raise TrainingError(f"cannot resume: {path} does not exist (a run writes it at the end of its first "
                            "epoch); start the run without --resume")
    state = load_checkpoint(path)
    defaults = {f.name: f.default for f in fields(TrainConfig)}  # settings added since the run was made
    saved = {**defaults, **state["config"]}
    differences = [(name, saved[name], now) for name, now in c.to_dict().items() if saved[name] != now]
    if differences:
        raise ResumeMismatch(path, differences)
    return state


# ----------------------------------------------------------------------------- the loop


def train(c: TrainConfig, out: str | Path, dataset: mnist_data.MNIST, *, resume: bool = False,
          overwrite: bool = False, test_subset: int = 0, progress: bool = True,
          on_epoch_end: Callable[[dict, Result], None] = lambda record, result: None,
          governor: ThreadGovernor | None = None) -> Result:
    """Train `c.model` per `c`, writing checkpoints, metrics and a plot into `out`. Returns the Result.

    A new run refuses a folder that holds another run's files, unless `overwrite` (which deletes them first);
    `resume` continues the run in `out` from its last checkpoint. A `governor` re-chooses the CPU thread
    count as other programs come and go.
    """
    out = Path(out)
    state = resume_state(out, c) if resume else None
    if not resume:
        check_new_run(out, overwrite)
        for path in run_files(out):  # only with overwrite: never a mix of two runs' files
            path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    device = select_device(c.device)
    torch.manual_seed(c.seed)  # weights and dropout
    gen = torch.Generator().manual_seed(c.seed)  # shuffling and augmentation: own stream, saved in checkpoints
    model = build(c.model, dropout=c.dropout).to(device, memory_format=memory_format(c))
    if not c.compile:  # eager training: no need to import torch's compiler for the optimizer (mnist/startup.py)
        startup.skip_compiler_import()
    optimizer = make_optimizer(model, c)
    take_step = optimizer.step if c.compile else partial(startup.step, optimizer)  # the same step (mnist/startup.py)
    ema = (AveragedModel(model, multi_avg_fn=ema_update(c.ema ** c.ema_every), use_buffers=True)
           if c.ema else None)
    result = Result(c, count_parameters(model))
    result.precision, result.note = resolve_precision(c, device)
    result.malloc = keep_freed_memory()  # before the first step, so that every step reuses the last one's memory
    start_epoch = 1
    if state is not None:
        model.load_state_dict(state["trained"] if ema is not None else state["model"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        gen.set_state(state["data_rng"])
        torch.set_rng_state(state["torch_rng"])
        result.epochs = list(state["epochs"])
        start_epoch = state["epoch"] + 1
    net = torch.compile(model) if c.compile else model  # shares `model`'s parameters

    split = make_split(dataset, c, device, test_subset)
    n = len(split.train_labels)
    steps_per_epoch = (n + c.batch_size - 1) // c.batch_size
    total_steps = steps_per_epoch * c.epochs
    fmt = memory_format(c)

    for epoch in range(start_epoch, c.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        images = epoch_images(split.train_images, perm, c, gen)  # (n, 1, 28, 28), augmented
        labels = split.train_labels[perm]
        loss_sum, seen = 0.0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{c.epochs}", disable=not progress,
                   leave=False, unit="batch")
        for i in bar:
            step = (epoch - 1) * steps_per_epoch + i
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, total_steps, c)
            x = model_input(images[i * c.batch_size: (i + 1) * c.batch_size], fmt)
            y = labels[i * c.batch_size: (i + 1) * c.batch_size]
            with autocast(device, result.precision):
                logp = net(x).float()  # (B, 10) log-probabilities
            loss = F.nll_loss(logp, y) if not c.label_smoothing else \
                F.cross_entropy(logp, y, label_smoothing=c.label_smoothing)
            if not torch.isfinite(loss):
                result.stopped = (f"loss became {loss.item()} at epoch {epoch}, batch {i + 1}; "
                                  f"stopped. The last good checkpoint is {out / 'last.pt'}")
                bar.close()
                return result
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            take_step()
            if ema is not None and (step + 1) % c.ema_every == 0:
                ema.update_parameters(model)
            loss_sum += loss.item() * len(y)
            seen += len(y)
            if governor is not None:
                governor.tick()
            if i % 20 == 0:
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}",
                                **({"threads": torch.get_num_threads()} if device.type == "cpu" else {}))
        bar.close()
        train_seconds = time.perf_counter() - t0
        evaluated = ema.module if ema is not None else model
        eval_loss, correct = evaluate(evaluated, split.eval_images, split.eval_labels, c.eval_batch_size,
                                      result.precision, fmt)
        record = {
            "epoch": epoch, "train_loss": loss_sum / seen, "test_loss": eval_loss, "correct": correct,
            "total": len(split.eval_labels), "test_accuracy": 100.0 * correct / len(split.eval_labels),
            "eval_set": split.eval_name, "train_seconds": train_seconds,
            "seconds": time.perf_counter() - t0, "lr": lr_at(epoch * steps_per_epoch - 1, total_steps, c),
            "threads": torch.get_num_threads(),  # at the epoch's end: a governor may have changed it
        }
        best_before = max(result.accuracies, default=-1.0)
        result.epochs.append(record)
        if epoch == start_epoch:  # written with the first checkpoint: a run stopped before it leaves no files
            write_json(out / "config.json", c.to_dict())
        save_checkpoint(out / "last.pt", model, optimizer, c, epoch, result.epochs, gen, ema)
        if record["test_accuracy"] > best_before:
            save_checkpoint(out / "best.pt", model, optimizer, c, epoch, result.epochs, gen, ema)
        write_json(out / "metrics.json", result.to_dict())
        on_epoch_end(record, result)
    plot_curves(result.epochs, out / "curves.png", f"{c.model}: {result.params:,} parameters, seed {c.seed}",
                target=c.target)
    return result
