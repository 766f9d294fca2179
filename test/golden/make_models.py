#!/usr/bin/python3
"""Golden tensors for alignkit's transformer families and its AdamW, from PyTorch (1.13, CPU).

Run from the repository root with Debian's interpreter, which has python3-torch:

    /usr/bin/python3 test/golden/make_models.py   # writes test/golden/models.json, adamw.json

models.json: two tiny models, one per family, written out below as torch modules that follow
Hugging Face's GPT2LMHeadModel and LlamaForCausalLM line for line (transformers 4.x,
modeling_gpt2.py and modeling_llama.py; the `transformers` package is not installed here, so they
are hand-written) and whose named_parameters() carry exactly the names alignkit uses. Each case
stores the config, every parameter, input ids (B, T), targets (one ignored, -100), the logits
(B, T, V), the mean cross-entropy loss and the gradient of that loss for every parameter. The
matching test is models.golden.test.ts.

adamw.json: torch.optim.AdamW (betas (0.9, 0.95), eps 1e-8, weight_decay 0.1) for three steps with a
different learning rate each step (as a schedule gives) on a few tensors with fixed gradients. The
decay goes only where alignkit's AdamW.decays says (rank ≥ 2 and no norm/ln_/bias in the name), so
torch gets two parameter groups, one with weight_decay 0. The fixture stores the parameters, the
moments and the step after each update. The matching test is adamw.golden.test.ts.

Precision: weights are drawn, rounded to 3 decimals and cast to float32, so they are stored exactly
and short (the engine reads back bit-identical values). The reference then runs in float64 from
those float32 values. Model results are written with 6 significant digits (relative rounding
≤ 5e-6, a twentieth of the models' tolerance of 1e-4), which keeps the fixtures under 300 KB;
AdamW results with 9 (≤ 5e-9, below its tolerance of 1e-6).
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20240612
HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(SEED)
gen = torch.Generator().manual_seed(SEED)


# ---- GPT-2 (modeling_gpt2.py) ----

class Conv1D(nn.Module):
    """HF's Conv1D: weight stored (in, out), y = x·W + b."""

    def __init__(self, n_out, n_in):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.empty(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


def gelu_new(x):
    """GPT-2's tanh approximation of GELU (Hendrycks & Gimpel 2016)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def causal_softmax_attention(q, k, v, mask=None):
    """q (B, H, T, D), k/v (B, H, Tk, D): softmax(q·kᵀ/√D + causal + mask)·v, as both HF models do."""
    T, Tk, D = q.shape[-2], k.shape[-2], q.shape[-1]
    s = (q @ k.transpose(-1, -2)) / math.sqrt(D)
    causal = torch.ones(T, Tk, dtype=torch.bool).tril(Tk - T)
    s = s.masked_fill(~causal, float('-inf'))
    if mask is not None:
        s = s + mask
    return s.softmax(-1) @ v


class GPT2Attention(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.H = H
        self.c_attn = Conv1D(3 * C, C)
        self.c_proj = Conv1D(C, C)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)                                  # (B, T, C) each
        heads = lambda t: t.view(B, T, self.H, C // self.H).permute(0, 2, 1, 3)  # _split_heads
        o = causal_softmax_attention(heads(q), heads(k), heads(v))               # (B, H, T, D)
        return self.c_proj(o.permute(0, 2, 1, 3).reshape(B, T, C))               # _merge_heads


class GPT2MLP(nn.Module):
    def __init__(self, C, F_):
        super().__init__()
        self.c_fc = Conv1D(F_, C)
        self.c_proj = Conv1D(C, F_)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C = cfg['dModel']
        self.ln_1 = nn.LayerNorm(C, eps=cfg['normEps'])
        self.attn = GPT2Attention(C, cfg['nHead'])
        self.ln_2 = nn.LayerNorm(C, eps=cfg['normEps'])
        self.mlp = GPT2MLP(C, cfg['dFF'])

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg['vocabSize'], cfg['dModel'])
        self.wpe = nn.Embedding(cfg['maxSeqLen'], cfg['dModel'])
        self.h = nn.ModuleList(GPT2Block(cfg) for _ in range(cfg['nLayer']))
        self.ln_f = nn.LayerNorm(cfg['dModel'], eps=cfg['normEps'])

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])[None, :]
        x = self.wte(ids) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.ln_f(x)


class GPT2LMHeadModel(nn.Module):
    """lm_head is tied to wte, so it is no parameter of its own (alignkit stores none either)."""

    def __init__(self, cfg):
        super().__init__()
        self.transformer = GPT2Model(cfg)

    def forward(self, ids):
        return self.transformer(ids) @ self.transformer.wte.weight.T  # (B, T, V)


# ---- Llama (modeling_llama.py) ----

class LlamaRMSNorm(nn.Module):
    def __init__(self, C, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(C))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope_cos_sin(T, D, theta, dtype):
    """LlamaRotaryEmbedding: inv_freq = 1/θ^(2i/D), emb = cat(freqs, freqs)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)                                     # (T, D)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def repeat_kv(x, n_rep):
    """(B, Hkv, T, D) → (B, Hkv·n_rep, T, D), each kv head repeated n_rep times in a row."""
    B, Hkv, T, D = x.shape
    return x[:, :, None, :, :].expand(B, Hkv, n_rep, T, D).reshape(B, Hkv * n_rep, T, D)


class LlamaAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, H, Hkv = cfg['dModel'], cfg['nHead'], cfg['nKvHead']
        self.H, self.Hkv, self.D, self.theta = H, Hkv, C // H, cfg['ropeTheta']
        self.q_proj = nn.Linear(C, H * self.D, bias=False)
        self.k_proj = nn.Linear(C, Hkv * self.D, bias=False)
        self.v_proj = nn.Linear(C, Hkv * self.D, bias=False)
        self.o_proj = nn.Linear(H * self.D, C, bias=False)

    def forward(self, x):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.H, self.D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.Hkv, self.D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.Hkv, self.D).transpose(1, 2)
        cos, sin = rope_cos_sin(T, self.D, self.theta, x.dtype)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        n_rep = self.H // self.Hkv
        o = causal_softmax_attention(q, repeat_kv(k, n_rep), repeat_kv(v, n_rep))
        return self.o_proj(o.transpose(1, 2).reshape(B, T, self.H * self.D))


class LlamaMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, F_ = cfg['dModel'], cfg['dFF']
        self.gate_proj = nn.Linear(C, F_, bias=False)
        self.up_proj = nn.Linear(C, F_, bias=False)
        self.down_proj = nn.Linear(F_, C, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_attn = LlamaAttention(cfg)
        self.mlp = LlamaMLP(cfg)
        self.input_layernorm = LlamaRMSNorm(cfg['dModel'], cfg['normEps'])
        self.post_attention_layernorm = LlamaRMSNorm(cfg['dModel'], cfg['normEps'])

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg['vocabSize'], cfg['dModel'])
        self.layers = nn.ModuleList(LlamaDecoderLayer(cfg) for _ in range(cfg['nLayer']))
        self.norm = LlamaRMSNorm(cfg['dModel'], cfg['normEps'])

    def forward(self, ids):
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg['dModel'], cfg['vocabSize'], bias=False)

    def forward(self, ids):
        return self.lm_head(self.model(ids))


# ---- fixture helpers ----

def short_f32(shape, std=0.2, mean=0.0):
    """float32 values rounded to 3 decimals: exact in the fixture and a few characters each."""
    x = torch.randn(shape, generator=gen, dtype=torch.float64) * std + mean
    return (torch.round(x * 1000) / 1000).to(torch.float32).to(torch.float64)


def f32_list(t):
    """Stored weights: the shortest repr of each float32 (which is the 3-decimal number itself)."""
    return '[' + ','.join(str(np.float32(v)) for v in t.detach().to(torch.float32).numpy().ravel()) + ']'


