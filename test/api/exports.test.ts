// The public API by package name, as a user imports it: every trainer and its job, every loss
// family, the verifiers and scorers, the tasks, the run store, the demonstrations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as engine from 'alignkit';
import * as align from 'alignkit/align';
import * as config from 'alignkit/config';
import * as data from 'alignkit/data';
import * as hub from 'alignkit/hub';
import * as model from 'alignkit/model';
import * as recipes from 'alignkit/recipes';
import * as rewards from 'alignkit/rewards';
import * as runs from 'alignkit/runs';
import * as serve from 'alignkit/serve';
import * as tokenizer from 'alignkit/tokenizer';

const expected: [string, Record<string, unknown>, string[]][] = [
  ['alignkit', engine, ['tensor', 'matmul', 'noGrad', 'setBackend']],
  ['alignkit/align', align, [
    'trainSft', 'runSftJob', 'trainRewardModel', 'runRewardJob', 'trainDpo', 'runDpoJob', 'trainPpo', 'runPpoJob', 'trainGrpo', 'runGrpoJob',
    'trainRloo', 'runRlooJob', 'runRest', 'runRestJob', 'runRestEm', 'runRestEmJob', 'runSer', 'runSerJob', 'runEvalJob', 'evalJobOptions',
    'moduleReward', 'guardedStep', 'TrainingDivergedError',
    'dpoLoss', 'bradleyTerryLoss', 'ppoPolicyLoss', 'grpoLoss', 'rlooLoss', 'bcLoss', 'goldLoss', 'bvmpoLoss', 'oacLoss',
    'sftConfig', 'dpoConfig', 'rewardModelConfig', 'ppoConfig', 'grpoConfig', 'rlooConfig', 'restConfig', 'restEmConfig', 'serConfig',
    'judgeReward', 'readJudgedSplit', 'runExportDataJob',
  ]],
  ['alignkit/config', config, ['declareConfig', 'int', 'num', 'choice']],
  ['alignkit/hub', hub, ['resolveModelPath', 'resolveModelOptions', 'resolveDatasetFiles', 'fetchSnapshot', 'hubSettings', 'HubError', 'RepoCache']],
  ['alignkit/data', data, ['loadDataset', 'getTask', 'loadUserTask', 'loadTaskInput', 'arithmeticTask', 'g2pTask', 'programTask', 'loadCorpus', 'splitByHash', 'truncatePair', 'loadCodeTask']],
  ['alignkit/model', model, ['Transformer', 'loadModelDir', 'saveModelDir', 'generate', 'generateText', 'BatchEngine', 'DECODER_FAMILIES', 'decoderFamily', 'ropeFrequencies', 'windowMask']],
  ['alignkit/recipes', recipes, ['recipes', 'runRestEmDemo', 'runRlhfDemo', 'runSerDemo', 'runRestDemo']],
  ['alignkit/rewards', rewards, ['makeMatcher', 'programVerifier', 'runInSandbox', 'passAtK', 'sentenceBleu', 'sentenceChrf', 'afinnScore', 'loadRewardModule', 'createPythonVerifier', 'runPythonTests', 'runPythonIo', 'createLlmJudge', 'parseJudgeTemplate']],
  ['alignkit/runs', runs, ['RunStore', 'stageOf', 'readRunSummary']],
  ['alignkit/serve', serve, ['startServe', 'ModelRegistry', 'ApiError']],
  ['alignkit/tokenizer', tokenizer, ['ByteTokenizer', 'CharTokenizer', 'trainBpe', 'loadTokenizer']],
];

for (const [path, mod, names] of expected) {
  test(`${path} exports ${names.length} names`, () => {
    const missing = names.filter((n) => mod[n] === undefined);
    assert.deepEqual(missing, [], `${path} lacks ${missing.join(', ')}`);
  });
}

test('a trainer config from the package resolves and checks, as the CLI does', () => {
  assert.equal(align.dpoConfig.resolve({ beta: 0.2 }).beta, 0.2);
  assert.throws(() => align.dpoConfig.resolve({ beta: 0 }), /dpo config: beta = 0, expected a positive number/);
  assert.equal(data.listTasks().some((t) => t.name === 'program'), true);
});
