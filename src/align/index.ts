// `alignkit/align`: every trainer, its declared options and its loss — SFT, reward models, DPO,
// KTO, ORPO, CPO/SimPO, online DPO, PPO, GRPO, RLOO, REINFORCE++, ReST, ReST-EM and SER — and, per
// method, the job a command runs (files in, a run directory out).
export * from './losses/index.js';
export { bcLoss, bvmpoLoss, goldLoss, oacLoss, type BvmpoOptions, type GoldOptions, type OacOptions, type RestLossOutput } from './losses/offline.js';

export { describePairJob, pairInputOptions, runOptions, runPairJob, saveLastPolicy, type JobHooks, type PairJobResult } from './trainer/job.js';
export { adamOptions, lengthOptions, optimizerOptions, scheduleOf, stepsFor, supervisedOptimizerOptions } from './trainer/optimizer-options.js';
export { loadWithTokenizer, readPreferenceSplit, readUnpairedSplit } from './trainer/inputs.js';
export { completionLogprobs, sequenceLogprob, tokenLogprobs, type PromptCompletion, type TokenLogprobs } from './trainer/logprobs.js';
export { loadPreferencePairs, pairsFromDataset, tokenizePairs, unpairedFromDataset, type PreferencePair, type TokenPair, type UnpairedExample } from './trainer/preference-data.js';
export { checkRewards, moduleReward, verifierReward, weightedReward, type RewardFn, type RewardMeta, type WeightedPart } from './trainer/reward-fn.js';
export { drawCompletions, evaluateTask, sampleAndVerify, sampleCompletions, scoreTask, type Completion, type SampleSettings, type ScoredSample, type TaskScores } from './trainer/task-eval.js';
export { localGenerator, type GenerateSettings, type Generator } from './trainer/generator/generator.js';
export { RemoteGenerator, type PushRecord, type RemoteGeneratorOptions } from './trainer/generator/remote.js';
export { ServerPool, type PoolOptions } from './trainer/generator/pool.js';
export { GeneratorHttpError, type Endpoint } from './trainer/generator/openai-client.js';
export { generatorOptions, generatorSyncOptions, generatorUrls, openGenerator } from './trainer/generator/options.js';
export { guardedStep, lossesOf, TrainingDivergedError, type StepGuard } from './trainer/guard.js';
export { modelStage, type TrainedModel } from './trainer/model-stage.js';

export { defaultSftConfig, resolveSftConfig, sftConfig, type SftConfig } from './sft/config.js';
export { evaluateLoss, trainSft, type SftLog, type SftOptions, type SftResult } from './sft/sft.js';
export { runSftJob, sftJobOptions, type SftJobOptions, type SftJobResult } from './sft/job.js';
export { perplexityOptions, runPerplexity, type PerplexityOptions, type PerplexityResult } from './sft/perplexity.js';
export { evalJobOptions, runEvalJob, type EvalJobOptions, type EvalJobResult } from './eval/job.js';
export { evaluateGenerations, type GenerationScores } from './eval/generations.js';

export { defaultRewardModelConfig, resolveRewardModelConfig, rewardModelConfig, type RewardModelConfig } from './reward/config.js';
export {
  SCORE_HEAD, applyRewardNormalization, ensureScoreHead, evaluateRewardModel, normalizeRewards, scoreTexts, sequenceRewards, trainRewardModel,
  type RewardEval, type RewardModelLog, type RewardModelOptions, type RewardModelResult, type RewardNormalization,
} from './reward/reward-model.js';
export { loadRewardModel, rewardModelReward } from './reward/reward-fn-model.js';
export { rewardJobOptions, runRewardJob, type RewardJobOptions, type RewardJobResult } from './reward/job.js';

export { DPO_LOSS_CHOICES, defaultDpoConfig, dpoConfig, dpoLossOptions, resolveDpoConfig, type DpoConfig } from './dpo/config.js';
export { evaluateDpo, trainDpo, type DpoEval, type DpoLog, type DpoResult, type DpoTrainOptions } from './dpo/dpo.js';
export { dpoJobOptions, runDpoJob, type DpoJobOptions, type DpoJobResult } from './dpo/job.js';

export { defaultKtoConfig, ktoConfig, resolveKtoConfig, type KtoConfig } from './kto/config.js';
export { evaluateKto, trainKto, withPartners, type KtoEval, type KtoLog, type KtoTrainOptions } from './kto/kto.js';
export { ktoJobOptions, runKtoJob, type KtoJobOptions, type KtoJobResult } from './kto/job.js';
export { defaultOrpoConfig, orpoConfig, pairTrainingOptions, resolveOrpoConfig, type OrpoConfig } from './orpo/config.js';
export { trainOrpo, type OrpoTrainOptions } from './orpo/orpo.js';
export { orpoJobOptions, runOrpoJob, type OrpoJobOptions } from './orpo/job.js';
export { cpoConfig, cpoLossOptions, defaultCpoConfig, resolveCpoConfig, simpoConfig, type CpoConfig } from './cpo/config.js';
export { trainCpo, type CpoTrainOptions } from './cpo/cpo.js';
export { cpoJobOptions, runCpoJob, runSimpoJob, simpoJobOptions, type CpoJobOptions } from './cpo/job.js';
export { pairLogps, trainReferenceFree, type PairEval, type PairLog, type PairLogps, type ReferenceFreeTraining } from './trainer/offline/pair-trainer.js';
export { runOfflineLoop, type OfflineLog, type OfflineLoop, type OfflineLoopConfig } from './trainer/offline/offline-loop.js';

