#!/usr/bin/env python3
"""Golden token ids for the real tokenizers in ../shared/data/hf-models, from Python `tokenizers`.

Run from the repository root with the project's virtual environment (tokenizers 0.23, transformers 5):

    python3 test/golden/make_tokenizers.py   # writes test/golden/tokenizers.json

For each fixture and each text of a mixed corpus (special and added tokens inside text, whitespace
runs, emoji, CJK, code, numbers, combining marks, contractions) it stores:
- ids: `Tokenizer.encode(text, add_special_tokens=False).ids`, special tokens in the text matched;
- plainIds: the same with `encode_special_tokens = True`, the setting under which special-token
  strings are tokenized as ordinary text (transformers' split_special_tokens), which is what
  alignkit's `parseSpecial: false` must reproduce;
- decoded / decodedSkip: `Tokenizer.decode(ids)` with skip_special_tokens False and True.

Where a folder has tokenizer.json, the oracle is `tokenizers.Tokenizer.from_file` on it. Where it
has only vocab.json + merges.txt (Qwen2.5-0.5B-Instruct as published; SmolLM2 with its tokenizer.json
set aside, as a second case), the oracle is the `tokenizers` pipeline that transformers'
AutoTokenizer builds from those files (`backend_tokenizer`), since `tokenizers` alone cannot know
the model's pre-tokenizer. When transformers' own ids for a text differ from the tokenizers ids
(TinyLlama: transformers 5 rebuilds its pre-tokenizer because tokenizer_config.json says
legacy: false), they are stored as transformersIds, to be reported, not matched.

The matching test is tokenizers.golden.test.ts; it skips when ../shared is absent.
"""
import json
import os
import shutil
import sys
import tempfile

import tokenizers
import transformers
from transformers import AutoTokenizer



def find_hf_models():
    """../shared/data/hf-models from the repository root, or from the nearest folder above that has one (a worktree)."""
    if os.environ.get('ALIGNKIT_SHARED_DATA'):
        return os.path.join(os.environ['ALIGNKIT_SHARED_DATA'], 'hf-models')
    d = os.path.abspath('..')
    while True:
        p = os.path.join(d, 'shared', 'data', 'hf-models')
        if os.path.isdir(p) or os.path.dirname(d) == d:
            return p
        d = os.path.dirname(d)


HF = find_hf_models()
OUT = os.path.join('test', 'golden', 'tokenizers.json')

# Texts every fixture encodes. Specials of several families appear in all of them on purpose:
# in a tokenizer that does not know them they are plain text, and must be split like plain text.
CORPUS = [
    'Hello world! The quick brown fox, 1234 -- héllo 世界 <|im_start|>',
    'a  b   c\t\td\n\n\ne    \n  f   ',
    '   leading and trailing   ',
    ' ',
    '\n',
    '\r\n\r\nwindows\r\nline ends\r\n',
    'I ❤️ 🦙s and 👩‍👩‍👧‍👦 families 🎉🎉 ok👍🏽',
    '日本語のテキストと中文文本，还有한국어 텍스트。',
    'Привет, мир! مرحبا بالعالم नमस्ते ΑΒΓ',
    'def f(x):\n    return x**2 + 1  # comment\n\tif x != 0: print(f"{x:>4}")\n',
    'const a = [1, 2, 3].map((v) => v * 2); // => [2, 4, 6]\n{"key": null, "n": -0.5e-3}',
    '3.14159 1,000,000 -42 0x1F 1e-10 2024-12-05 12345678901234567890 ½ ²',
    "I'm sure you're right, it's fine; we'll see what they'd say. DON'T SHOUT",
    'e\u0301 vs \u00e9, \ufb01 ligature, A\u030a, \u212b, full\u3000width\uff01',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa !!!!!!!!!!!!!!!!!!!!!!!!!!!!!! ----------',
    '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n',
    '<s>[INST] hi [/INST]</s> <unk> <|endoftext|>text<|endoftext|>',
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
    '  <|im_end|>  spaced  <|im_end|>  x<|im_end|>y <|im_end|><|im_end|>',
    '<think>\nreasoning\n</think>\n\nanswer <tool_call>{"a": 1}</tool_call>',
    '<|im_start|', 'im_start|>', '<<|im_end|>>', '<|<|endoftext|>|>',
]


