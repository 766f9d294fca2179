// What a training command reads before it starts: a model directory with its tokenizer, and
// preference pairs split into training and held-out sets. Errors name the flag that gave the path.
import type { HubOptions } from '../../hub/index.js';
import { loadModelDir, type FrozenDtype, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { splitDataset } from '../../data/split-dataset.js';
import { loadDataset } from '../../data/datasets/load-dataset.js';
import { loadPreferencePairs, unpairedFromDataset, type ChatRendering, type PreferencePair, type UnpairedExample } from './preference-data.js';

/** A model directory with its tokenizer, or a usage error saying what is missing. */
export function loadWithTokenizer(dir: string, flagName: string, frozenDtype?: FrozenDtype): { model: Transformer; tokenizer: Tokenizer } {
  const { model, tokenizer } = loadModelDir(dir, { frozenDtype });
  if (!tokenizer) throw new Error(`--${flagName} ${dir}: no tokenizer.json (nor vocab.json + merges.txt); the model directory needs its tokenizer to encode the text`);
  return { model, tokenizer };
}

/**
 * The frozen reference given by --reference, which must share the policy's vocabulary; undefined
 * without one. Its matrices stay 16-bit when the checkpoint's are (--frozen-dtype keep, issue 18).
 */
export function loadReference(dir: string | undefined, policy: Transformer, frozenDtype: FrozenDtype = 'keep'): Transformer | undefined {
  if (!dir) return undefined;
  const reference = loadWithTokenizer(dir, 'reference', frozenDtype).model;
  if (reference.config.vocabSize !== policy.config.vocabSize) {
    throw new Error(`--reference ${dir}: vocabulary of ${reference.config.vocabSize} ids, but --model has ${policy.config.vocabSize}; the two must share a tokenizer`);
  }
  return reference;
}

/** Training and held-out pairs from --data and --eval-data or --eval-fraction (files or Hub datasets, fetched with `hub`); `chat` renders conversational records. */
export async function readPreferenceSplit(
  data: string, evalData: string | undefined, evalFraction: number, seed: number, chat?: ChatRendering, hub: HubOptions = {},
): Promise<{ train: PreferencePair[]; eval: PreferencePair[] }> {
  if (!(evalFraction >= 0 && evalFraction < 1)) throw new Error(`--eval-fraction ${evalFraction}: expected a number in [0, 1)`);
  const pairs = await loadPreferencePairs(data, chat, hub);
  if (evalData) return { train: pairs, eval: await loadPreferencePairs(evalData, chat, hub) };
  return splitDataset(pairs, { evalFraction, seed });
}

/**
 * Training and held-out unpaired examples (KTO) from --data and --eval-data or --eval-fraction; a
 * pair file is split by pairs before it is unpaired, so that a pair's two halves stay together.
 */
export async function readUnpairedSplit(
  data: string, evalData: string | undefined, evalFraction: number, seed: number, hub: HubOptions = {},
): Promise<{ train: UnpairedExample[]; eval: UnpairedExample[] }> {
  if (!(evalFraction >= 0 && evalFraction < 1)) throw new Error(`--eval-fraction ${evalFraction}: expected a number in [0, 1)`);
  const ds = await loadDataset(data, { hub });
  const all = unpairedFromDataset(ds);
  if (evalData) return { train: all, eval: unpairedFromDataset(await loadDataset(evalData, { hub })) };
  const per = ds.format === 'preference' ? 2 : 1;
  const groups = Array.from({ length: all.length / per }, (_, i) => all.slice(i * per, (i + 1) * per));
  const s = splitDataset(groups, { evalFraction, seed });
  return { train: s.train.flat(), eval: s.eval.flat() };
}
