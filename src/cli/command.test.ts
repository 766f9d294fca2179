// The command layer generated from a declaration: flags and their aliases, --config files in JSON
// and YAML, precedence, --print-config, switches turned off, exclusive options, and errors that
// name the flag or the file.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ConfigError, bool, choice, declareConfig, int, num, requiredText } from '../config/index.js';
import { tempDir } from '../io/temp-dir.test.js';
import { configTemplate, defineCommand, helpText } from './command.js';

const decl = declareConfig('toy', {
  model: requiredText('model directory', 'the model to train'),
  learningRate: num(1e-3, 'peak learning rate', { min: 0, aliases: ['lr'] }),
  steps: int(10, 'optimizer steps', { min: 1, aliases: ['max_steps'] }),
  epochs: num(0, 'passes over the data', { min: 0, aliases: ['num_train_epochs'], excludes: 'steps' }),
  loss: choice(['sigmoid', 'ipo', 'hinge', 'robust'] as const, 'sigmoid', 'loss type'),
  whiten: bool(true, 'whiten advantages'),
}, (c) => {
  if (c.loss === 'ipo' && c.learningRate > 0.1) throw new ConfigError('toy config: loss ipo needs learningRate ≤ 0.1', 'learningRate');
});
const cmd = defineCommand({ name: 'toy', summary: 'a toy', options: decl, async run() { return 0; } });
const values = (argv: string[]) => cmd.resolve(argv)!.values;
const dir = tempDir('command-');

test('flags come from the keys in kebab case, aliases (TRL names) answer too, and values take the option type', () => {
  assert.deepEqual(values(['--model', 'm', '--learning-rate', '0.01', '--max_steps', '5', '--loss', 'ipo']),
    { model: 'm', learningRate: 0.01, steps: 5, epochs: 0, loss: 'ipo', whiten: true });
  assert.equal(values(['--model', 'm', '--lr', '2e-3']).learningRate, 2e-3);
  assert.equal(values(['--model', 'm', '--no-whiten']).whiten, false, 'a switch on by default is turned off with --no-<flag>');
  assert.deepEqual([...cmd.resolve(['--model', 'm', '--lr', '1'])!.given].sort(), ['learningRate', 'model']);
});

test('bad flags are named with their value and what was expected', () => {
  const fails = (argv: string[], re: RegExp) => assert.throws(() => cmd.resolve(argv), re);
  fails(['--lr', '1'], /--model is required: the model to train/);
  fails(['--model', 'm', '--loss', 'kto'], /--loss kto: expected one of sigmoid, ipo, hinge, robust/);
  fails(['--model', 'm', '--steps', '2.5'], /--steps 2\.5: expected a positive integer/);
  fails(['--model', 'm', '--lr', 'fast'], /--lr fast: expected a finite number ≥ 0/);
  fails(['--model', 'm', '--steps', '3', '--epochs', '2'], /give --epochs or --steps, not both/);
  fails(['--model', 'm', '--lr', '1', '--learning-rate', '2'], /--lr and --learning-rate set the same option/);
  fails(['--model', 'm', '--loss', 'ipo', '--lr', '0.5'], /loss ipo needs --learning-rate ≤ 0\.1/);
  fails(['--model', 'm', '--colour', 'red'], /Unknown option '--colour'/);
});

test('--config reads YAML or JSON by any of an option\'s names; flags override the file', () => {
  const yaml = join(dir, 'run.yaml'), json = join(dir, 'run.json');
  writeFileSync(yaml, 'model: runs/sft\nlearning_rate: 5e-4\nmax-steps: 7\nloss: hinge\nwhiten: false\n');
  writeFileSync(json, JSON.stringify({ model: 'a', learningRate: 0.002 }));
  assert.deepEqual(values(['--config', yaml]), { model: 'runs/sft', learningRate: 5e-4, steps: 7, epochs: 0, loss: 'hinge', whiten: false });
  assert.equal(values(['--config', yaml, '--steps', '9']).steps, 9);
  assert.equal(values(['--config', json]).learningRate, 0.002);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'model: m\nstep: 3\n');
  assert.throws(() => cmd.resolve(['--config', bad]), new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: unknown option "step"; known: model, learning-rate, steps`));
  writeFileSync(bad, 'model: m\nsteps: many\n');
  assert.throws(() => cmd.resolve(['--config', bad]), /bad\.yaml: steps = "many": expected a positive integer/);
  writeFileSync(bad, '- a\n- b\n');
  assert.throws(() => cmd.resolve(['--config', bad]), /expected a mapping of option names to values, got a list/);
  assert.throws(() => cmd.resolve(['--config', join(dir, 'none.yaml')]), /--config .*none\.yaml: cannot read it \(ENOENT\)/);
});

test('--print-config writes every default as YAML that --config reads back to the same values', () => {
  const text = configTemplate('toy', decl.options);
  const parsed = parseYaml(text) as Record<string, unknown>;
  assert.deepEqual(parsed, { 'learning-rate': 1e-3, steps: 10, epochs: 0, loss: 'sigmoid', whiten: true }, 'required options are commented out');
  const file = join(dir, 'printed.yaml');
  writeFileSync(file, text);
  assert.deepEqual(values(['--config', file, '--model', 'm']), { ...decl.defaults, model: 'm' });
  const help = helpText('toy', 'a toy', decl.options);
  assert.match(help, /--learning-rate <n>\s+peak learning rate \(default: 0\.001\); also --lr/);
  assert.match(help, /--whiten\s+whiten advantages \(on by default; --no-whiten turns it off\)/);
});
