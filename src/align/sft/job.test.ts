// runSftJob on the inputs issue 16 found wanting: pairs longer than --seq-len (counted, and
// handled as --truncation says), a plain .txt corpus, and a single 10 MB record.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { isGradEnabled } from '../../autograd/index.js';
import { Transformer } from '../../model/index.js';
import { runSftJob } from './job.js';

const root = tempDir('alignkit-sft-job-');
const fresh = { dModel: 16, layers: 1, heads: 2, batchSize: 4, steps: 2, quiet: true } as const;

// 20 pairs; every fourth has a prompt of 40 characters, longer than a window of 24 tokens.
const pairs = join(root, 'pairs.jsonl');
writeFileSync(pairs, Array.from({ length: 20 }, (_, i) => JSON.stringify({
  prompt: i % 4 === 0 ? `${'long question '.repeat(3).slice(0, 40)}${i}?` : `q${i}?`, completion: ` answer ${i}`,
})).join('\n') + '\n');

test('sft counts the pairs --seq-len cuts, drops those that lost their whole completion, and says so', async () => {
  const lines: string[] = [];
  const r = await runSftJob({ ...fresh, data: pairs, seqLen: 24, out: join(root, 'keep-start') }, { log: (s) => lines.push(s) });
  const t = r.truncation!;
  assert.equal(t.train.examples + t.eval.examples, 20);
  assert.equal(t.train.cut + t.eval.cut, 5, 'the five long prompts');
  assert.equal(t.train.noCompletion + t.eval.noCompletion, 5, 'keep-start keeps 24 tokens of a 42-token prompt: no completion left');
  assert.equal(r.trainExamples, t.train.examples - t.train.dropped, 'dropped, not trained on');
  assert.ok(lines.some((l) => new RegExp(`training set: ${t.train.cut} of ${t.train.examples} examples were longer than --seq-len 24 \\(--truncation keep-start: their end cut\\); ${t.train.noCompletion} lost the whole completion`).test(l)), lines.join('\n'));
  assert.equal((JSON.parse(readFileSync(join(root, 'keep-start', 'config.json'), 'utf8')) as Record<string, unknown>)['truncation'], 'keep-start');
});

test('--truncation keep-end keeps every pair (the prompt loses its start); drop leaves out every cut pair', async () => {
  const end = await runSftJob({ ...fresh, data: pairs, seqLen: 24, truncation: 'keep-end', out: join(root, 'keep-end') });
  assert.equal(end.truncation!.train.dropped, 0);
  assert.equal(end.trainExamples, end.truncation!.train.examples);
  const drop = await runSftJob({ ...fresh, data: pairs, seqLen: 24, truncation: 'drop', out: join(root, 'drop') });
  assert.equal(drop.truncation!.train.dropped, drop.truncation!.train.cut);
  assert.equal(drop.trainExamples, end.trainExamples - drop.truncation!.train.cut);
});

test('when truncation leaves nothing to train on, the error says what happened and what to change, and nothing is written', async () => {
  const out = join(root, 'nothing');
  await assert.rejects(runSftJob({ ...fresh, data: pairs, seqLen: 2, out }),
    /no training example left: \d+ of \d+ examples were longer than --seq-len 2 .*lost the whole completion.*raise --seq-len or give --truncation keep-end/);
  assert.equal(existsSync(out), false);
});

test('a plain .txt file is a corpus: its paragraphs are the documents', async () => {
  const txt = join(root, 'story.txt');
  writeFileSync(txt, Array.from({ length: 40 }, (_, i) => `Paragraph ${i} begins here,\nand it goes on a little.`).join('\n\n') + '\n');
  const r = await runSftJob({ ...fresh, data: txt, seqLen: 16, out: join(root, 'txt') });
  assert.equal(r.step, 2);
  assert.equal(r.truncation, null, 'text is cut into windows, never truncated');
  // 40 paragraphs of 2,030 bytes with their EOS, in windows of 16: about 126, two held-out paragraphs among them.
  assert.ok(r.trainExamples + r.evalExamples >= 120 && r.trainExamples + r.evalExamples <= 126, `${r.trainExamples} + ${r.evalExamples} windows`);
  assert.ok(r.evalExamples >= 4, 'two paragraphs held out');
});

test('a single 10 MB record trains (it crashed with "Maximum call stack size exceeded")', async () => {
  const big = join(root, 'big.jsonl');
  const small = Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `a short record, number ${i}` }));
  writeFileSync(big, [JSON.stringify({ text: 'the whale and the sea. '.repeat(460_000) }), ...small].join('\n') + '\n');
  const r = await runSftJob({ ...fresh, data: big, seqLen: 256, steps: 1, evalExamples: 2, out: join(root, 'big') });
  assert.equal(r.step, 1);
  assert.ok(r.trainExamples + r.evalExamples >= Math.floor(460_000 * 23 / 256), `${r.trainExamples} + ${r.evalExamples} windows`);
});

test('--gradient-checkpointing reaches the model and trains the same weights, bit for bit (full SFT and LoRA with dropout)', async () => {
  const seen: boolean[] = [];
  const hidden = Transformer.prototype.hidden;
  Transformer.prototype.hidden = function (this: Transformer, ...args: Parameters<typeof hidden>) {
    if (isGradEnabled()) seen.push(this.gradientCheckpointing);
    return hidden.apply(this, args);
  };
  try {
    for (const [name, extra] of [['full', {}], ['lora', { family: 'llama', loraR: 4, loraDropout: 0.2 }]] as const) {
      const saved: Map<string, Buffer>[] = [];
      for (const gradientCheckpointing of [false, true]) {
        seen.length = 0;
        const out = join(root, `ckpt-${name}-${gradientCheckpointing}`);
        const r = await runSftJob({ ...fresh, ...extra, layers: 2, steps: 3, data: pairs, seqLen: 24, gradientCheckpointing, out });
        assert.ok(seen.length >= 3 && seen.every((s) => s === gradientCheckpointing), `${name}: the training forwards ran with the switch ${gradientCheckpointing}`);
        // The tensors (adapter_config.json names its own directory, which differs).
        saved.push(new Map(readdirSync(r.model).filter((f) => f.endsWith('.safetensors')).map((f) => [f, readFileSync(join(r.model, f))])));
      }
      assert.ok(saved[0]!.size > 0);
      for (const [f, bytes] of saved[0]!) assert.ok(bytes.equals(saved[1]!.get(f)!), `${name}: ${f} differs with --gradient-checkpointing`);
    }
  } finally {
    Transformer.prototype.hidden = hidden;
  }
});
