// The table of subcommands, in the order `alignkit --help` lists them.
import type { Command } from './commands-type.js';
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { dpoCommand } from './commands/dpo.js';
import { evalCommand } from './commands/eval.js';
import { generateCommand } from './commands/generate.js';
import { grpoCommand } from './commands/grpo.js';
import { ppoCommand } from './commands/ppo.js';
import { rewardCommand } from './commands/reward.js';
import { restEmCommand } from './commands/rest-em.js';
import { restCommand } from './commands/rest.js';
import { rlooCommand } from './commands/rloo.js';
import { serCommand } from './commands/ser.js';
import { sftCommand } from './commands/sft.js';
import { trainTokenizerCommand } from './commands/train-tokenizer.js';

export type { Command } from './commands-type.js';

export const commands: Command[] = [demoCommand, trainTokenizerCommand, sftCommand, rewardCommand, dpoCommand, ppoCommand, grpoCommand, rlooCommand, generateCommand, evalCommand, restEmCommand, restCommand, serCommand, benchCommand];