def g_list(t, digits=6):
    """Results: `digits` significant digits of the float64 reference."""
    a = t.detach().to(torch.float64).numpy().ravel()
    if not np.all(np.isfinite(a)):
        raise ValueError('non-finite value in a fixture tensor (JSON cannot hold it)')
    return '[' + ','.join(('%.*g' % (digits, v)).replace('e-0', 'e-').replace('e+0', 'e+') for v in a) + ']'


def g9_list(t):
    return g_list(t, 9)


def i_list(t):
    return '[' + ','.join(str(int(v)) for v in t.ravel().tolist()) + ']'


def js(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, (list, tuple)):
        return '[' + ', '.join(js(x) for x in v) + ']'
    if isinstance(v, dict):
        return '{' + ', '.join(f'"{k}": {js(x)}' for k, x in v.items()) + '}'
    return repr(v)


# ---- models ----

GPT2 = dict(family='gpt2', vocabSize=61, maxSeqLen=8, dModel=16, nLayer=2, nHead=4, nKvHead=4, dFF=64,
            normEps=1e-5, ropeTheta=10000, tieEmbeddings=True, dropout=0, initStd=0.02)
LLAMA = dict(family='llama', vocabSize=61, maxSeqLen=8, dModel=16, nLayer=2, nHead=4, nKvHead=2, dFF=40,
             normEps=1e-6, ropeTheta=10000, tieEmbeddings=False, dropout=0, initStd=0.02)
B, T = 2, 7


def model_case(name, cfg, model):
    # Random weights of std 0.2 so that the logits are far from flat; norm gains around 1 and
    # non-zero biases so that every gradient path carries signal.
    with torch.no_grad():
        for n, p in model.named_parameters():
            is_gain = p.dim() == 1 and ('ln_' in n or 'norm' in n) and n.endswith('weight')
            p.copy_(short_f32(p.shape, std=0.2, mean=1.0 if is_gain else 0.0))
    model = model.double()
    ids = torch.randint(0, cfg['vocabSize'], (B, T), generator=gen)
    targets = torch.randint(0, cfg['vocabSize'], (B, T), generator=gen)
    targets[1, 2] = -100  # one ignored target: the mean is over the 13 others
    logits = model(ids)
    loss = F.cross_entropy(logits.reshape(-1, cfg['vocabSize']), targets.reshape(-1), ignore_index=-100)
    loss.backward()
    spread = logits.std().item()
    assert spread > 0.3, f'{name}: logits are nearly flat (std {spread:.3f})'
    params = [
        '      {"name": "%s", "shape": %s, "data": %s,\n       "grad": %s}' % (n, js(list(p.shape)), f32_list(p), g_list(p.grad))
        for n, p in model.named_parameters()
    ]
    return ('    {\n'
            f'     "name": "{name}",\n'
            f'     "config": {js(cfg)},\n'
            f'     "ids": {{"shape": [{B}, {T}], "data": {i_list(ids)}}},\n'
            f'     "targets": {{"shape": [{B}, {T}], "data": {i_list(targets)}}},\n'
            f'     "logits": {{"shape": {js(list(logits.shape))}, "data": {g_list(logits)}}},\n'
            f'     "loss": {"%.9g" % loss.item()},\n'
            '     "params": [\n' + ',\n'.join(params) + '\n     ]\n'
            '    }')


cases = [
    model_case('gpt2 (V 61, C 16, 2 layers, 4 heads, tied head)', GPT2, GPT2LMHeadModel(GPT2)),
    model_case('llama (V 61, C 16, 2 layers, 4 heads, 2 kv heads, dFF 40)', LLAMA, LlamaForCausalLM(LLAMA)),
]
out = os.path.join(HERE, 'models.json')
with open(out, 'w') as f:
    f.write('{\n'
            ' "generator": "test/golden/make_models.py",\n'
            f' "torch": "{torch.__version__}",\n'
            f' "seed": {SEED},\n'
            ' "reference": "float64 from float32 weights, results to 6 significant digits",\n'
            ' "loss": "mean cross-entropy of logits (B, T, V) against targets (B, T), ignoreIndex -100",\n'
            ' "cases": [\n' + ',\n'.join(cases) + '\n ]\n}\n')
