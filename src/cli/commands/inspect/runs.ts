// `alignkit runs list [DIR]` and `alignkit runs show RUN`: the runs under a directory with their
// status, and one run's summary and last metrics, in the terminal (issue 21).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { bool, declareConfig, requiredText, text } from '../../../config/index.js';
import { entryOf, listRuns } from '../../../dashboard/run-index.js';
import { runShowText, runsListText } from '../../../dashboard/terminal-views.js';
import { readRunStatus } from '../../../runs/run-status.js';
import { defineCommand } from '../../command.js';
import { UsageError } from '../../flags.js';
import { withPositionals } from '../../positional.js';

export const runsListCommand = withPositionals(defineCommand({
  name: 'runs list',
  summary: 'the runs under a directory: command, status, start, duration, last metrics',
  options: declareConfig('runs list', {
    dir: text('runs', 'the directory to look in (also the first argument); runs are found up to 3 levels down'),
    json: bool(false, 'print a JSON array'),
  }),
  examples: ['alignkit runs list', 'alignkit runs list runs/ --json'],
  async run({ dir, json }) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`runs list ${dir}: no such directory`);
    const runs = listRuns(dir);
    console.log(json ? JSON.stringify(runs) : runsListText(dir, runs));
    return 0;
  },
}), ['dir']);

export const runsShowCommand = withPositionals(defineCommand({
  name: 'runs show',
  summary: 'one run: status, config, completed stages, samples, last metrics',
  options: declareConfig('runs show', {
    run: requiredText('the run directory (the first argument)', 'which run to show'),
    json: bool(false, 'print a JSON object'),
  }),
  examples: ['alignkit runs show runs/rest', 'alignkit runs show runs/rest-em --json'],
  async run({ run, json }) {
    if (!existsSync(run) || !statSync(run).isDirectory()) throw new UsageError(`runs show ${run}: no such directory`);
    const status = readRunStatus(run);
    if (status.config === null && status.stages.length === 0 && status.metrics.length === 0) throw new UsageError(`runs show ${run}: not a run directory (no config.json, state.json or metrics.jsonl)`);
    const e = entryOf(resolve(run, '..'), resolve(run), status);
    console.log(json ? JSON.stringify({ ...e, config: status.config, stages: status.stages }) : runShowText(e, status.config));
    return 0;
  },
}), ['run']);