export { onlineOptions, type OnlineConfig } from './rollout/config.js';
export type { PromptItem } from './rollout/rollout.js';
export { onlineInputOptions, readOnlineSetup, readPrompts, type OnlineInputs, type OnlineSetup, type RewardFnSpec } from './rollout/job-inputs.js';
export { runOnlineJob, type OnlineJobResult } from './rollout/job-run.js';
export { ppoJobOptions, runPpoJob, type PpoJobOptions } from './ppo/job.js';
export { defaultOnlineDpoConfig, onlineDpoConfig, resolveOnlineDpoConfig, type OnlineDpoConfig } from './online-dpo/config.js';
export { trainOnlineDpo, type OnlineDpoLog, type OnlineDpoOptions } from './online-dpo/online-dpo.js';
export { checkVerdicts, loadJudgeModule, type PairJudge, type PairLabeller } from './online-dpo/judge.js';
export { onlineDpoJobOptions, runOnlineDpoJob, type OnlineDpoJobOptions } from './online-dpo/job.js';
export { grpoJobOptions, runGrpoJob, type GrpoJobOptions } from './grpo/job.js';
export { rlooJobOptions, runRlooJob, type RlooJobOptions } from './rloo/job.js';
export { defaultPpoConfig, ppoConfig, resolvePpoConfig, type PpoConfig } from './ppo/config.js';
export { VALUE_HEAD, trainPpo, type PpoLog, type PpoOptions, type PpoResult } from './ppo/ppo.js';
export { defaultGrpoConfig, grpoConfig, grpoLossOptions, resolveGrpoConfig, type GrpoConfig } from './grpo/config.js';
export { trainGrpo, type GrpoLog, type GrpoOptions, type GrpoResult } from './grpo/grpo.js';
export { defaultRlooConfig, resolveRlooConfig, rlooConfig, type RlooConfig } from './rloo/config.js';
export { trainRloo, type RlooLog, type RlooOptions, type RlooResult } from './rloo/rloo.js';
export { defaultReinforcePpConfig, reinforcePpConfig, resolveReinforcePpConfig, type ReinforcePpConfig } from './reinforce-pp/config.js';
export { trainReinforcePp, type ReinforcePpLog, type ReinforcePpOptions as ReinforcePpTrainOptions } from './reinforce-pp/reinforce-pp.js';
export { reinforcePpJobOptions, runReinforcePpJob, type ReinforcePpJobOptions } from './reinforce-pp/job.js';
export { clippedUpdateOptions } from './grpo/config.js';
export { clippedUpdates, type ClippedUpdateInput, type ClippedUpdateStats } from './rollout/clipped-updates.js';

export { REST_LOSSES, defaultImproveConfig, defaultRestConfig, improveConfig, resolveImproveConfig, resolveRestConfig, restConfig, type ImproveConfig, type RestConfig, type RestLoss } from './rest/config.js';
export { growStage, improveKey, improveStage, runRest, type RestOptions, type RestRow } from './rest/rest.js';
export { METRIC_NAMES, metricReward, normaliseRewards, parseRewardSpec, type MetricName } from './rest/rewards.js';
export { applyThreshold, parseSchedule, scheduleValues, type ThresholdSchedule } from './rest/thresholds.js';
export { restJobOptions, runRestJob, type RestJobOptions, type RestJobResult } from './rest/job.js';
export { formatRestTable } from './rest/report.js';

export { defaultRestEmConfig, resolveRestEmConfig, restEmConfig, type RestEmConfig } from './rest-em/config.js';
export { runRestEm, type RestEmOptions, type RestEmRow } from './rest-em/rest-em.js';
export { restEmJobOptions, runRestEmJob, type RestEmJobOptions, type RestEmJobResult } from './rest-em/job.js';
export { formatRestEmTable } from './rest-em/report.js';

export { defaultSerConfig, resolveSerConfig, serConfig, serPpoConfig, type SerConfig, type SerConfigInput } from './ser/config.js';
export { asPair, labelWithRm, rmAccuracy, rmSteps, runSer, scorePool, serSplit, type SerLoopRecord, type SerOptions, type SerPoolPair, type SerResult } from './ser/ser.js';
export { calibrate, poolAccuracy, pseudoLabelPrecision, selectPairs, type SerPick, type SerSelection, type SerStatus } from './ser/select.js';
export { runSerJob, serJobOptions, type SerJobOptions, type SerJobResult } from './ser/job.js';
export { formatSerTable } from './ser/report.js';
export { checkJudgeInputs, isJudgeUrl, judgeOptions, noJudge, openJudge, type JudgeInputs } from './judge/options.js';
export { judgeReward } from './judge/judge-reward.js';
export { llmPairJudge, orderPairs, type Verdict } from './judge/order-pairs.js';
export { JUDGE_PAIRS_FILE, judgeFile, readJudgedSplit, readPairsOrJudge, type JudgedFile, type JudgedSplit } from './judge/judged-pairs.js';
export { exportDataJobOptions, runExportDataJob, type ExportDataJobOptions } from './export-data/job.js';
export { dpoRows, sftRows, type ExportFormat } from './export-data/run-rows.js';
export { parquetBytes, writeDatasetFile, type Cell, type Message as DatasetMessage, type Row as DatasetRow } from './export-data/dataset-file.js';
