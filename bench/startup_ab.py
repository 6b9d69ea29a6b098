"""A/B of mnist/startup.py: a fresh process that makes `fast`'s optimizer and takes one step, with the
trainer's way (`ours`: no torch._dynamo import) and torch.optim's (`torch`), interleaved, 7 pairs.

    python bench/startup_ab.py      # writes output/startup_ab.json
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = """
import sys, torch
from mnist import startup
from mnist.config import recipe
from mnist.models import build
from mnist.train import make_optimizer
import torch.nn.functional as F
model = build('fast')
ours = sys.argv[1] == 'ours'
if ours: startup.skip_compiler_import()
opt = make_optimizer(model, recipe('fast'))
F.nll_loss(model(torch.randn(8, 1, 28, 28)), torch.zeros(8, dtype=torch.long)).backward()
startup.step(opt) if ours else opt.step()
opt.zero_grad()
print('torch._dynamo' in sys.modules)
"""
res = {"ours": [], "torch": []}
for _ in range(7):
    for k, times in res.items():
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CODE, k], capture_output=True, text=True, cwd=ROOT,
                             check=True).stdout
        times.append(round(time.perf_counter() - t, 3))
        print(k, times[-1], "torch._dynamo imported:", out.strip())
result = {k: {"runs": v, "median": statistics.median(v)} for k, v in res.items()}
result["load_at_end"] = round(os.getloadavg()[0], 2)
(ROOT / "output" / "startup_ab.json").write_text(json.dumps(result, indent=1) + "\n")
print(json.dumps(result))
