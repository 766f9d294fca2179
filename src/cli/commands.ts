// The table of subcommands, in the order `alignkit --help` lists them.
import type { Command } from './commands-type.js';
import { evalCommand } from './eval-command.js';
import { generateCommand } from './generate-command.js';
import { sftCommand } from './sft-command.js';
import { trainTokenizerCommand } from './train-tokenizer-command.js';

export type { Command } from './commands-type.js';

export const commands: Command[] = [trainTokenizerCommand, sftCommand, generateCommand, evalCommand];
