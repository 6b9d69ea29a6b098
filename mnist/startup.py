"""Train without importing torch's compiler: about 1.6 s of every `mnist train` command.

torch.optim.Optimizer wraps `add_param_group`, `zero_grad`, `state_dict` and `load_state_dict` in
`torch._disable_dynamo`, which marks each as "never compile" the first time it is called, and to do so
imports torch._dynamo, with torch._inductor, sympy and triton. Making the first optimizer and step cost about 1.6 s on
this project's machine (2 cores, where a whole `fast` command takes 35-45 s), only to mark four functions for a compiler
that eager training never starts. `skip_compiler_import` records each function as already marked, with
itself as its marked version, so that the wrapper calls it straight away. `step` is the same for
`optimizer.step()`, whose wrapper imports torch._dynamo on every call (to break a compiled graph there)
around the step itself: it runs the step under no_grad, as that wrapper does for every optimizer that is
not `differentiable`. A run that compiles its model (`compile=True`) uses neither and pays the import,
which torch.compile needs anyway.

The wrapper's cache attribute is torch's own (`torch/_compile.py`); where a torch release lays it out
otherwise, nothing is changed and the import is simply paid.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache

import torch
from torch.optim import optimizer as torch_optimizer  # its global step hooks, which Optimizer.step runs too

WRAPPED = ("add_param_group", "zero_grad", "state_dict", "load_state_dict")  # torch.optim.Optimizer's methods
CACHE = "__dynamo_disable"  # where torch._compile._disable_dynamo keeps a function's marked version


def skip_compiler_import() -> list[str]:
    """Mark Optimizer's wrapped methods as done, without importing torch._dynamo. Returns those marked."""
    marked = []
    for name in WRAPPED:
        fn = getattr(getattr(torch.optim.Optimizer, name, None), "__wrapped__", None)
        if fn is None or not callable(fn):
            continue  # not wrapped in this torch release: nothing to skip
        if getattr(fn, CACHE, None) is None:
            setattr(fn, CACHE, fn)
        marked.append(name)
    return marked


def step(optimizer: torch.optim.Optimizer) -> None:
    """`optimizer.step()` without its wrappers (profiling hooks and a compiled-graph break), which import
    torch._dynamo; the step's own code runs, under no_grad. An optimizer with hooks, or a `differentiable`
    one, takes the ordinary path."""
    hooked = (optimizer._optimizer_step_pre_hooks or optimizer._optimizer_step_post_hooks
              or torch_optimizer._global_optimizer_pre_hooks or torch_optimizer._global_optimizer_post_hooks)
    if hooked or optimizer.defaults.get("differentiable"):
        optimizer.step()
        return
    with torch.no_grad():
        _own_step(type(optimizer))(optimizer)


@cache
def _own_step(kind: type) -> Callable:
    """The step's own code of an optimizer class, its wrappers peeled off once, not at every step."""
    return inspect.unwrap(kind.step)
