// Every command's options come from declarations, once: --help shows each declared option with its
// own help and default, a run with no flags gets exactly the declared defaults, and every option
// that shares a name with a trainer's option IS that trainer's option (the same object), so no
// command can carry a second default for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigDecl, Option, Options } from '../config/index.js';
import { sftConfig } from '../align/sft/config.js';
import { rewardModelConfig } from '../align/reward/config.js';
import { dpoConfig } from '../align/dpo/config.js';
import { ppoConfig } from '../align/ppo/config.js';
import { grpoConfig } from '../align/grpo/config.js';
import { rlooConfig } from '../align/rloo/config.js';
import { reinforcePpConfig } from '../align/reinforce-pp/config.js';
import { ktoConfig } from '../align/kto/config.js';
import { onlineDpoConfig } from '../align/online-dpo/config.js';
import { orpoConfig } from '../align/orpo/config.js';
import { cpoConfig, simpoConfig } from '../align/cpo/config.js';
import { improveConfig, restConfig } from '../align/rest/config.js';
import { restEmConfig } from '../align/rest-em/config.js';
import { serConfig } from '../align/ser/config.js';
import { checkpointingOptions } from '../align/trainer/lora-options.js';
import { bf16ComputeOption } from '../model/index.js';
import { recipes } from '../recipes/index.js';
import { defineCommand, helpText, type DeclaredCommand } from './command.js';
import { commands } from './commands.js';
import { kebab } from './flags.js';

/** What a command needs beyond its required options before it resolves (one of two sources, say). */
const EXTRA: Record<string, string[]> = {
  sft: ['--corpus', 'moby-dick'], eval: ['--corpus', 'moby-dick'], 'train-tokenizer': ['--corpus', 'moby-dick'],
  ppo: ['--task', 'arithmetic'], grpo: ['--task', 'arithmetic'], rloo: ['--task', 'arithmetic'], 'reinforce-pp': ['--task', 'arithmetic'], 'online-dpo': ['--task', 'arithmetic'],
};

/** The trainer configs whose options each training command exposes. */
const RUNS: Record<string, ConfigDecl[]> = {
  sft: [sftConfig], reward: [rewardModelConfig], dpo: [dpoConfig], kto: [ktoConfig], orpo: [orpoConfig], cpo: [cpoConfig], simpo: [simpoConfig], 'online-dpo': [onlineDpoConfig], ppo: [ppoConfig], grpo: [grpoConfig], rloo: [rlooConfig], 'reinforce-pp': [reinforcePpConfig],
  rest: [restConfig, improveConfig], 'rest-em': [restEmConfig], ser: [serConfig],
};

/**
 * Job options that deliberately stand apart from a trainer option of the same name: their default
 * depends on other options, so the job resolves it.
 */
const OWN_DEFAULT: Record<string, string> = {
  'rest normalize': 'clip, or sigmoid for an rm: reward',
  'rest-em evalN': '2·k unless given',
};

const declared: DeclaredCommand[] = [
  ...commands.filter((c): c is DeclaredCommand => 'options' in c),
  ...recipes.map((r) => defineCommand({ name: `demo ${r.name}`, summary: r.summary, options: r.options, async run() { return 0; } })),
];

test('every command but the demo dispatcher is generated from a declaration, and every demo is one', () => {
  assert.deepEqual(commands.filter((c) => !('options' in c)).map((c) => c.name), ['demo']);
  assert.equal(declared.length, commands.length - 1 + recipes.length);
});

