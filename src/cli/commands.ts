// The table of subcommands, in the order `alignkit --help` lists them.
import type { Command } from './commands-type.js';
import { benchCommand } from './commands/tools/bench.js';
import { demoCommand } from './commands/tools/demo.js';
import { cpoCommand } from './commands/preference/cpo.js';
import { dpoCommand } from './commands/preference/dpo.js';
import { ktoCommand } from './commands/preference/kto.js';
import { orpoCommand } from './commands/preference/orpo.js';
import { simpoCommand } from './commands/preference/simpo.js';
import { evalCommand } from './commands/tools/eval.js';
import { exportDataCommand } from './commands/tools/export-data.js';
import { exportCommand } from './commands/tools/export.js';
import { generateCommand } from './commands/tools/generate.js';
import { mergeCommand } from './commands/tools/merge.js';
import { grpoCommand } from './commands/online/grpo.js';
import { onlineDpoCommand } from './commands/online/online-dpo.js';
import { ppoCommand } from './commands/online/ppo.js';
import { reinforcePpCommand } from './commands/online/reinforce-pp.js';
import { rewardCommand } from './commands/train/reward.js';
import { restEmCommand } from './commands/train/rest-em.js';
import { restCommand } from './commands/train/rest.js';
import { dashboardCommand } from './commands/inspect/dashboard.js';
import { serveCommand } from './commands/tools/serve.js';
import { runsListCommand, runsShowCommand } from './commands/inspect/runs.js';
import { rlooCommand } from './commands/online/rloo.js';
import { serCommand } from './commands/train/ser.js';
import { sftCommand } from './commands/train/sft.js';
import { trainTokenizerCommand } from './commands/tools/train-tokenizer.js';

export type { Command } from './commands-type.js';

export const commands: Command[] = [demoCommand, trainTokenizerCommand, sftCommand, rewardCommand, dpoCommand, ktoCommand, orpoCommand, cpoCommand, simpoCommand, onlineDpoCommand, ppoCommand, grpoCommand, rlooCommand, reinforcePpCommand, generateCommand, mergeCommand, evalCommand, exportCommand, restEmCommand, restCommand, serCommand, exportDataCommand, benchCommand, runsListCommand, runsShowCommand, dashboardCommand, serveCommand];
