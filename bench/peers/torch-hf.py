"""PyTorch + transformers (+ peft) peer of `alignkit bench --configs C,D`: the real transformers
classes on the same random checkpoint directory alignkit loads (config.json + bf16
model.safetensors), loaded with AutoModelForCausalLM.from_pretrained.

Tasks (the JSON alignkit's parent builds):
  hf-generate: greedy `generate` at `dtype` (float32 or bfloat16) with attn_implementation `attn`;
               min_new_tokens = max_new_tokens, so every row makes exactly `newTokens`.
  hf-train:    one SFT step on random tokens: LoRA through peft (r, alpha on q, k, v, o, gate,
               up, down) or full; loss from labels, backward, AdamW. `dtype` float32 computes in
               float32; bf16-autocast runs forward and loss under torch.autocast("cpu",
               dtype=torch.bfloat16), what TRL's default bf16=True does on a CPU (weights still
               loaded float32, the optimizer's step in float32).
Usage: python3 torch-hf.py '<task JSON>'   Prints one JSON line.
"""
import importlib.util
import json
import os
import resource
import sys
import time

import torch

# The toy peer's helpers (peak RSS from VmHWM), shared rather than copied.
_spec = importlib.util.spec_from_file_location("torch_gpt", os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch-gpt.py"))
torch_gpt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(torch_gpt)

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def load(task, dtype):
    from transformers import AutoModelForCausalLM
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(task["dir"], dtype=dtype, attn_implementation=task["attn"])
    return model, time.perf_counter() - t0


def generate(task):
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[task["dtype"]]
    model, load_s = load(task, dtype)
    model.eval()
    ids = torch.tensor(task["prompts"], dtype=torch.long)
    mask = torch.ones_like(ids)
    V = model.config.vocab_size

    def run(n):
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n, min_new_tokens=n, do_sample=False,
                                 pad_token_id=0, eos_token_id=V - 1)
        made = (out.shape[1] - ids.shape[1]) * ids.shape[0]
        if made != n * ids.shape[0]:
            raise SystemExit(f"torch-hf.py: generate made {made} tokens, expected {ids.shape[0]}x{n}")
        return made

    run(task["warmupTokens"])
    t0 = time.perf_counter()
    made = run(task["newTokens"])
    s = time.perf_counter() - t0
    return {"tok_s": made / s, "ms_per_call": s * 1000, "tokens": made, "load_s": load_s, "dtype": task["dtype"], "compute": task["dtype"]}


def train(task):
    dtype = task.get("dtype", "float32")
    if dtype not in ("float32", "bf16-autocast"):
        raise SystemExit(f"torch-hf.py: hf-train dtype {dtype!r}, expected float32 or bf16-autocast")
    model, load_s = load(task, torch.float32)
    if task["mode"] == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=task["rank"], lora_alpha=task["alpha"], lora_dropout=0.0, target_modules=LORA_TARGETS))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        opt = torch.optim.AdamW(params, lr=1e-4, foreach=True)  # the multi-tensor path: PyTorch at its fastest
    except TypeError:
        opt = torch.optim.AdamW(params, lr=1e-4)
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(0, model.config.vocab_size, (1, task["seq"]), generator=g)
    state = {"loss": float("nan")}

    import contextlib
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if dtype == "bf16-autocast" else contextlib.nullcontext

    def step():
        with autocast():
            loss = model(input_ids=ids, labels=ids).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        state["loss"] = loss.item()

    step()
    best = float("inf")
    for _ in range(task["steps"]):
        t0 = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - t0)
    return {"tok_s": task["seq"] / best, "ms_per_step": best * 1000, "loss": state["loss"], "load_s": load_s, "dtype": dtype}


def main():
    task = json.loads(sys.argv[1])
    threads = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    kind = task["kind"]
    if kind == "hf-generate":
        res = generate(task)
    elif kind == "hf-train":
        res = train(task)
    else:
        raise SystemExit(f"torch-hf.py: unknown task {kind!r}")
    import transformers
    try:
        import peft
        peft_version = peft.__version__
    except ImportError:
        peft_version = None
    ru = resource.getrusage(resource.RUSAGE_SELF)
    res.update(torch=torch.__version__, transformers=transformers.__version__, peft=peft_version, threads=torch.get_num_threads(),
               attn=task["attn"], rss_mb=torch_gpt.peak_rss_mb(), cpu_s=ru.ru_utime + ru.ru_stime)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