print(f'{len(cases)} models → {os.path.relpath(out)} ({os.path.getsize(out) / 1024:.1f} KiB)')


# ---- AdamW ----

ADAMW = dict(betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
LRS = [1e-2, 5e-3, 2e-2]  # one per step, as a warm-up/cosine schedule would pass them


def decays(name, p):
    """alignkit's AdamW.decays, mirrored: matrices decay; norms, biases and vectors do not."""
    return p.dim() >= 2 and not any(s in name for s in ('norm', 'ln_', 'bias'))


adam_params = [
    ('h.0.attn.c_attn.weight', short_f32((3, 4), std=1.0), 1.0),
    ('h.0.attn.c_attn.bias', short_f32((4,), std=1.0), 1.0),
    ('h.0.ln_1.weight', short_f32((5,), std=0.2, mean=1.0), 1.0),
    ('model.norm.weight', short_f32((2, 3), std=0.2, mean=1.0), 1.0),  # rank 2 but a norm: no decay
    ('conv.weight', short_f32((2, 3, 2), std=1.0), 1.0),
    # Gradients of 1e-8: √v̂ is then comparable to eps, which must be added outside the sqrt.
    ('tiny.weight', short_f32((2, 2), std=1.0), 1e-8),
]
leaves = [(n, d.clone().requires_grad_(True)) for n, d, _ in adam_params]
grads_per_step = []
for step in range(len(LRS)):
    grads_per_step.append([(short_f32(d.shape, std=1.0) * gs).to(torch.float32).to(torch.float64) for _, d, gs in adam_params])
groups = [
    {'params': [p for n, p in leaves if decays(n, p)], 'weight_decay': ADAMW['weight_decay']},
    {'params': [p for n, p in leaves if not decays(n, p)], 'weight_decay': 0.0},
]
opt = torch.optim.AdamW(groups, lr=LRS[0], betas=ADAMW['betas'], eps=ADAMW['eps'])
steps = []
for s, lr in enumerate(LRS):
    for (_, p), g in zip(leaves, grads_per_step[s]):
        p.grad = g.clone()
    for grp in opt.param_groups:
        grp['lr'] = lr
    opt.step()
    steps.append('    {"lr": %r, "grads": {%s},\n     "after": {%s},\n     "m": {%s},\n     "v": {%s}}' % (
        lr,
        ', '.join(f'"{n}": {f32_list(g)}' for (n, _, _), g in zip(adam_params, grads_per_step[s])),
        ', '.join(f'"{n}": {g9_list(p)}' for n, p in leaves),
        ', '.join(f'"{n}": {g9_list(opt.state[p]["exp_avg"])}' for n, p in leaves),
        ', '.join(f'"{n}": {g9_list(opt.state[p]["exp_avg_sq"])}' for n, p in leaves),
    ))
out = os.path.join(HERE, 'adamw.json')
with open(out, 'w') as f:
    f.write('{\n'
            ' "generator": "test/golden/make_models.py",\n'
            f' "torch": "{torch.__version__}",\n'
            ' "reference": "torch.optim.AdamW in float64 from float32 inputs, results to 9 significant digits",\n'
            f' "config": {{"beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weightDecay": {ADAMW["weight_decay"]}}},\n'
            ' "params": [\n' + ',\n'.join(
                f'  {{"name": "{n}", "shape": {js(list(d.shape))}, "decays": {js(decays(n, d))}, "data": {f32_list(d)}}}'
                for n, d, _ in adam_params) + '\n ],\n'
            ' "steps": [\n' + ',\n'.join(steps) + '\n ]\n}\n')
print(f'AdamW, {len(adam_params)} tensors × {len(LRS)} steps → {os.path.relpath(out)} ({os.path.getsize(out) / 1024:.1f} KiB)')
