// What an SFT checkpoint holds beyond trainer/checkpoint.ts's weights, AdamW moments and data
// position: the dropout generator's state and the token count, so that a resumed run draws the
// same dropout masks and reports the same counts as one that never stopped; and whether an
// `afterStep` hook stopped the run early (a resume then trains no further).
import { join } from 'node:path';
import { readJson } from '../../io/checkpoint.js';
import type { Transformer } from '../../model/index.js';
import type { AdamW } from '../../nn/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { readTrainerCheckpoint, TRAINER_STATE_FILE, writeTrainerCheckpoint, type TrainerState } from '../trainer/checkpoint.js';

export interface SftState extends TrainerState {
  /** Rng.state() of the dropout generator. */
  rng: number[];
  /** Tokens (padding included) fed to the model so far. */
  tokens: number;
  /** True when afterStep returned 'stop' at `step`. */
  stopped: boolean;
}

export function writeSftCheckpoint(dir: string, model: Transformer, tokenizer: Tokenizer, opt: AdamW, state: SftState): void {
  writeTrainerCheckpoint(dir, model, tokenizer, opt, state);
}

/** Copies the checkpoint's weights into `model` and moments into `opt`; returns the whole state. */
export function readSftCheckpoint(dir: string, model: Transformer, opt: AdamW): SftState {
  const base = readTrainerCheckpoint(dir, model, opt);
  const file = join(dir, TRAINER_STATE_FILE);
  const s = readJson(file, 'trainer state') as Partial<SftState>;
  if (!Array.isArray(s.rng) || !Number.isInteger(s.tokens)) {
    throw new Error(`${file}: expected the dropout generator's "rng" state and an integer "tokens", got ${JSON.stringify(s)}; it is not an SFT checkpoint`);
  }
  return { ...base, rng: s.rng, tokens: s.tokens!, stopped: s.stopped === true };
}
