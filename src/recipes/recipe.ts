// A recipe is a demonstration as a library call: its options are declared (config/), `run`
// returns the figures, and `json` / `format` say how they are shown. `alignkit demo <name>` is one
// dispatcher over the recipes of index.ts.
import { rmSync } from 'node:fs';
import { bool, int, optionalText, type ConfigDecl, type Options, type ValuesOf } from '../config/index.js';

export interface RecipeHooks {
  /** One line per finished stage (the CLI prints them to stderr). */
  log: (line: string) => void;
}

export interface Recipe<O extends Options = Options, R = unknown> {
  name: string;
  summary: string;
  options: ConfigDecl<O>;
  examples: string[];
  run(values: ValuesOf<O>, hooks: RecipeHooks): Promise<R>;
  /** What `--json` prints. */
  json(result: R): unknown;
  /** The tables a person reads. */
  format(result: R): string;
}

/** Options every recipe takes; `out` defaults to runs/demo-<name>-seed<seed>. */
export function recipeOptions(seedHelp: string) {
  return {
    seed: int(0, seedHelp, { min: 0 }),
    out: optionalText('run directory (samples, metrics, checkpoints); default runs/demo-<name>-seed<seed>, started afresh', { aliases: ['output_dir'] }),
    resume: bool(false, 'continue a killed demo in --out from its last completed stage'),
    tiny: bool(false, 'a seconds-long run with tiny sizes (a smoke test: the numbers mean nothing)'),
    json: bool(false, 'print the results as one JSON object on stdout'),
    quiet: bool(false, 'no progress display'),
  };
}

/**
 * The run directory: `out` as given, or the default one, which a fresh (not resumed) run clears
 * first so that the demo can be rerun without thinking. A directory the user named is never removed.
 */
export function recipeRunDir(o: { out?: string | undefined; resume: boolean }, defaultOut: string): string {
  if (o.out !== undefined) return o.out;
  if (!o.resume) rmSync(defaultOut, { recursive: true, force: true });
  return defaultOut;
}

export function defineRecipe<O extends Options, R>(r: Recipe<O, R>): Recipe<O, R> {
  return r;
}
