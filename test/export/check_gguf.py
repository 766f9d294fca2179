"""Reads alignkit's GGUF exports with gguf-py's GGUFReader (the reader llama.cpp's Python tools use),
independently of llama.cpp: every file parses; the metadata llama.cpp needs is there with its type;
the tokenizer arrays have one entry per token; every tensor's stored size matches its type; and the
f16/bf16/q8_0 files of a model, dequantized by gguf-py, are the f32 file's tensors within the
type's rounding. Not run by the test suite (it needs Python and gguf):

    /path/to/python test/export/check_gguf.py DIR   # DIR holds <name>.<dtype>.gguf files (and *.lora.gguf)
"""
import sys, glob, os, collections
import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as Q
from gguf.quants import dequantize

NEEDED = ['context_length', 'embedding_length', 'block_count', 'feed_forward_length', 'attention.head_count']
TOL = {'f16': 1e-3, 'bf16': 8e-3, 'q8_0': 1 / 127 + 1e-3}  # relative to the tensor's largest |value|


def field(r, key):
    f = r.fields.get(key)
    if f is None:
        return None
    if f.types[0] == 9:  # array
        return [f.contents(i) for i in range(len(f.data))]
    return f.contents()


def tensors(r):
    out = {}
    for t in r.tensors:
        out[t.name] = dequantize(t.data, t.tensor_type).reshape([int(d) for d in reversed(t.shape)]).astype(np.float64)
    return out


def main(d):
    groups = collections.defaultdict(dict)
    bad = 0
    for path in sorted(glob.glob(os.path.join(d, '*.gguf'))):
        r = GGUFReader(path)
        arch = field(r, 'general.architecture')
        kind = field(r, 'general.type') or 'model'
        problems = []
        if kind == 'adapter':
            for k in ['adapter.type', 'adapter.lora.alpha']:
                if field(r, k) is None:
                    problems.append(f'missing {k}')
            if not all(t.name.endswith(('.lora_a', '.lora_b')) for t in r.tensors):
                problems.append('a tensor not named .lora_a/.lora_b')
        else:
            for k in NEEDED:
                if field(r, f'{arch}.{k}') is None:
                    problems.append(f'missing {arch}.{k}')
            toks = field(r, 'tokenizer.ggml.tokens')
            types = field(r, 'tokenizer.ggml.token_type')
            if toks is None or types is None or len(toks) != len(types):
                problems.append('tokenizer tokens/token_type missing or of different lengths')
            if field(r, 'tokenizer.ggml.model') is None or field(r, 'tokenizer.chat_template') is None:
                problems.append('tokenizer.ggml.model or tokenizer.chat_template missing')
            emb = next(t for t in r.tensors if t.name == 'token_embd.weight')
            if toks is not None and int(emb.shape[1]) != len(toks):
                problems.append(f'token_embd has {int(emb.shape[1])} rows for {len(toks)} tokens')
            name, _, dtype = os.path.basename(path)[:-5].rpartition('.')
            groups[name][dtype] = tensors(r)
        types = collections.Counter(Q(t.tensor_type).name for t in r.tensors)
        print(f'{os.path.basename(path)}: {kind} {arch}, {len(r.fields)} keys, {len(r.tensors)} tensors {dict(types)}' + (f' PROBLEMS {problems}' if problems else ''))
        bad += bool(problems)
    for name, by in groups.items():
        if 'f32' not in by:
            continue
        for dtype, ts in by.items():
            if dtype == 'f32':
                continue
            worst = max(np.abs(ts[k] - v).max() / max(np.abs(v).max(), 1e-12) for k, v in by['f32'].items())
            ok = worst <= TOL[dtype]
            print(f'{name} {dtype} vs f32: max relative difference {worst:.2e} (tolerance {TOL[dtype]:.1e}) {"ok" if ok else "TOO LARGE"}')
            bad += not ok
    print('all files read' if not bad else f'{bad} problems')
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main(sys.argv[1])