def added_token_texts(tok):
    """Texts made of this fixture's own added tokens: glued to words, spaced, doubled."""
    added = sorted(tok.get_added_tokens_decoder().items())
    special = [t.content for _, t in added if t.special][:8]
    plain = [t.content for _, t in added if not t.special][:6]
    out = []
    for t in special + plain:
        out.append(f'word{t}word {t} {t}{t}\n{t}')
    if special:
        out.append(' '.join(special) + ' ' + ''.join(plain))
    return out


def cases(tok, texts, hf_tok=None):
    rows = []
    for text in texts:
        tok.encode_special_tokens = False
        ids = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = True
        plain = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = False
        row = {
            'text': text, 'ids': ids, 'plainIds': plain,
            'decoded': tok.decode(ids, skip_special_tokens=False),
            'decodedSkip': tok.decode(ids, skip_special_tokens=True),
        }
        if hf_tok is not None:
            t_ids = hf_tok(text, add_special_tokens=False)['input_ids']
            if t_ids != ids:
                row['transformersIds'] = t_ids
        rows.append(row)
    return rows


def slow_copy(folder, tmp):
    """The folder without tokenizer.json (and tokenizer.model): what a vocab.json + merges.txt repository holds."""
    dst = os.path.join(tmp, os.path.basename(folder) + '-slow')
    os.makedirs(dst)
    for f in ('vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json'):
        if os.path.exists(os.path.join(folder, f)):
            shutil.copy(os.path.join(folder, f), dst)
    return dst


def fixture(name, folder, files, tmp):
    if files == 'tokenizer.json':
        tok = tokenizers.Tokenizer.from_file(os.path.join(folder, 'tokenizer.json'))
        hf_tok = AutoTokenizer.from_pretrained(folder) if os.path.exists(os.path.join(folder, 'tokenizer_config.json')) else None
    else:
        hf_tok = AutoTokenizer.from_pretrained(slow_copy(folder, tmp))
        tok = hf_tok.backend_tokenizer
    texts = CORPUS + added_token_texts(tok)
    return {
        'name': name, 'folder': os.path.basename(folder), 'files': files,
        'vocabSize': tok.get_vocab_size(with_added_tokens=True),
        'cases': cases(tok, texts, hf_tok),
    }


def main():
    if not os.path.isdir(HF):
        sys.exit(f'{HF} not found: run from the repository root, with ../shared/data/hf-models above it (or set ALIGNKIT_SHARED_DATA)')
    plan = [
        ('smollm2', 'SmolLM2-135M-Instruct', 'tokenizer.json'),
        ('smollm2-slow', 'SmolLM2-135M-Instruct', 'vocab.json+merges.txt'),
        ('qwen2.5', 'Qwen2.5-0.5B-Instruct', 'vocab.json+merges.txt'),
        ('qwen3', 'Qwen3-0.6B', 'tokenizer.json'),
        ('llama3', 'Meta-Llama-3-8B-Instruct', 'tokenizer.json'),
        ('tinyllama', 'TinyLlama-1.1B-Chat-v1.0', 'tokenizer.json'),
        ('gpt2', 'gpt2-large', 'tokenizer.json'),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        fixtures = [fixture(n, os.path.join(HF, d), f, tmp) for n, d, f in plan]
    out = {
        'generator': 'test/golden/make_tokenizers.py',
        'tokenizers': tokenizers.__version__, 'transformers': transformers.__version__,
        'fixtures': fixtures,
    }
    with open(OUT, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')
    for fx in fixtures:
        differ = sum('transformersIds' in c for c in fx['cases'])
        print(f"{fx['name']}: {len(fx['cases'])} texts, transformers ids differ on {differ}")


if __name__ == '__main__':
    main()
