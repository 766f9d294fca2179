// `alignkit rest-em --task file.jsonl --language python` end to end on a tiny model: the numbers
// mean nothing, the verdicts must be right. Each E-step sample's recorded verdict is checked
// against an independent oracle: the recorded program run by a plain python3, HumanEval's way
// (program, tests, check(entry_point): correct when it exits 0) or APPS's (stdout per case).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { tempDir } from '../../src/io/temp-dir.test.js';
import { defaultConfig, saveModelDir, Transformer } from '../../src/model/index.js';
import { ByteTokenizer } from '../../src/tokenizer/index.js';
import { readCodeProblems } from '../../src/data/tasks/code-task.js';
import type { PythonTests } from '../../src/rewards/python/python-verifier.js';
import { pythonRuntime } from '../../src/rewards/python/runtime.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/python-problems.jsonl', import.meta.url));
const rt = await pythonRuntime().catch(() => null);

// The oracle knows nothing of the sandbox: it runs each program as HumanEval's and APPS's own
// harnesses do, with a plain interpreter and a time limit.
const ORACLE = String.raw`
import json, subprocess, sys
lines = lambda s: [l.rstrip() for l in s.replace('\r\n', '\n').rstrip('\n').split('\n')] if s.strip() else []
def run(it):
    if it['code'] is None:
        return False
    try:
        if it['format'] == 'assert':
            program = it['code'] + '\n\n' + it['tests'] + '\n\nif "check" in globals():\n    check(%s)\n' % it['entry']
            return subprocess.run([sys.executable, '-c', program], capture_output=True, timeout=10).returncode == 0
        for given, want in it['cases']:
            r = subprocess.run([sys.executable, '-c', it['code']], input=given.encode(), capture_output=True, timeout=10)
            if r.returncode != 0 or lines(r.stdout.decode(errors='replace')) != lines(want):
                return False
        return True
    except subprocess.TimeoutExpired:
        return False
print(json.dumps([run(it) for it in json.load(sys.stdin)]))
`;

describe('alignkit rest-em --language python', { skip: rt ? false : 'python3 is not available for the Python verifier' }, () => {
  test('runs ReST-EM on a file of Python problems; every recorded verdict agrees with the oracle', () => {
    const dir = tempDir('rest-em-python-'), model = join(dir, 'base'), out = join(dir, 'run');
    const tok = new ByteTokenizer();
    saveModelDir(model, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 8, nHead: 2, nLayer: 1, maxSeqLen: 256 }), undefined, 1), { tokenizer: tok });
    // Every fixture problem trains (the first, degenerate one among them: see the fixture); one
    // problem of its own is the test set.
    const held = join(dir, 'held-out.jsonl');
    writeFileSync(held, `${JSON.stringify({ id: 'py-one', prompt: 'def one():\n', tests: 'def check(candidate):\n    assert candidate() == 1\n', entry_point: 'one' })}\n`);
    const args = ['rest-em', '--task', FIXTURE, '--language', 'python', '--test-data', held, '--task-opts', 'timeoutMs=3000', '--model', model, '--out', out,
      '--iterations', '1', '--samples', '4', '--max-new-tokens', '4', '--validation-problems', '1', '--m-step-max-steps', '1', '--m-step-eval-every', '1',
      '--eval-k', '1', '--train-eval-problems', '1', '--temperature', '1', '--top-k', '0', '--json', '--quiet'];
    const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { iterations: { iteration: number }[] }).iterations.map((x) => x.iteration), [0, 1]);
    assert.equal((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>)['language'], 'python');

    const problems = new Map(readCodeProblems(FIXTURE, 'python').map((p) => [p.id, p]));
    const samples = readFileSync(join(out, 'samples', 'iter1__e-step.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { promptId: string; kept: boolean; verifier: { correct: boolean; extracted: string | null; detail: string } });
    assert.ok(samples.length >= 8, `${samples.length} samples`);
    const items = samples.map((s) => {
      const t = problems.get(s.promptId)!.tests as PythonTests;
      return t.format === 'assert'
        ? { format: 'assert', code: s.verifier.extracted, tests: t.code, entry: t.entryPoint }
        : { format: 'io', code: s.verifier.extracted, cases: t.cases.map((c) => [c.input, c.output]) };
    });
    const oracle = spawnSync(rt!.python, ['-c', ORACLE], { input: JSON.stringify(items), encoding: 'utf8', cwd: tempDir('oracle-'), env: {} });
    assert.equal(oracle.status, 0, oracle.stderr);
    const truth = JSON.parse(oracle.stdout) as boolean[];
    assert.deepEqual(samples.map((s) => s.verifier.correct), truth, 'recorded verdicts against the oracle');
    // Not vacuous: the run has both verdicts, and a kept sample is always a correct one.
    assert.ok(truth.includes(true) && truth.includes(false), JSON.stringify(truth));
    assert.ok(samples.every((s) => !s.kept || s.verifier.correct));
    for (const s of samples) assert.match(s.verifier.detail, /^(pass|fail|error|timeout|memory): .* \[isolation: .*rlimits.*\]$/s);
  });
});
