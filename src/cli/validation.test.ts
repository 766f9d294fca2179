// Every option is checked before anything is written, and its error names the flag (issue 16:
// `--batch-size 0` left an empty output folder, `--seq-len 1000000000` failed naming no flag).
// First every numeric option of every command and demo, given values out of any sensible range;
// then the checks that can only run once the inputs are read (a model's longest sequence, the
// memory a fresh model needs), end to end, with the run directory absent afterwards.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sftCommand } from './commands/train/sft.js';
import type { Option } from '../config/index.js';
import { recipes } from '../recipes/index.js';
import { tempDir } from '../io/temp-dir.test.js';
import { defaultConfig, saveModelDir, Transformer } from '../model/index.js';
import { ByteTokenizer } from '../tokenizer/index.js';
import { defineCommand, type DeclaredCommand } from './command.js';
import { commands } from './commands.js';
import { kebab, UsageError } from './flags.js';

const EXTRA: Record<string, string[]> = {
  sft: ['--corpus', 'moby-dick'], eval: ['--corpus', 'moby-dick'], 'train-tokenizer': ['--corpus', 'moby-dick'],
  ppo: ['--task', 'arithmetic'], grpo: ['--task', 'arithmetic'], rloo: ['--task', 'arithmetic'],
  'reinforce-pp': ['--task', 'arithmetic'], 'online-dpo': ['--task', 'arithmetic'],
};

const declared: DeclaredCommand[] = [
  ...commands.filter((c): c is DeclaredCommand => 'options' in c),
  ...recipes.map((r) => defineCommand({ name: `demo ${r.name}`, summary: r.summary, options: r.options, async run() { return 0; } })),
];

function baseArgs(cmd: DeclaredCommand): string[] {
  const required = Object.entries(cmd.options.options).filter(([, o]) => (o as Option).required !== undefined).flatMap(([k]) => [`--${kebab(k)}`, 'x']);
  return [...required, ...(EXTRA[cmd.name] ?? [])];
}

test('every numeric option of every command refuses a value out of range by its flag', () => {
  let refused = 0;
  for (const cmd of declared) {
    for (const [key, o] of Object.entries(cmd.options.options) as [string, Option][]) {
      if (o.type !== 'integer' && o.type !== 'number') continue;
      const flag = `--${kebab(key)}`;
      for (const bad of ['abc', 'NaN', 'Infinity', '-1e30', '1e30', ...(o.type === 'integer' ? ['1.5', '0', '-1'] : [])]) {
        let err: unknown = null;
        try {
          cmd.resolve([...baseArgs(cmd), `${flag}=${bad}`]);
        } catch (e) {
          err = e;
        }
        if (err === null) continue; // a value this option accepts
        refused++;
        assert.ok(err instanceof UsageError, `${cmd.name} ${flag} ${bad}: ${String(err)}`);
        assert.ok(err.message.includes(flag), `${cmd.name} ${flag} ${bad}: "${err.message}" does not name the flag`);
      }
      let accepted = 0;
      for (const bad of ['abc', 'NaN', 'Infinity']) {
        try { cmd.resolve([...baseArgs(cmd), `${flag}=${bad}`]); accepted++; } catch { /* refused, as it should */ }
      }
      assert.equal(accepted, 0, `${cmd.name} ${flag} accepts text or a non-finite number`);
    }
  }
  assert.ok(refused > 200, `${refused} refusals`);
});

test('sft checks what it can only check with the inputs read, before its run directory exists', async () => {
  const root = tempDir('alignkit-validate-');
  const tok = new ByteTokenizer(), lm = join(root, 'lm'), data = join(root, 'text.jsonl');
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 48 }), undefined, 1), { tokenizer: tok });
  writeFileSync(data, Array.from({ length: 20 }, (_, i) => JSON.stringify({ text: `a line of text, number ${i}` })).join('\n') + '\n');
  const out = join(root, 'run');
  const cases: [string[], RegExp][] = [
    [['--batch-size', '0'], /--batch-size 0: expected a positive integer$/],
    [['--seq-len', '1000000000'], /--seq-len 1000000000: expected a positive integer, at most 65536$/],
    [['--model', lm, '--seq-len', '64'], /--seq-len 64: expected at most 48, the longest sequence --model .*lm takes$/],
    [['--d-model', '100000', '--layers', '100'], /--d-model 100000 with --layers 100 makes at least 1\.20e\+13 parameters, whose weights, gradients and AdamW moments \(\d+ GiB\) exceed this machine's memory/],
    [['--heads', '3'], /--heads 3 must divide --d-model 128/],
    [['--truncation', 'middle'], /--truncation middle: expected keep-start or keep-end or drop$/],
  ];
  for (const [args, error] of cases) {
    await assert.rejects(sftCommand.run(['--data', data, '--out', out, '--quiet', ...args]), error, args.join(' '));
    assert.equal(existsSync(out), false, `${args.join(' ')} left ${out} behind`);
  }
});
