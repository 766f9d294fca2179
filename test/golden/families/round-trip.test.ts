// LoRA on every family, and the other direction of the golden: what alignkit saves loads in the
// real classes. For each family's golden checkpoint (float32): adapters on every default target
// train for a few AdamW steps and change the logits while every base weight stays bit-identical;
// then the merged save, the base save and the PEFT adapter are read back by
// AutoModelForCausalLM and peft.PeftModel (load_saved.py, with a Python that has them) and must give alignkit's
// logits within 1e-4. Without that Python the comparison is skipped, saying why; the LoRA checks
// always run. Phi-3's PEFT adapter is refused (transformers fuses the projections it adapts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossEntropy, noGrad, Rng, Tensor } from '../../../src/index.js';
import { AdamW } from '../../../src/nn/index.js';
import { createLora, defaultLoraTargets, layoutOf, loadModelDir, saveModelDir, Transformer } from '../../../src/model/index.js';
import { referencePython } from '../../fixtures/reference-python.js';

const DIR = 'test/golden/families';
const TOL = 1e-4;
const fixture = JSON.parse(readFileSync(join(DIR, 'families.json'), 'utf8')) as { ids: { shape: number[]; data: number[] }; cases: { name: string }[] };
const REFUSED = new Set<string>();
const root = mkdtempSync(join(tmpdir(), 'alignkit-families-'));
after(() => rmSync(root, { recursive: true, force: true }));

const [B, T] = fixture.ids.shape as [number, number];
const ids = new Tensor(Int32Array.from(fixture.ids.data), [B, T]);
const targets = new Tensor(Int32Array.from(fixture.ids.data.map((_, i) => (i % T === T - 1 ? -100 : fixture.ids.data[i + 1]!))), [B, T]);
const logitsOf = (m: Transformer): Float32Array => noGrad(() => m.logits(ids).f32.slice());

interface Job { dir?: string; base?: string; adapter?: string }
const jobs: Job[] = [];
const expected: { what: string; logits: Float32Array }[] = [];

for (const c of fixture.cases.filter((c) => !REFUSED.has(c.name))) {
  test(`family ${c.name}: LoRA trains only its adapters, and the saves are written for transformers and peft`, () => {
    const { model } = loadModelDir(join(DIR, 'checkpoints', c.name, 'f32'), { tokenizer: false });
    const before = new Map([...model.params].map(([k, v]) => [k, v.f32.slice()]));
    const base = logitsOf(model);
    model.lora = createLora(model.params, layoutOf(model.config), { rank: 2, alpha: 4, dropout: 0, targets: defaultLoraTargets[model.config.family] }, new Rng(3));
    for (const t of model.params.values()) t.requiresGrad = false;
    const opt = new AdamW([...model.lora.values()].flatMap((a) => [[a.A.name!, a.A], [a.B.name!, a.B]] as [string, Tensor][]), { lr: 1e-2, weightDecay: 0 });
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) {
      opt.zeroGrad();
      const loss = crossEntropy(model.logits(ids, { training: true }), targets);
      losses.push(loss.item());
      loss.backward();
      opt.update();
    }
    assert.ok(losses.at(-1)! < losses[0]!, `${c.name}: LoRA loss did not fall (${losses.join(', ')})`);
    for (const [k, v] of model.params) assert.deepEqual(v.f32, before.get(k), `${c.name}: base weight ${k} changed under LoRA`);
    const adapted = logitsOf(model);
    assert.ok(adapted.some((x, i) => Math.abs(x - base[i]!) > 1e-3), `${c.name}: adapters changed no logit`);

    const dir = join(root, c.name);
    saveModelDir(join(dir, 'merged'), model);
    const plain = model.withoutAdapters().clone(); // the base alone (clone keeps adapters)
    saveModelDir(join(dir, 'base'), plain);
    const back = loadModelDir(join(dir, 'merged'), { tokenizer: false }).model;
    assert.deepEqual(back.config, model.config, `${c.name}: config.json written and read back`);
    const reread = logitsOf(back);
    assert.ok(reread.every((x, i) => Math.abs(x - adapted[i]!) <= TOL), `${c.name}: the merged save read back by alignkit gives other logits`);
    jobs.push({ dir: join(dir, 'merged') }, { dir: join(dir, 'base') });
    expected.push({ what: `${c.name} merged`, logits: adapted }, { what: `${c.name} base`, logits: base });
    if (model.config.modelType === 'phi3') {
      assert.throws(() => saveModelDir(join(dir, 'peft'), model, { adapters: 'peft' }), /phi3 fuses q\/k\/v and gate\/up .* save with adapters: 'merge'/);
      return;
    }
    saveModelDir(join(dir, 'peft'), model, { adapters: 'peft' });
    jobs.push({ base: join(dir, 'base'), adapter: join(dir, 'peft') });
    expected.push({ what: `${c.name} PEFT adapter`, logits: adapted });
  });
}

test('what alignkit saved loads in AutoModelForCausalLM and peft.PeftModel with its logits', (t) => {
  const PYTHON = referencePython();
  if (!PYTHON) { t.skip('no Python with transformers and peft (set ALIGNKIT_PYTHON): the saves are checked in alignkit only'); return; }
  const rows = Array.from({ length: B }, (_, b) => fixture.ids.data.slice(b * T, (b + 1) * T));
  const r = spawnSync(PYTHON, [join(DIR, 'load_saved.py')], { input: JSON.stringify({ ids: rows, jobs }), encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `load_saved.py failed: ${r.stderr.slice(-2000)}`);
  const got = (JSON.parse(r.stdout) as { logits: number[][] }).logits;
  assert.equal(got.length, expected.length);
  expected.forEach((e, i) => {
    let worst = 0;
    for (let j = 0; j < e.logits.length; j++) worst = Math.max(worst, Math.abs(e.logits[j]! - got[i]![j]!));
    t.diagnostic(`${e.what}: max |logit diff| ${worst.toExponential(1)}`);
    assert.ok(worst <= TOL, `${e.what}: transformers' logits differ from alignkit's by up to ${worst}`);
  });
});
