"""PyTorch side of bench/toy-train-gemms.ts: the toy configs' training step (torch-gpt.py's
train_step, the step `alignkit bench` times) timed and profiled, and each matrix product of
alignkit's step timed alone with torch.mm on the same shapes and layouts.

Usage: python3 torch-gemms.py '<JSON: {"config": "A", "threads": 2, "reps": 15, "shapes": [[M, N, K, transA, transB], ...]}>'
Prints one JSON line: step_ms (best of the timed steps), gemm_ms (self time of mm/addmm/bmm per
step, torch.profiler), profiled_ms, and ms per shape (median of reps).
"""
import importlib.util
import json
import os
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile

GEMM_OPS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm")


def load_gpt():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch-gpt.py")
    spec = importlib.util.spec_from_file_location("torch_gpt", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def median_ms(call, reps):
    for _ in range(3):
        call()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        call()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2], ts[0]


def main():
    task = json.loads(sys.argv[1])
    torch.set_num_threads(int(task["threads"]))
    reps = int(task["reps"])
    step = load_gpt().train_step(task["config"])[0]
    _, best = median_ms(step, reps)
    with profile(activities=[ProfilerActivity.CPU]) as p:
        for _ in range(3):
            step()
    self_ms = {e.key: e.self_cpu_time_total / 3 / 1000 for e in p.key_averages()}
    gemm = sum(v for k, v in self_ms.items() if k in GEMM_OPS)
    shapes = []
    for M, N, K, ta, tb in task["shapes"]:
        a = torch.rand(K, M) - 0.5 if ta else torch.rand(M, K) - 0.5
        b = torch.rand(N, K) - 0.5 if tb else torch.rand(K, N) - 0.5
        a, b = (a.t() if ta else a), (b.t() if tb else b)
        c = torch.empty(M, N)
        shapes.append(median_ms(lambda: torch.mm(a, b, out=c), reps)[0])
    print(json.dumps({"step_ms": best, "gemm_ms": gemm, "profiled_ms": sum(self_ms.values()), "shape_ms": shapes,
                      "torch": torch.__version__, "blas": "mkl" if torch.backends.mkl.is_available() else "other"}))


if __name__ == "__main__":
    main()
