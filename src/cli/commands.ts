// The table of subcommands, in the order `alignkit --help` lists them.
import type { Command } from './commands-type.js';
import { benchCommand } from './bench-command.js';
import { demoCommand } from './demo-command.js';
import { dpoCommand } from './dpo-command.js';
import { evalCommand } from './eval-command.js';
import { generateCommand } from './generate-command.js';
import { grpoCommand } from './grpo-command.js';
import { ppoCommand } from './ppo-command.js';
import { rewardCommand } from './reward-command.js';
import { restEmCommand } from './rest-em-command.js';
import { restCommand } from './rest-command.js';
import { rlooCommand } from './rloo-command.js';
import { serCommand } from './ser-command.js';
import { sftCommand } from './sft-command.js';
import { trainTokenizerCommand } from './train-tokenizer-command.js';

export type { Command } from './commands-type.js';

export const commands: Command[] = [demoCommand, trainTokenizerCommand, sftCommand, rewardCommand, dpoCommand, ppoCommand, grpoCommand, rlooCommand, generateCommand, evalCommand, restEmCommand, restCommand, serCommand, benchCommand];
