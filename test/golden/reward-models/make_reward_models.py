#!/usr/bin/env python3
"""Tiny reward models made by transformers' own *ForSequenceClassification classes, and their scores.

Issue 18, point 5, the Hub-to-alignkit direction: each family's sequence-classification class
with num_labels 1, random weights (norm gains and biases randomised too, never left at 1 and 0),
saved with save_pretrained in float32 under checkpoints/<name>/; reward-models.json records the
ids and the score transformers gives each row, which reward-models.test.ts compares with
alignkit's. Run with the reference environment: python make_reward_models.py (needs torch,
transformers; a few seconds on a CPU).
"""
import json
import os
import shutil

import torch
import transformers as tf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'checkpoints')
V, C, L, F = 64, 16, 2, 24
PAD = 0  # no scored row holds it, so transformers reads every row at its last token
COMMON = dict(vocab_size=V, hidden_size=C, num_hidden_layers=L, num_attention_heads=2, num_key_value_heads=1,
              intermediate_size=F, max_position_embeddings=64, num_labels=1, pad_token_id=PAD, bos_token_id=1, eos_token_id=2)
CASES = {
    'llama-untied': (tf.LlamaConfig, tf.LlamaForSequenceClassification, dict(tie_word_embeddings=False)),
    'llama-tied': (tf.LlamaConfig, tf.LlamaForSequenceClassification, dict(tie_word_embeddings=True)),
    'qwen2': (tf.Qwen2Config, tf.Qwen2ForSequenceClassification, dict(tie_word_embeddings=False)),
    'qwen3': (tf.Qwen3Config, tf.Qwen3ForSequenceClassification, dict(tie_word_embeddings=True, head_dim=8)),
    'gemma2': (tf.Gemma2Config, tf.Gemma2ForSequenceClassification, dict(head_dim=8, query_pre_attn_scalar=8, sliding_window=4, attn_logit_softcapping=None)),
    'gpt2': (tf.GPT2Config, tf.GPT2ForSequenceClassification, None),
}


def make(name, cfg_cls, model_cls, extra):
    if extra is None:
        cfg = cfg_cls(vocab_size=V, n_embd=C, n_layer=L, n_head=2, n_positions=64, num_labels=1, pad_token_id=PAD,
                      bos_token_id=1, eos_token_id=2, resid_pdrop=0, embd_pdrop=0, attn_pdrop=0)
    else:
        cfg = cfg_cls(**COMMON, **extra)
    torch.manual_seed(sum(map(ord, name)))
    # Eager attention, so Gemma 2's sliding window is the plain mask; attention soft-capping is off
    # (alignkit's kernels refuse it by name until they implement it).
    cfg._attn_implementation = 'eager'
    model = model_cls(cfg).eval()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if 'norm' in n or 'ln_' in n:
                # Gains around 1 (around 0 for Gemma's 1 + w), biases around 0, both random.
                p.copy_((0.0 if ('gemma' in name or n.endswith('bias')) else 1.0) + 0.2 * torch.randn_like(p))
            elif n.endswith('bias'):
                p.copy_(0.1 * torch.randn_like(p))
            elif n.startswith('score'):
                p.copy_(0.5 * torch.randn_like(p))
    return model


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(3, V, (3, 9), generator=gen)
    cases = []
    for name, (cfg_cls, model_cls, extra) in CASES.items():
        model = make(name, cfg_cls, model_cls, extra)
        with torch.no_grad():
            scores = model(ids).logits.reshape(-1).tolist()
        path = os.path.join(OUT, name)
        model.save_pretrained(path)
        cases.append({'name': name, 'architecture': type(model).__name__, 'scores': scores})
    with open(os.path.join(HERE, 'reward-models.json'), 'w') as f:
        json.dump({'transformers': tf.__version__, 'pad': PAD, 'ids': ids.tolist(), 'cases': cases}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
