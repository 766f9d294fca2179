"""alignkit and TRL side by side: the same Llama from the same initial weights, on the same data, with
the same hyper-parameters, trained by SFT, DPO and GRPO in each. Prints both curves (loss, or the
reward for GRPO) and, per method, the steady-state throughput (tokens/s) and each process's peak
memory (max RSS). A benchmark, not a test: it takes minutes and its figures are noisy.

    npx tsc -p tsconfig.json
    python bench/trl-side-by-side.py [--shape tiny|smollm2] [--methods sft,dpo,grpo] [--rounds N] [--out DIR] [--data ../shared/data]

--shape tiny: a 3.7M-parameter Llama (width 256, 4 layers, a 1,024-token byte-level BPE trained
here on GSM8K and HH-RLHF text). --shape smollm2: SmolLM2-135M's shape and tokenizer (its config
and tokenizer from ../shared/data/hf-models; random weights, none are available here), few steps.

How the two are made to agree:
  - the model and tokenizer are saved once with transformers; alignkit loads the same directory;
  - schedules: TRL's cosine_with_min_lr (min_lr_rate 0.1) against alignkit's cosine to a tenth
    with --warmup-from-zero (Hugging Face's warm-up rule); GRPO constant in both;
  - Adam β2 0.999 (TRL's), weight decay 0, gradient clipping 1.0 in both; dropout off in both;
  - no held-out split in either (alignkit sft --eval-fraction 0);
  - SFT and DPO data filtered so that nothing is truncated; the loss on the completion (+ EOS) only;
  - DPO: TRL precomputes the reference log-probabilities, as alignkit always does;
  - float32 in both: TRL 1.13's configs default to bf16=True, which on a CPU autocasts the forward to
    bfloat16 (activations saved at half the size, products in bf16); the script sets bf16=False unless
    --trl-bf16 asks for TRL's default, and gradient_checkpointing (TRL's default True) to match
    alignkit's --gradient-checkpointing, off unless given;
  - GRPO: β = 0 (no reference), loss dapo, rewards scaled by the group std, temperature 1, the same
    reward (the share of digits in the completion) written once in Python and once in JavaScript.
Throughput counts the tokens of the steps after the first (prompt + completion of every sequence
the step trains on; for GRPO the step includes generation) over the time between the first and the
last step's end, so start-up, data preparation and reference precomputation are left out of both.
Each side runs in its own process with 2 threads; peak RSS is that process's (os.wait4). On a shared
machine the wall clock measures the neighbours too: --rounds N alternates which side goes first and
takes medians, and the throughput per CPU-second (the process's CPU time over its 2 threads) is
printed beside it, less sensitive to load (though a thread that spins while it waits counts).
Last, the float32 ceiling: each method's TRL throughput in GFLOP/s (6 FLOPs per product weight per
token, the least a training step does) against torch's float32 product peak measured in the same
run, and the largest speed-up over TRL that any float32 implementation could reach on this machine.
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"  # --data overrides it (a worktree sits elsewhere)
CHECKPOINTING = False  # --gradient-checkpointing
TRL_BF16 = False  # --trl-bf16
DIGIT_REWARD_JS = """// The side-by-side GRPO reward: the share of the completion's characters that are digits.
export function verify(problem, completion) { return completion.length ? [...completion].filter((c) => c >= '0' && c <= '9').length / [...completion].length : 0; }
"""

SHAPES = {
    "tiny": dict(steps={"sft": 60, "dpo": 60, "grpo": 20}, sft_batch=16, dpo_batch=8, grpo_prompts=4, grpo_g=8, max_len=128, completion=32, dpo_pairs=96),
    "smollm2": dict(steps={"sft": 8, "dpo": 6, "grpo": 4}, sft_batch=4, dpo_batch=2, grpo_prompts=2, grpo_g=4, max_len=128, completion=24, dpo_pairs=16),
}
HYPER = {
    "sft": dict(lr=1e-3, warmup=10),
    "dpo": dict(lr=1e-3, warmup=5, beta=0.1),
    "grpo": dict(lr=1e-3, warmup=0),
}


def digit_share(completions, **kwargs):
    return [sum(c.isdigit() for c in s) / len(s) if s else 0.0 for s in completions]


# --- preparation ----------------------------------------------------------------------------------

def gsm8k():
    return [json.loads(l) for l in open(DATA / "gsm8k" / "train.jsonl")]


def hh_pairs():
    out = []
    for line in gzip.open(DATA / "hh-rlhf-harmless-base" / "test.jsonl.gz", "rt"):
        r = json.loads(line)
        cut = r["chosen"].rfind("\n\nAssistant:") + len("\n\nAssistant:")
        if r["rejected"][:cut] != r["chosen"][:cut]:
            continue
        out.append({"prompt": r["chosen"][:cut], "chosen": r["chosen"][cut:], "rejected": r["rejected"][cut:]})
    return out


def make_tokenizer(dest):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = [r["question"] + " " + r["answer"] for r in gsm8k()[:4000]] + [p["prompt"] + p["chosen"] for p in hh_pairs()]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|pad|>"]
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=1024, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=specials[0], pad_token=specials[1])


def prepare(shape, out):
    """The initial model and tokenizer (one directory both sides load) and the three data files."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    out.mkdir(parents=True, exist_ok=True)
    if shape == "tiny":
        tok = make_tokenizer(out)
        cfg = LlamaConfig(vocab_size=len(tok), hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4,
                          num_key_value_heads=4, max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                          bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    else:
        src = DATA / "hf-models" / "SmolLM2-135M-Instruct"
        tok = AutoTokenizer.from_pretrained(src)
        cfg = LlamaConfig.from_pretrained(src)
        cfg.max_position_embeddings = 256
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg)
    model.generation_config.pad_token_id = tok.pad_token_id
    model.save_pretrained(out / "model", safe_serialization=True)
    tok.save_pretrained(out / "model")
    n = lambda s: len(tok(s, add_special_tokens=False)["input_ids"])
    L = SHAPES[shape]["max_len"]
    sft = [{"prompt": f"Question: {r['question']}\nAnswer:", "completion": " " + r["answer"]} for r in gsm8k()]
    sft = [r for r in sft if n(r["prompt"] + r["completion"]) + 1 <= L][:2000]
    # A few pairs, seen for several epochs: a model trained from random weights learns little from
    # fresh HH-RLHF pairs in a few dozen steps, but its loss on pairs it revisits visibly falls.
    dpo = [p for p in hh_pairs() if n(p["prompt"]) + max(n(p["chosen"]), n(p["rejected"])) + 1 <= L][: SHAPES[shape]["dpo_pairs"]]
    grpo = [{"prompt": f"Question: {r['question']}\nAnswer:", "answer": "0"} for r in gsm8k()[:3000]]
    grpo = [r for r in grpo if n(r["prompt"]) <= L - SHAPES[shape]["completion"]][:500]
    for name, rows in (("sft", sft), ("dpo", dpo), ("grpo", grpo)):
        with open(out / f"{name}.jsonl", "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
    (out / "digit-share.mjs").write_text(DIGIT_REWARD_JS)
    tokens = {
        "sft": sum(n(r["prompt"] + r["completion"]) + 1 for r in sft) / len(sft),
        "dpo": sum(2 * n(p["prompt"]) + n(p["chosen"]) + n(p["rejected"]) + 2 for p in dpo) / len(dpo),  # both rows of a pair
        "grpo_prompt": sum(n(r["prompt"]) for r in grpo) / len(grpo),
    }
    meta = {"parameters": sum(p.numel() for p in model.parameters()), "examples": {"sft": len(sft), "dpo": len(dpo), "grpo": len(grpo)}, "tokens": tokens}
    (out / "meta.json").write_text(json.dumps(meta))
    return meta


# --- the TRL side ---------------------------------------------------------------------------------

def trl_worker(method, shape, out, result):
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import DPOConfig, DPOTrainer, GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

    torch.set_num_threads(2)
    s, h = SHAPES[shape], HYPER[method]
    model = AutoModelForCausalLM.from_pretrained(out / "model", torch_dtype=torch.float32)
    tok = AutoTokenizer.from_pretrained(out / "model")
    data = load_dataset("json", data_files=str(out / f"{method}.jsonl"), split="train")
    steps = []

    class Timer(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            key = "reward" if method == "grpo" else "loss"
            if logs and key in logs:
                steps.append({"step": state.global_step, "t": time.perf_counter(), "cpu": time.process_time(), "value": logs[key],
                              "completionLength": logs.get("completions/mean_length")})

    common = dict(output_dir=str(out / f"trl-{method}"), max_steps=s["steps"][method], learning_rate=h["lr"], warmup_steps=h["warmup"], weight_decay=0.0,
                  max_grad_norm=1.0, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True, seed=0, disable_tqdm=True, dataloader_num_workers=0,
                  gradient_checkpointing=CHECKPOINTING, bf16=TRL_BF16)
    schedule = dict(lr_scheduler_type="cosine_with_min_lr", lr_scheduler_kwargs={"min_lr_rate": 0.1})
    if method == "sft":
        args = SFTConfig(**common, **schedule, per_device_train_batch_size=s["sft_batch"], max_length=s["max_len"], completion_only_loss=True)
        trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tok, callbacks=[Timer()])
    elif method == "dpo":
        args = DPOConfig(**common, **schedule, per_device_train_batch_size=s["dpo_batch"], max_length=s["max_len"], beta=h["beta"], precompute_ref_log_probs=True)
        trainer = DPOTrainer(model=model, args=args, train_dataset=data, processing_class=tok, callbacks=[Timer()])
    else:
        data = data.remove_columns(["answer"])
        args = GRPOConfig(**common, lr_scheduler_type="constant", per_device_train_batch_size=s["grpo_prompts"] * s["grpo_g"], num_generations=s["grpo_g"],
                          steps_per_generation=1, max_completion_length=s["completion"], beta=0.0, loss_type="dapo", scale_rewards="group", temperature=1.0)
        trainer = GRPOTrainer(model=model, args=args, train_dataset=data, processing_class=tok, reward_funcs=[digit_share], callbacks=[Timer()])
    trainer.train()
    Path(result).write_text(json.dumps({"steps": steps}))


# --- the alignkit side ----------------------------------------------------------------------------

def alignkit_spec(method, shape, out):
    s, h = SHAPES[shape], HYPER[method]
    common = {"steps": s["steps"][method], "lr": h["lr"], "beta2": 0.999, "weightDecay": 0, "gradClip": 1.0, "seed": 0}
    if method == "sft":
        config = {**common, "batchSize": s["sft_batch"], "seqLen": s["max_len"], "warmupSteps": h["warmup"], "warmupFromZero": True, "evalEvery": 0, "saveEvery": 0}
    elif method == "dpo":
        config = {**common, "batchSize": s["dpo_batch"], "maxLen": s["max_len"], "beta": h["beta"], "warmupSteps": h["warmup"], "warmupFromZero": True,
                  "evalEvery": 0, "saveEvery": 0, "minLrRatio": 0.1}
    else:
        config = {**common, "promptsPerStep": s["grpo_prompts"], "samplesPerPrompt": s["grpo_g"], "maxNewTokens": s["completion"], "beta": 0, "lossType": "dapo",
                  "scaleRewards": "group", "temperature": 1.0, "saveEvery": s["steps"][method]}
    return {"method": method, "model": str(out / "model"), "data": str(out / f"{method}.jsonl"), "out": str(out / f"alignkit-{method}"),
            "config": config, "verifier": str(out / "digit-share.mjs"), "seqLen": s["max_len"], "gradientCheckpointing": CHECKPOINTING}


# --- running and reporting ------------------------------------------------------------------------

def run(cmd, env=None):
    """Runs a worker; returns (seconds, peak RSS in MiB) of that process alone."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed with status {status}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def throughput(result, method, meta, shape, clock="t"):
    """Tokens per second between the first and the last step's end, by the wall clock ("t") or by
    the process's CPU time ("cpu", all its threads, divided by the 2 threads it may use)."""
    steps = result["steps"]
    s = SHAPES[shape]
    if method == "sft":
        per_step = [s["sft_batch"] * meta["tokens"]["sft"]] * len(steps)
    elif method == "dpo":
        per_step = [s["dpo_batch"] * meta["tokens"]["dpo"]] * len(steps)
    else:
        per_step = [s["grpo_prompts"] * s["grpo_g"] * (meta["tokens"]["grpo_prompt"] + (x["completionLength"] or 0)) for x in steps]
    seconds = steps[-1][clock] - steps[0][clock]
    return sum(per_step[1:]) / (seconds / 2 if clock == "cpu" else seconds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="tiny", choices=sorted(SHAPES))
    ap.add_argument("--methods", default="sft,dpo,grpo")
    ap.add_argument("--out", default=None)
    ap.add_argument("--data", default=None, help="the shared data folder (default ../shared/data from the repository)")
    ap.add_argument("--rounds", type=int, default=1, help="runs of each side, alternating which goes first; throughput is the median")
    ap.add_argument("--steps", type=int, default=None, help="steps of every method instead of the shape's (a quick check of the script)")
    ap.add_argument("--gradient-checkpointing", action="store_true", help="recompute each layer in the backward, in both (TRL's gradient_checkpointing)")
    ap.add_argument("--trl-bf16", action="store_true", help="TRL with its default bf16=True (autocast to bfloat16 on a CPU); alignkit stays float32")
    ap.add_argument("--worker", choices=["trl"])
    ap.add_argument("--method")
    ap.add_argument("--result")
    a = ap.parse_args()
    global DATA, CHECKPOINTING, TRL_BF16
    DATA = Path(a.data).resolve() if a.data else DATA
    CHECKPOINTING = a.gradient_checkpointing
    TRL_BF16 = a.trl_bf16
    if not (DATA / "gsm8k").exists():
        raise SystemExit(f"{DATA}: no gsm8k/ here; give --data <the shared data folder>")
    out = Path(a.out or ROOT / "runs" / f"side-by-side-{a.shape}").resolve()
    if a.steps:
        SHAPES[a.shape]["steps"] = {m: a.steps for m in SHAPES[a.shape]["steps"]}
    if a.worker:
        return trl_worker(a.method, a.shape, out, a.result)
    meta = prepare(a.shape, out)
    print(f"{a.shape}: {meta['parameters'] / 1e6:.2f}M parameters; examples {meta['examples']}; mean tokens {meta['tokens']}", flush=True)
    env = {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "ALIGNKIT_THREADS": "2"}
    rows = []
    for method in a.methods.split(","):
        res = {"trl": [], "alignkit": []}
        for rnd in range(a.rounds):
            # Alternate who goes first: the machine's load drifts, and both should meet it.
            for side in ("trl", "alignkit") if rnd % 2 == 0 else ("alignkit", "trl"):
                res[side].append(run_side(side, method, a.shape, out, env))
        median = lambda xs: sorted(xs)[len(xs) // 2]
        t, k = ({"curve": r[0]["curve"], **{m: median([x[m] for x in r]) for m in ("tps", "cpu_tps", "rss", "seconds", "load")}} for r in (res["trl"], res["alignkit"]))
        per_round = [y["tps"] / x["tps"] for x, y in zip(res["trl"], res["alignkit"])]
        print(f"\n{method}: {'loss' if method != 'grpo' else 'reward'} per step, round 1 (TRL | alignkit)")
        for i, (x, y) in enumerate(zip(t["curve"], k["curve"])):
            print(f"  {i + 1:4d}  {x:9.4f}  {y:9.4f}")
        print(f"  tokens/s (median of {a.rounds}) TRL {t['tps']:.0f}, alignkit {k['tps']:.0f} ({k['tps'] / t['tps']:.2f}×; by round {', '.join(f'{r:.2f}×' for r in per_round)}); "
              f"per CPU-second ×2: TRL {t['cpu_tps']:.0f}, alignkit {k['cpu_tps']:.0f} ({k['cpu_tps'] / t['cpu_tps']:.2f}×); "
              f"peak RSS TRL {t['rss']:.0f} MiB, alignkit {k['rss']:.0f} MiB; load average {t['load']:.1f} / {k['load']:.1f}", flush=True)
        rows.append((method, t, k, per_round))
    print(f"\n| method | TRL tokens/s | alignkit tokens/s | ratio (by round) | ratio per CPU-second | TRL peak RSS | alignkit peak RSS | first / last 10-step mean (TRL) | (alignkit) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for method, t, k, per_round in rows:
        f = lambda c: f"{sum(c[:10]) / len(c[:10]):.3f} / {sum(c[-10:]) / len(c[-10:]):.3f}"
        print(f"| {method} | {t['tps']:.0f} | {k['tps']:.0f} | {k['tps'] / t['tps']:.2f}× ({', '.join(f'{r:.2f}' for r in per_round)}) | {k['cpu_tps'] / t['cpu_tps']:.2f}× | "
              f"{t['rss']:.0f} MiB | {k['rss']:.0f} MiB | {f(t['curve'])} | {f(k['curve'])} |")
    ceiling = arithmetic_ceiling(out, rows)
    json.dump({"shape": a.shape, "meta": meta, "rows": [{"method": m, "trl": t, "alignkit": k, "ratios": r} for m, t, k, r in rows], "ceiling": ceiling},
              open(out / "summary.json", "w"))


def product_weights(model_dir):
    """Weights that take part in a product for every token: the layers' projections and the LM head
    (the embedding is a lookup). A training step costs at least 6 FLOPs per such weight per token
    (forward 2, input gradient 2, weight gradient 2) — attention, norms and the optimizer come on top."""
    c = json.loads((model_dir / "config.json").read_text())
    h, f, layers = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    kv = h // c["num_attention_heads"] * c.get("num_key_value_heads", c["num_attention_heads"])
    return layers * (2 * h * h + 2 * h * kv + 3 * h * f) + c["vocab_size"] * h


def sgemm_peak(threads=2, n=1024, seconds=2.0):
    """float32 GFLOP/s of torch's own product (MKL) at the bench's threads: the fastest this machine
    multiplies float32 matrices, measured in the same run as the sides."""
    import torch

    torch.set_num_threads(threads)
    x, y = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        x @ y
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        x @ y
        done += 1
    return 2 * n ** 3 * done / (time.perf_counter() - t0) / 1e9


def arithmetic_ceiling(out, rows):
    """The most any float32 implementation could gain over TRL here: TRL's tokens/s × the step's
    least arithmetic per token (6 × product weights, padding and attention left out) against the
    machine's float32 product peak. A ratio above it would need more arithmetic than the cores do."""
    flops = 6 * product_weights(out / "model")
    peak = sgemm_peak()
    print(f"\nfloat32 ceiling: a training step does at least {flops / 1e6:.1f} MFLOP per token (6 × {flops / 6e6:.2f}M product weights); "
          f"torch's float32 product peaks at {peak:.0f} GFLOP/s on 2 threads here (1024³)")
    res = {}
    for method, t, k, _ in rows:
        trl_gflops = t["tps"] * flops / 1e9
        res[method] = {"trl_gflops": trl_gflops, "alignkit_gflops": k["tps"] * flops / 1e9, "peak_gflops": peak, "max_ratio": peak / trl_gflops}
        print(f"  {method}: TRL {trl_gflops:.0f} GFLOP/s ({100 * trl_gflops / peak:.0f}% of the peak), alignkit {k['tps'] * flops / 1e9:.0f}; "
              f"no implementation can be more than {peak / trl_gflops:.2f}× TRL's tokens/s here" + (" (a lower bound on the work: GRPO also generates)" if method == "grpo" else ""))
    return res


def run_side(side, method, shape, out, env):
    """One side's run of one method: its curve, throughput by wall clock and by CPU time, peak RSS."""
    result = out / f"{side}-{method}.json"
    if side == "trl":
        cmd = [sys.executable, __file__, "--worker", "trl", "--method", method, "--shape", shape, "--out", str(out), "--result", str(result), "--data", str(DATA),
               "--steps", str(SHAPES[shape]["steps"][method])] + (["--gradient-checkpointing"] if CHECKPOINTING else []) + (["--trl-bf16"] if TRL_BF16 else [])
    else:
        spec = out / f"alignkit-{method}-spec.json"
        spec.write_text(json.dumps(alignkit_spec(method, shape, out)))
        cmd = ["node", str(ROOT / "dist" / "bench" / "side-by-side-alignkit.js"), str(spec), str(result)]
    seconds, rss = run(cmd, env)
    r = json.loads(result.read_text())
    meta = json.loads((out / "meta.json").read_text())
    return {"curve": [x["value"] for x in r["steps"]], "tps": throughput(r, method, meta, shape), "cpu_tps": throughput(r, method, meta, shape, "cpu"),
            "rss": rss, "seconds": seconds, "load": os.getloadavg()[0]}


if __name__ == "__main__":
    main()
