// What a training command reads before it starts: a model directory with its tokenizer, and
// preference pairs split into training and held-out sets. Errors name the flag that gave the path.
import type { HubOptions } from '../../hub/index.js';
import { loadModelDir, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { splitDataset } from '../../data/split-dataset.js';
import { loadPreferencePairs, type ChatRendering, type PreferencePair } from './preference-data.js';

/** A model directory with its tokenizer, or a usage error saying what is missing. */
export function loadWithTokenizer(dir: string, flagName: string): { model: Transformer; tokenizer: Tokenizer } {
  const { model, tokenizer } = loadModelDir(dir);
  if (!tokenizer) throw new Error(`--${flagName} ${dir}: no tokenizer.json (nor vocab.json + merges.txt); the model directory needs its tokenizer to encode the text`);
  return { model, tokenizer };
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
