#!/usr/bin/env python3
"""Golden chat renders of the real templates in ../shared/data/hf-models, from transformers.

Run from the repository root with the project's virtual environment (transformers 5, jinja2):

    python3 test/golden/make_chat_templates.py   # writes test/golden/chat-templates.json

Every template fixture renders every conversation of CONVERSATIONS through
`tokenizer.apply_chat_template(messages, tokenize=False, ...)`, with add_generation_prompt off and
on; Qwen3 also with enable_thinking unset, False and True. Each render stores the text and the ids
that Python `tokenizers` gives it (`encode(text, add_special_tokens=False)`, the tokenizer of
make_tokenizers.py), so the test checks the render and its tokens. Where transformers' tokenizer
object gives other ids for the same text (it rebuilds SmolLM2's and TinyLlama's pipelines from
their tokenizer classes instead of using tokenizer.json as written), those are stored as
transformersIds, to be reported, not matched.

Fixtures: the template in tokenizer_config.json (SmolLM2, Qwen2.5, Qwen3, Llama 3, Llama 3.2) or in
chat_template.jinja (TinyLlama). The Llama 3.2 folder has no tokenizer files, so its template is
rendered by the Llama 3 tokenizer (the same BOS string) passed as chat_template=, and stores no ids.
Llama 3.2's template prints a date: date_string is fixed here ("26 Jul 2024"), as a user can pass it.

It also stores, per fixture, what TRL's `maybe_apply_chat_template` (trl.data_utils, the function
its SFT, DPO and reward trainers call) makes of conversational prompt/completion and preference
records built from the same conversations: the texts alignkit's data/chat/chat-render.ts must
give (less the whitespace after the end-of-turn token, which alignkit does not train on).

The matching test is chat-templates.golden.test.ts; it skips when ../shared is absent.
"""
import json
import os
import sys

import tokenizers
import transformers
import trl
from transformers import AutoTokenizer
from trl.data_utils import maybe_apply_chat_template

sys.path.insert(0, os.path.dirname(__file__))
from make_tokenizers import HF, slow_copy  # noqa: E402

OUT = os.path.join('test', 'golden', 'chat-templates.json')

CONVERSATIONS = {
    'one-user': [
        {'role': 'user', 'content': 'What is the capital of France?'},
    ],
    'system-user-assistant': [
        {'role': 'system', 'content': 'You are terse.'},
        {'role': 'user', 'content': 'Name a prime.'},
        {'role': 'assistant', 'content': '7'},
    ],
    'multi-turn': [
        {'role': 'user', 'content': 'Hi!'},
        {'role': 'assistant', 'content': 'Hello! How can I help?'},
        {'role': 'user', 'content': 'Tell me a joke.'},
        {'role': 'assistant', 'content': 'Why did the chicken cross the road? To get to the other side.'},
    ],
    'system-multi-turn-open': [
        {'role': 'system', 'content': 'You answer in French.\nKeep it short.'},
        {'role': 'user', 'content': 'Good morning'},
        {'role': 'assistant', 'content': 'Bonjour'},
        {'role': 'user', 'content': 'Thank you'},
    ],
    'whitespace-unicode': [
        {'role': 'user', 'content': '  Leading spaces, trailing newlines\n\n'},
        {'role': 'assistant', 'content': '\nLine one\n\nLine two  '},
        {'role': 'user', 'content': 'Unicode: 日本語 🦙 é\tand a tab'},
    ],
    'thinking': [
        {'role': 'user', 'content': 'What is 2+2?'},
        {'role': 'assistant', 'content': '<think>\nAdd two and two.\n</think>\n\n4'},
        {'role': 'user', 'content': 'And 3+3?'},
        {'role': 'assistant', 'content': '<think>Add three and three.</think>6'},
    ],
}


