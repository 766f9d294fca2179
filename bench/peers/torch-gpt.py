"""PyTorch peer of `alignkit bench`: the same GPT-2-family model as alignkit's (pre-norm blocks,
learned positions, tanh GELU, tied embedding, GPT-2 init), trained with the same step (forward,
cross-entropy, backward, clip at 1.0, AdamW) and sampled with its own preallocated KV cache.

Usage: python3 torch-gpt.py '<task JSON>'   (the task is the one alignkit's worker gets)
Prints one JSON line. Run with OPENBLAS_CORETYPE=SkylakeX on AMD Zen with AVX-512 (DESIGN.md),
or OpenBLAS falls back to slow kernels and the comparison flatters alignkit.
"""
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = {
    "A": dict(vocab=256, d_model=128, n_layer=4, n_head=4, ctx=64, batch=32),
    "B": dict(vocab=256, d_model=384, n_layer=6, n_head=6, ctx=128, batch=16),
}
STEP = dict(lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1, clip=1.0)


class Block(nn.Module):
    def __init__(self, c, h, ctx):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(c, eps=1e-5)
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c, eps=1e-5)
        self.c_fc = nn.Linear(c, 4 * c)
        self.mlp_proj = nn.Linear(4 * c, c)
        self.register_buffer("causal", torch.tril(torch.ones(ctx, ctx, dtype=torch.bool)).view(1, 1, ctx, ctx), persistent=False)

    def attn(self, x, cache=None, pos=0):
        B, T, C = x.shape
        D = C // self.h
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.h, D).transpose(1, 2)  # (B, H, T, D)
        k = k.view(B, T, self.h, D).transpose(1, 2)
        v = v.view(B, T, self.h, D).transpose(1, 2)
        if cache is not None:
            kc, vc = cache
            kc[:B, :, pos:pos + T] = k
            vc[:B, :, pos:pos + T] = v
            k, v = kc[:B, :, :pos + T], vc[:B, :, :pos + T]
        Tk = k.shape[2]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))  # (B, H, T, Tk)
        if T > 1:
            att = att.masked_fill(~self.causal[:, :, Tk - T:Tk, :Tk], float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))

    def forward(self, x, cache=None, pos=0):
        x = x + self.attn(self.ln_1(x), cache, pos)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, d_model, n_layer, n_head, ctx, **_):
        super().__init__()
        self.wte = nn.Embedding(vocab, d_model)
        self.wpe = nn.Embedding(ctx, d_model)
        self.h = nn.ModuleList([Block(d_model, n_head, ctx) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model, eps=1e-5)
        # GPT-2 init, as alignkit's initParams: N(0, 0.02), positions 0.01, residual projections
        # scaled by 1/sqrt(2 * layers), biases 0, norms 1; the head is the token embedding.
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln_" in name:
                nn.init.ones_(p)
            elif name == "wpe.weight":
                nn.init.normal_(p, 0.0, 0.01)
            elif name.endswith("c_proj.weight") or name.endswith("mlp_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids, caches=None, pos=0):
        B, T = ids.shape
        x = self.wte(ids) + self.wpe(torch.arange(pos, pos + T))
        for i, blk in enumerate(self.h):
            x = blk(x, None if caches is None else caches[i], pos)
        return F.linear(self.ln_f(x), self.wte.weight)  # (B, T, V)


def best_of(rounds, call):
    for _ in range(rounds["warmup"]):
        call()
    best, n, start = float("inf"), 0, time.perf_counter()
    while True:
        t0 = time.perf_counter()
        for _ in range(rounds["steps"]):
            call()
        best = min(best, (time.perf_counter() - t0) / rounds["steps"])
        n += 1
        if n >= rounds["rounds"] or time.perf_counter() - start >= rounds["budgetMs"] / 1000:
            return best * 1000, n


def train_step(cfg):
    """The bench's training step for config `cfg`: (step, state, tokens per step); state["loss"] the last loss."""
    m = MODELS[cfg]
    torch.manual_seed(1)
    model = GPT(**m)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": STEP["weight_decay"]}, {"params": other, "weight_decay": 0.0}]
    kw = dict(lr=STEP["lr"], betas=STEP["betas"], eps=STEP["eps"])
    try:
        opt = torch.optim.AdamW(groups, foreach=True, **kw)  # the multi-tensor path: PyTorch at its fastest
    except TypeError:
        opt = torch.optim.AdamW(groups, **kw)
    B, T, V = m["batch"], m["ctx"], m["vocab"]
    g = torch.Generator().manual_seed(2)
    batches = [torch.randint(0, V, (B, T + 1), generator=g) for _ in range(4)]
    state = {"i": 0, "loss": float("nan")}

    def step():
        seq = batches[state["i"] % len(batches)]
        state["i"] += 1
        logits = model(seq[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), seq[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), STEP["clip"])
        opt.step()
        state["loss"] = loss.item()

    return step, state, B * T


def train(cfg, rounds):
    step, state, tokens = train_step(cfg)
    ms, n = best_of(rounds, step)
    return {"tok_s": tokens * 1000 / ms, "ms_per_step": ms, "rounds": n, "loss": state["loss"]}


def sample(cfg, batch, prompt, new_tokens, rounds):
    m = MODELS[cfg]
    torch.manual_seed(1)
    model = GPT(**m).eval()
    g = torch.Generator().manual_seed(3)
    prompts = torch.randint(0, m["vocab"], (batch, prompt), generator=g)
    D = m["d_model"] // m["n_head"]
    shape = (batch, m["n_head"], m["ctx"], D)
    caches = [(torch.empty(shape), torch.empty(shape)) for _ in range(m["n_layer"])]
    state = {"tokens": 0}

    @torch.inference_mode()
    def run():
        logits = model(prompts, caches, 0)[:, -1]
        pos, out = prompt, []
        for _ in range(new_tokens):
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1)  # temperature 1, as alignkit's run
            out.append(nxt)
            if pos >= m["ctx"]:
                break
            logits = model(nxt, caches, pos)[:, -1]
            pos += 1
        state["tokens"] = batch * len(out)

    ms, n = best_of(rounds, run)
    return {"tok_s": state["tokens"] * 1000 / ms, "ms_per_call": ms, "rounds": n, "tokens": state["tokens"]}


def matmul(sizes, rounds):
    out = []
    for n in sizes:
        a, b = torch.rand(n, n) - 0.5, torch.rand(n, n) - 0.5
        c = torch.empty(n, n)
        ms, _ = best_of(rounds, lambda: torch.mm(a, b, out=c))
        out.append({"n": n, "gflops": 2 * n ** 3 / (ms / 1000) / 1e9})
    return {"points": out}


def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    task = json.loads(sys.argv[1])
    threads = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    kind = task["kind"]
    if kind == "train":
        res = train(task["config"], task["rounds"])
    elif kind == "generate":
        res = sample(task["config"], task["batch"], task["prompt"], task["newTokens"], task["rounds"])
    elif kind == "matmul":
        res = matmul(task["sizes"], task["rounds"])
    else:
        raise SystemExit(f"torch-gpt.py: unknown task {kind!r}")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    res.update(torch=torch.__version__, threads=torch.get_num_threads(), rss_mb=peak_rss_mb(),
               cpu_s=ru.ru_utime + ru.ru_stime, coretype=os.environ.get("OPENBLAS_CORETYPE"))
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
