#!/usr/bin/env python3
"""Logits of checkpoints that alignkit saved, computed by the real classes (round-trip.test.ts).

Reads a JSON job from stdin: {"ids": [[...], ...], "jobs": [{"dir": D}, {"base": D, "adapter": A}]}
and writes {"logits": [flat float list per job]} to stdout. A plain job loads D with
AutoModelForCausalLM; an adapter job loads the base with AutoModelForCausalLM and the PEFT
adapter A on it with peft.PeftModel. Float32, eager attention, no gradients.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM


def load(job):
    if 'adapter' in job:
        from peft import PeftModel
        base = AutoModelForCausalLM.from_pretrained(job['base'], dtype=torch.float32, attn_implementation='eager')
        return PeftModel.from_pretrained(base, job['adapter'])
    return AutoModelForCausalLM.from_pretrained(job['dir'], dtype=torch.float32, attn_implementation='eager')


def main():
    req = json.load(sys.stdin)
    ids = torch.tensor(req['ids'])
    out = []
    with torch.no_grad():
        for job in req['jobs']:
            model = load(job)
            model.train(False)
            out.append(model(ids).logits.reshape(-1).tolist())
    json.dump({'logits': out}, sys.stdout)


if __name__ == '__main__':
    main()