for (const cmd of declared) {
  test(`${cmd.name}: --help shows each declared option, its help and default; no flags give the declared defaults`, () => {
    const options = cmd.options.options;
    const help = helpText(cmd.name, cmd.summary, options);
    const required: string[] = [];
    for (const [key, e] of Object.entries(options)) {
      const o = e as Option;
      const line = help.split('\n').find((l) => l.startsWith(`  --${kebab(key)} `) || l === `  --${kebab(key)}`);
      assert.ok(line, `${cmd.name}: no --help line for --${kebab(key)}`);
      assert.ok(line.includes(o.help), `${cmd.name} --${kebab(key)}: the help line does not carry the declared help`);
      if (o.required !== undefined) required.push(`--${kebab(key)}`, 'x');
      else if (o.default !== undefined && typeof o.default !== 'boolean') {
        assert.ok(line.includes(`(default: ${typeof o.default === 'string' ? o.default : JSON.stringify(o.default)})`), `${cmd.name} --${kebab(key)}: ${line}`);
      }
    }
    const extra = EXTRA[cmd.name] ?? [];
    const got = cmd.resolve([...required, ...extra])!.values as Record<string, unknown>;
    for (const [key, e] of Object.entries(options)) {
      if ((e as Option).required === undefined && !extra.includes(`--${kebab(key)}`)) assert.deepEqual(got[key], (e as Option).default, `${cmd.name} --${kebab(key)}`);
    }
  });
}

test('a training command exposes its trainers\' options as the very objects they declare', () => {
  const redeclared: string[] = [];
  let shared = 0;
  for (const [name, configs] of Object.entries(RUNS)) {
    const cmd = declared.find((c) => c.name === name)!;
    const objects = new Set<Option>(), keys = new Set<string>();
    const walk = (o: Options) => { for (const [k, e] of Object.entries(o)) if (e.kind === 'group') walk(e.config.options); else { objects.add(e); keys.add(k); } };
    for (const c of configs) walk(c.options);
    for (const [key, e] of Object.entries(cmd.options.options)) {
      if (!keys.has(key) || OWN_DEFAULT[`${name} ${key}`]) continue;
      if (objects.has(e as Option)) shared++;
      else redeclared.push(`${name} --${kebab(key)}`);
    }
  }
  assert.deepEqual(redeclared, []);
  assert.ok(shared > 100, `only ${shared} trainer options are exposed`);
});

test('every training command takes --gradient-checkpointing (TRL\'s gradient_checkpointing), the one declared option, off unless given', () => {
  const declaredOption = checkpointingOptions.options.gradientCheckpointing;
  for (const name of Object.keys(RUNS)) {
    const cmd = declared.find((c) => c.name === name)!;
    assert.equal(cmd.options.options['gradientCheckpointing'], declaredOption, `${name}: --gradient-checkpointing is not the declared option`);
    assert.ok(declaredOption.aliases?.includes('gradient_checkpointing'));
    const extra = EXTRA[name] ?? [];
    const required = Object.entries(cmd.options.options).filter(([, e]) => (e as Option).required !== undefined).flatMap(([k]) => [`--${kebab(k)}`, 'x']);
    const values = (args: string[]) => cmd.resolve([...required, ...extra, ...args])!.values as Record<string, unknown>;
    assert.equal(values([])['gradientCheckpointing'], false, name);
    assert.equal(values(['--gradient-checkpointing'])['gradientCheckpointing'], true, name);
  }
});

test('--bf16-compute is one declared option, on every training command and on generate, off unless given', () => {
  for (const name of [...Object.keys(RUNS), 'generate']) {
    const cmd = declared.find((c) => c.name === name)!;
    assert.equal(cmd.options.options['bf16Compute'], bf16ComputeOption, `${name}: --bf16-compute is not the declared option`);
    const extra = EXTRA[name] ?? [];
    const required = Object.entries(cmd.options.options).filter(([, e]) => (e as Option).required !== undefined).flatMap(([k]) => [`--${kebab(k)}`, 'x']);
    const values = (args: string[]) => cmd.resolve([...required, ...extra, ...args])!.values as Record<string, unknown>;
    assert.equal(values([])['bf16Compute'], false, name);
    assert.equal(values(['--bf16-compute'])['bf16Compute'], true, name);
  }
  assert.match(bf16ComputeOption.help, /round their activations to bfloat16/);
});
