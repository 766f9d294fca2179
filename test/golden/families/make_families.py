#!/usr/bin/env python3
"""Golden checkpoints and outputs of every model family alignkit loads, from the real classes.

Run from the repository root with the project's reference environment (transformers 5.18, torch):

    python3 test/golden/families/make_families.py

For each case below, a tiny model of the real transformers class (AutoModelForCausalLM.from_config)
is built, every parameter drawn at random — norm weights and biases included, so that an offset
read wrong ((1 + w) against w) or a bias dropped changes the result — and saved with
save_pretrained twice: test/golden/families/checkpoints/<case>/f32 (float32) and .../bf16 (bfloat16). Then the
class is loaded back from each directory *in float32* (the bf16 weights widened exactly, which is
what alignkit does when it loads them) and runs with the eager attention implementation:

- logits (B, T, V) of fixed ids, and the mean cross-entropy of the next-token targets;
- the gradient of that loss for a few parameters (embedding, layer 0's first projection, the final
  norm);
- 20 greedy tokens after a prompt (model.generate, KV cache on, do_sample False, no EOS stop).

families.json holds these: logits to 8 significant digits (so that the differences the test
measures, about 1e-6, are alignkit's and not the fixture's rounding), the rest to 6 (relative
rounding 5e-6, a twentieth of the 1e-4 tolerance). The matching test is families.golden.test.ts.
"""
import json
import math
import os
import shutil

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'checkpoints')
SEED = 20261205
torch.manual_seed(SEED)

V = 48
BASE = dict(vocab_size=V, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=32, bos_token_id=1, eos_token_id=2, pad_token_id=0,
            tie_word_embeddings=False)

CASES = {
    'gpt2': dict(model_type='gpt2', vocab_size=V, n_positions=32, n_embd=16, n_layer=2, n_head=4, bos_token_id=1,
                 eos_token_id=2, resid_pdrop=0, embd_pdrop=0, attn_pdrop=0),
    'llama': dict(model_type='llama', **BASE),
    'llama-tied': dict(model_type='llama', **{**BASE, 'tie_word_embeddings': True}),
    # head_dim 8: wavelengths 6.3, 63, 628 and 6283 fall in all three of llama3's bands (kept, smoothed, divided).
    'llama-rope-llama3': dict(model_type='llama', **BASE, head_dim=8, rope_parameters=dict(
        rope_type='llama3', rope_theta=10000.0, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
        original_max_position_embeddings=2048)),
    'llama-rope-linear': dict(model_type='llama', **BASE, rope_parameters=dict(rope_type='linear', rope_theta=10000.0, factor=2.0)),
    # max_position_embeddings 16 so that the 26 tokens of the greedy run go past it and the base grows.
    'llama-rope-dynamic': dict(model_type='llama', **{**BASE, 'max_position_embeddings': 16},
                               rope_parameters=dict(rope_type='dynamic', rope_theta=10000.0, factor=2.0)),
    'llama-rope-yarn': dict(model_type='llama', **BASE, rope_parameters=dict(
        rope_type='yarn', rope_theta=10000.0, factor=4.0, original_max_position_embeddings=8)),
    'qwen2': dict(model_type='qwen2', **BASE),
    # head_dim 8 with 4 heads: the attention width (32) is not hidden_size (16).
    'qwen3': dict(model_type='qwen3', **BASE, head_dim=8),
    'mistral': dict(model_type='mistral', **BASE, sliding_window=4),
    'phi3': dict(model_type='phi3', **BASE, resid_pdrop=0, embd_pdrop=0, attention_dropout=0),
    'gemma2': dict(model_type='gemma2', **{**BASE, 'tie_word_embeddings': True}, head_dim=8, query_pre_attn_scalar=12,
                   sliding_window=4, attn_logit_softcapping=2.0, final_logit_softcapping=4.0,
                   layer_types=['sliding_attention', 'full_attention']),
    # Gemma 2 without the attention soft-cap: the final soft-cap, the four norms, GeGLU and the
    # alternating windows checked on their own, apart from the attention cap of the case above.
    'gemma2-no-attn-cap': dict(model_type='gemma2', **{**BASE, 'tie_word_embeddings': True}, head_dim=8, query_pre_attn_scalar=12,
                               sliding_window=4, attn_logit_softcapping=None, final_logit_softcapping=10.0,
                               layer_types=['sliding_attention', 'full_attention']),
    'gemma3': dict(model_type='gemma3_text', **{**BASE, 'tie_word_embeddings': True}, head_dim=8, query_pre_attn_scalar=12,
                   sliding_window=4, layer_types=['sliding_attention', 'full_attention'],
                   rope_parameters={'full_attention': dict(rope_type='default', rope_theta=10000.0),
                                    'sliding_attention': dict(rope_type='default', rope_theta=100.0)}),
}
B, T, PROMPT, NEW = 2, 10, 6, 20