def trl_records():
    """Conversational records of the kinds TRL's trainers read, from the conversations above: a
    prompt/completion record for every assistant turn (the conversation up to it, and it), and a
    preference record for the last one."""
    out = []
    for name, messages in CONVERSATIONS.items():
        turns = [i for i, m in enumerate(messages) if m['role'] == 'assistant']
        for i in turns:
            out.append({'conversation': name, 'turn': i, 'record': {'prompt': messages[:i], 'completion': messages[i:i + 1]}})
        if turns:
            last = turns[-1]
            other = [{'role': 'assistant', 'content': 'I would rather not say.'}]
            out.append({'conversation': name, 'turn': last, 'record': {'prompt': messages[:last], 'chosen': messages[last:last + 1], 'rejected': other}})
    return out


def plan():
    """(name, tokenizer folder, how its files load, template override, extra variants)."""
    date = {'date_string': '26 Jul 2024'}
    llama32 = json.load(open(os.path.join(HF, 'Llama-3.2-1B-Instruct', 'tokenizer_config.json')))['chat_template']
    return [
        ('smollm2', 'SmolLM2-135M-Instruct', 'tokenizer.json', None, [{}]),
        ('qwen2.5', 'Qwen2.5-0.5B-Instruct', 'vocab.json+merges.txt', None, [{}]),
        ('qwen3', 'Qwen3-0.6B', 'tokenizer.json', None, [{}, {'enable_thinking': False}, {'enable_thinking': True}]),
        ('llama3', 'Meta-Llama-3-8B-Instruct', 'tokenizer.json', None, [{}]),
        ('llama3.2', 'Meta-Llama-3-8B-Instruct', 'tokenizer.json', llama32, [date]),
        ('tinyllama', 'TinyLlama-1.1B-Chat-v1.0', 'tokenizer.json', None, [{}]),
    ]


def main():
    import tempfile
    fixtures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder, files, template, variants in plan():
            path = os.path.join(HF, folder)
            tok = AutoTokenizer.from_pretrained(path if files == 'tokenizer.json' else slow_copy(path, tmp))
            # The ids oracle is make_tokenizers.py's: `tokenizers` on tokenizer.json where there is one.
            backend = tokenizers.Tokenizer.from_file(os.path.join(path, 'tokenizer.json')) if files == 'tokenizer.json' else tok.backend_tokenizer
            renders = []
            for conv_name, messages in CONVERSATIONS.items():
                for extra in variants:
                    for gen in (False, True):
                        kwargs = dict(extra)
                        if template is not None:
                            kwargs['chat_template'] = template
                        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen, **kwargs)
                        row = {'conversation': conv_name, 'addGenerationPrompt': gen, 'extra': extra, 'text': text}
                        if template is None:
                            row['ids'] = backend.encode(text, add_special_tokens=False).ids
                            t_ids = tok(text, add_special_tokens=False)['input_ids']
                            if t_ids != row['ids']:
                                row['transformersIds'] = t_ids
                        renders.append(row)
            trl_rows = []
            for row in trl_records():
                for extra in variants:
                    kwargs = dict(extra)
                    if template is not None:
                        kwargs['chat_template'] = template
                    trl_rows.append({**row, 'extra': extra, 'trl': maybe_apply_chat_template(row['record'], tok, **kwargs)})
            fixtures.append({
                'name': name, 'folder': 'Llama-3.2-1B-Instruct' if template is not None else folder,
                'tokenizerFolder': folder, 'files': files, 'renders': renders, 'trl': trl_rows,
            })
    out = {
        'generator': 'test/golden/make_chat_templates.py', 'transformers': transformers.__version__, 'trl': trl.__version__,
        'conversations': CONVERSATIONS, 'fixtures': fixtures,
    }
    with open(OUT, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')
    for fx in fixtures:
        differ = sum('transformersIds' in r for r in fx['renders'])
        print(f"{fx['name']}: {len(fx['renders'])} renders, transformers' own ids differ on {differ}")


if __name__ == '__main__':
    main()
