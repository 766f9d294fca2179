// Reward models in the Hub's layout (issue 18, point 5), both directions.
// From transformers: the tiny *ForSequenceClassification checkpoints make_reward_models.py saved
// (Llama tied and untied, Qwen2, Qwen3, Gemma 2, GPT-2; norms randomised) load in alignkit and
// score each row within 1e-4 of what transformers recorded.
// To transformers: a reward model alignkit saves names the family's *ForSequenceClassification
// with one label, holds score.weight alone, keeps a normalised model's bias in config.json
// (alignkit.score_bias) and, when the tokenizer pads with EOS, a pad_token_id that is not EOS.
// With a Python that has transformers (ALIGNKIT_PYTHON, else python3) it is loaded by
// AutoModelForSequenceClassification.from_pretrained(dir), nothing else, and its scores are
// alignkit's minus that bias within 1e-4; skipped, saying why, without one.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '../../../src/index.js';
import { readSafetensors } from '../../../src/io/safetensors.js';
import { addScalarHead, defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../../src/model/index.js';
import { applyRewardNormalization, sequenceRewards } from '../../../src/align/index.js';
import { ByteTokenizer } from '../../../src/tokenizer/index.js';
import { referencePython } from '../../fixtures/reference-python.js';

const DIR = 'test/golden/reward-models';
const TOL = 1e-4;
const fixture = JSON.parse(readFileSync(join(DIR, 'reward-models.json'), 'utf8')) as { pad: number; ids: number[][]; cases: { name: string; architecture: string; scores: number[] }[] };
const root = mkdtempSync(join(tmpdir(), 'alignkit-rm-layout-'));
after(() => rmSync(root, { recursive: true, force: true }));

const scores = (m: Transformer, rows: readonly (readonly number[])[], pad: number): number[] => noGrad(() => sequenceRewards(m, rows, pad).toArray());
const worst = (a: readonly number[], b: readonly number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

for (const c of fixture.cases) {
  test(`${c.architecture} (${c.name}) made by transformers loads in alignkit with transformers' scores`, () => {
    const m = loadModelDir(join(DIR, 'checkpoints', c.name)).model;
    assert.ok(m.params.has('score.weight'));
    assert.deepEqual(m.p('score.bias').toArray(), [0], 'HF\'s score has no bias: zero');
    const got = scores(m, fixture.ids, fixture.pad);
    assert.ok(worst(got, c.scores) < TOL, `${c.name}: alignkit ${got.join(', ')} vs transformers ${c.scores.join(', ')}`);
  });
}

/** A tiny alignkit reward model of `family`, normalised (so its head has a bias), saved in `dir`. */
function alignkitRm(family: 'llama' | 'gpt2', dir: string, padIsEos: boolean): { model: Transformer; bias: number } {
  const tok = new ByteTokenizer();
  const m = new Transformer(defaultConfig(family, { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 2, maxSeqLen: 32 }), undefined, 7);
  addScalarHead(m);
  applyRewardNormalization(m, { mean: 0.3, std: 0.5 });
  saveModelDir(dir, m, { tokenizer: tok, ...(padIsEos ? { generation: { pad: tok.eos } } : {}) });
  return { model: m, bias: m.p('score.bias').f32[0]! };
}

const ROWS = [[72, 105, 33, 257], [119, 111, 119, 257]]; // "Hi!" and "wow", each ending with EOS as alignkit scores them

test('alignkit saves a reward model as *ForSequenceClassification: one label, score.weight alone, the bias in config.json, a pad that is not EOS', () => {
  for (const [family, arch] of [['llama', 'LlamaForSequenceClassification'], ['gpt2', 'GPT2ForSequenceClassification']] as const) {
    const dir = join(root, `${family}-rm`);
    const { model, bias } = alignkitRm(family, dir, true);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(cfg['architectures'], [arch]);
    assert.deepEqual([cfg['id2label'], cfg['label2id']], [{ 0: 'LABEL_0' }, { LABEL_0: 0 }]);
    assert.equal(cfg['pad_token_id'], 256, 'the tokenizer pads with EOS (257): config.json names BOS, which ends no scored row');
    assert.equal((cfg['alignkit'] as { score_bias: number }).score_bias, bias);
    assert.ok(bias !== 0);
    const names = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
    assert.ok(names.includes('score.weight') && !names.includes('score.bias'));
    // And back in alignkit: the bias returns from config.json, every score as before, bit for bit.
    const back = loadModelDir(dir).model;
    assert.deepEqual(scores(back, ROWS, 258), scores(model, ROWS, 258));
  }
  const own = join(root, 'own-pad');
  alignkitRm('llama', own, false);
  assert.equal((JSON.parse(readFileSync(join(own, 'config.json'), 'utf8')) as Record<string, unknown>)['pad_token_id'], 258, 'a pad of its own is kept');
});

test('AutoModelForSequenceClassification.from_pretrained(dir) reads alignkit\'s reward model: alignkit\'s scores minus config.json\'s score_bias', (t) => {
  const PYTHON = referencePython(['transformers']);
  if (!PYTHON) { t.skip('no Python with transformers (set ALIGNKIT_PYTHON): the layout is checked in alignkit only'); return; }
  const made = (['llama', 'gpt2'] as const).map((f) => ({ f, dir: join(root, `${f}-py`), ...alignkitRm(f, join(root, `${f}-py`), true) }));
  const r = spawnSync(PYTHON, [join(DIR, 'score_saved.py')], { input: JSON.stringify({ jobs: made.map((x) => ({ dir: x.dir, ids: ROWS })) }), encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { scores: number[][]; architectures: string[] };
  assert.deepEqual(out.architectures, ['LlamaForSequenceClassification', 'GPT2ForSequenceClassification']);
  made.forEach((x, i) => {
    const want = scores(x.model, ROWS, 258).map((s) => s - x.bias);
    assert.ok(worst(out.scores[i]!, want) < TOL, `${x.f}: transformers ${out.scores[i]!.join(', ')} vs alignkit − bias ${want.join(', ')}`);
  });
});
