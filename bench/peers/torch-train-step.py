#!/usr/bin/env python3
"""One SFT step at a real shape with torch + transformers (+ peft for LoRA): the peer of
bench/train-step.ts, run in its own process so that its peak RSS is its own.

  torch-train-step.py DIR lora|full float32|bfloat16 STEPS BATCH SEQ [sdpa|eager]

DIR is a checkpoint directory (config.json + model.safetensors, bf16). 'float32' loads the weights
widened to float32 (the same arithmetic as alignkit: float32 compute on widened bf16 values);
'bfloat16' keeps the frozen base bf16, so the base's matmuls compute in bf16 on oneDNN, while
peft keeps the adapters float32 (autocast_adapter_dtype) and computes their update in float32.
Prints one JSON line: tokens/s of the best step after one warm-up step, CPU seconds (all threads)
of each step, peak RSS.
"""
import json
import os
import resource
import sys
import time

import torch
from transformers import AutoModelForCausalLM


def main():
    path, mode, dtype, steps, batch, seq = sys.argv[1:7]
    attn = sys.argv[7] if len(sys.argv) > 7 else 'sdpa'
    steps, batch, seq = int(steps), int(batch), int(seq)
    if os.environ.get('OMP_NUM_THREADS'):
        torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
    torch.manual_seed(0)
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype), attn_implementation=attn)
    model.train()
    if mode == 'lora':
        from peft import LoraConfig, get_peft_model
        targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=targets))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(0, vocab, (batch, seq), generator=g)
    load_s = time.perf_counter() - t0
    times, cpu, peaks, loss = [], [], [], None
    peak = lambda: round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2, 2)
    for _ in range(steps + 1):
        t, c = time.perf_counter(), time.process_time()
        out = model(input_ids=ids, labels=ids)
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        peaks.append(peak())
        loss = out.loss.item()
    best = min(times[1:]) if steps > 0 else times[0]
    trainable = sum(p.numel() for p in params)
    print(json.dumps({
        'contender': f'torch {torch.__version__} {dtype}' + (' + peft' if mode == 'lora' else '') + f' ({attn})',
        'threads': torch.get_num_threads(), 'trainable': trainable, 'loss': loss, 'loadS': round(load_s, 1),
        'stepS': [round(x, 2) for x in times], 'cpuS': [round(x, 2) for x in cpu], 'peakAfterStepGiB': peaks, 'tokensPerS': round(batch * seq / best, 1),
        'peakRssGiB': peak()}))


if __name__ == '__main__':
    main()