def randomise(model, model_type):
    gen = torch.Generator().manual_seed(SEED)
    gemma = model_type.startswith('gemma')
    with torch.no_grad():
        for name, p in model.named_parameters():
            is_norm = p.dim() == 1 and ('norm' in name or 'ln_' in name) and name.endswith('weight')
            # Norm gains about 1: for Gemma's (1 + w) that is w about 0; biases and w both away from 0.
            mean = 0.0 if gemma or not is_norm else 1.0
            std = 0.3 if is_norm else 0.25
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float32) * std + mean)


def rounded(t, digits=6):
    return [float('%.*g' % (digits, v)) for v in t.detach().to(torch.float64).reshape(-1).tolist()]


def grads_of(model):
    names = [n for n, _ in model.named_parameters()]
    pick = [names[0], next(n for n in names if '.0.' in n and n.endswith('weight') and 'norm' not in n and 'ln_' not in n),
            next(n for n in reversed(names) if 'norm' in n or 'ln_f' in n)]
    params = dict(model.named_parameters())
    return [{'name': n, 'shape': list(params[n].shape), 'data': rounded(params[n].grad)} for n in pick]


def outputs(path, ids, prompt):
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation='eager')
    model.train(False)
    logits = model(ids).logits
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
    loss.backward()
    with torch.no_grad():
        greedy = model.generate(prompt, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False, eos_token_id=None,
                                pad_token_id=0, attention_mask=torch.ones_like(prompt))
    return {'logits': {'shape': list(logits.shape), 'data': rounded(logits, 8)}, 'loss': float('%.9g' % loss.item()),
            'grads': grads_of(model), 'greedy': greedy[0, prompt.shape[1]:].tolist()}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    gen = torch.Generator().manual_seed(SEED + 1)
    ids = torch.randint(3, V, (B, T), generator=gen)
    prompt = torch.randint(3, V, (1, PROMPT), generator=gen)
    cases = []
    for name, kw in CASES.items():
        kw = dict(kw)
        model_type = kw.pop('model_type')
        config = AutoConfig.for_model(model_type, **kw)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        randomise(model, model_type)
        case = {'name': name, 'model_type': model_type}
        for dtype, tdt in (('f32', torch.float32), ('bf16', torch.bfloat16)):
            d = os.path.join(OUT, name, dtype)
            model.to(tdt).save_pretrained(d)
            case[dtype] = outputs(d, ids, prompt)
        spread = torch.tensor(case['f32']['logits']['data']).std().item()
        assert spread > 0.3, f'{name}: logits nearly flat (std {spread:.3f})'
        cases.append(case)
        print(f'{name}: logits std {spread:.2f}, greedy {case["f32"]["greedy"]}')
    out = {'generator': 'test/golden/families/make_families.py', 'transformers': transformers.__version__, 'torch': torch.__version__,
           'seed': SEED, 'reference': 'the class in float32 (eager attention) on the stored weights; bf16 weights widened',
           'loss': 'mean cross-entropy of logits[:, :-1] against ids[:, 1:]',
           'ids': {'shape': [B, T], 'data': ids.reshape(-1).tolist()}, 'prompt': prompt.reshape(-1).tolist(), 'cases': cases}
    with open(os.path.join(HERE, 'families.json'), 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f'{len(cases)} families → families.json ({os.path.getsize(os.path.join(HERE, "families.json")) / 1024:.0f} KiB), '
          f'checkpoints {size / 1024:.0f} KiB')


if __name__ == '__main__':
    main()
