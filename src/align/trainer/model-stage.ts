// A stage whose product is a model: trained once and kept as a run-store checkpoint, loaded from
// that checkpoint when a resumed run finds the stage done.
import { loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import type { RunStore, StageScope } from '../../runs/run-store.js';
import type { Tokenizer } from '../../tokenizer/index.js';

export interface TrainedModel<R> {
  model: Transformer;
  /** What the stage records as its result. */
  result: R;
}

/** Runs `train` in stage `stage` and saves its model as checkpoint `checkpoint`, or reloads that checkpoint. */
export async function modelStage<R>(store: RunStore, stage: string, checkpoint: string, tokenizer: Tokenizer,
  train: (scope: StageScope) => Promise<TrainedModel<R>>): Promise<TrainedModel<R>> {
  let trained: Transformer | null = null;
  const result = await store.stage(stage, async (scope) => {
    const t = await train(scope);
    trained = t.model;
    store.saveCheckpoint(checkpoint, (d) => saveModelDir(d, t.model, { tokenizer }));
    return t.result;
  });
  return { model: trained ?? loadModelDir(store.checkpointPath(checkpoint), { tokenizer: false }).model, result };
}
