// DPO from TypeScript: a policy, preference pairs, a run directory, and the trained policy saved.
import { trainDpo } from 'alignkit/align';
import { Transformer, defaultConfig, saveModelDir } from 'alignkit/model';
import { RunStore } from 'alignkit/runs';
import { ByteTokenizer } from 'alignkit/tokenizer';

const out = process.argv[2] ?? 'runs/dpo-example';

// A fresh tiny policy. With a trained one: const { model: policy, tokenizer } = loadModelDir('runs/sft/model');
const tokenizer = new ByteTokenizer();
const policy = new Transformer(defaultConfig('llama', { vocabSize: tokenizer.vocabSize, dModel: 32, nLayer: 2, nHead: 2, maxSeqLen: 48 }), undefined, 0);

// Preference pairs as TRL writes them: {prompt, chosen, rejected}.
const things = ['film', 'meal', 'book', 'song', 'trip', 'game', 'town', 'day'];
const pairs = things.flatMap((t) => [
  { prompt: `The ${t} was`, chosen: ' lovely.', rejected: ' awful.' },
  { prompt: `My ${t} felt`, chosen: ' great.', rejected: ' bad.' },
]);

// The run store keeps metrics, checkpoints (a killed run resumes) and the final model in <out>/model.
const store = RunStore.open(out, { example: 'dpo' }, { resume: false });
try {
  const result = await trainDpo({
    policy, tokenizer, pairs: pairs.slice(4), eval: pairs.slice(0, 4), store, quiet: true,
    config: { beta: 0.1, steps: 40, batchSize: 8, lr: 3e-3, warmupSteps: 2, saveEvery: 20 },
  });
  store.saveModel((dir) => saveModelDir(dir, policy, { tokenizer }));
  console.log(`DPO: ${result.step} steps, held-out accuracy ${result.eval!.accuracy}, margin ${result.eval!.margin.toFixed(3)}; policy in ${store.modelPath}`);
} finally {
  store.close();
}
