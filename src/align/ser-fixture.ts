// A tiny SER run for the kill test: sentiment-word pairs on a tiny model. Run as a script
// (argv: run dir, "resume"?) it prints "LOOP <k>" after each recorded loop, so a test can SIGKILL
// it while the next loop is selecting or retraining, and prints the loops as JSON when it ends.
import { fileURLToPath } from 'node:url';
import { defaultConfig, Transformer } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import { ByteTokenizer } from '../tokenizer/index.js';
import type { PreferencePair } from './reward-model-data.js';
import { runSer, serSplit, type SerConfig, type SerResult } from './ser.js';

export const serFixtureTokenizer = new ByteTokenizer();
export const serFixtureModel = (): Transformer =>
  new Transformer(defaultConfig('gpt2', { vocabSize: serFixtureTokenizer.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 40 }), undefined, 3);

const POS = ['good', 'great', 'nice', 'kind', 'fine'], NEG = ['bad', 'awful', 'poor', 'sad', 'vile'];
const SUBJECTS = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game'];
export const serFixturePairs: PreferencePair[] = SUBJECTS.flatMap((s, i) => POS.map((p, j) => ({ prompt: `${s}:`, chosen: ` a ${p} ${s}`, rejected: ` a ${NEG[(i + j) % NEG.length]} ${s}` })));
export const serFixtureTest = serFixturePairs.filter((p) => p.prompt.startsWith('game'));
export const serFixtureData = serSplit(serFixturePairs.filter((p) => !p.prompt.startsWith('game')), 0.3, 1);
export const serFixtureConfig: Partial<SerConfig> = {
  maxLoops: 3, minPairs: 2, maxPerLoop: 4, retrain: 'continue', policyStep: 'none',
  rm: { steps: 40, batchSize: 8, lr: 1e-2, warmupSteps: 0, seed: 1 },
};

export async function runSerFixture(dir: string | null, resume: boolean, onLoop?: (k: number) => void): Promise<SerResult> {
  const store = dir === null ? undefined : RunStore.open(dir, { fixture: 'ser', ...serFixtureConfig } as Record<string, unknown>, { resume });
  try {
    return await runSer({
      model: serFixtureModel(), tokenizer: serFixtureTokenizer, ...serFixtureData, test: serFixtureTest, config: serFixtureConfig, ...(store ? { store } : {}),
      onLoop: (r) => onLoop?.(r.loop),
    });
  } finally {
    store?.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const res = await runSerFixture(process.argv[2]!, process.argv[3] === 'resume', (k) => process.stdout.write(`LOOP ${k}\n`));
  process.stdout.write(`${JSON.stringify(res.loops)}\n`);
}
