// ReST-EM settings (Singh et al. 2023, "Beyond Human Data"). The paper's values where they carry
// over to a small model (10 kept per problem, temperature 0.7, top-k 40, about 3 iterations).
import { ConfigError, declareConfig, int, num, partialGroup, type ConfigOf, type Overrides } from '../../config/index.js';
import { sftConfig } from '../sft/config.js';

export const restEmConfig = declareConfig('rest-em', {
  /** The paper sees most of the gain in the first and overfitting after about three. */
  iterations: int(3, 'E/M iterations', { min: 1 }),
  samplesPerProblem: int(8, 'solutions sampled per training problem in the E-step', { min: 1, aliases: ['samples', 'num_generations'] }),
  /** The paper: 10, so that easy problems do not dominate the data (§3). */
  cap: int(10, 'most correct solutions kept per problem', { min: 1 }),
  /** The paper: 0.7 and top-k 40. */
  temperature: num(0.7, 'E-step sampling temperature', { gt: 0, expected: 'a number > 0 (the E-step samples)' }),
  topK: int(40, 'E-step top-k (0: none)', { min: 0, aliases: ['top_k'] }),
  /** Room for a worked solution; the arithmetic demo needs far fewer. */
  maxNewTokens: int(128, 'longest solution in tokens', { min: 1, aliases: ['max_completion_length'] }),
  /** Training problems held out of the E-step to choose the M-step checkpoint. */
  validationProblems: int(64, 'training problems held out to pick each M-step checkpoint', { min: 0 }),
  /** M-step length in passes over the kept solutions, capped by mStepMaxSteps. */
  mStepEpochs: num(3, 'M-step passes over the kept solutions', { gt: 0 }),
  mStepMaxSteps: int(600, 'most M-step optimizer steps', { min: 1, aliases: ['m_steps'] }),
  mStepEvalEvery: int(100, 'validation greedy pass@1 every N M-step steps (and at the end)', { min: 1 }),
  mStepPatience: int(0, 'stop an M-step after N validations without improvement (0: never)', { min: 0 }),
  /** The M-step's SFT settings; warm-up, steps, seed and evaluation are set per M-step unless given. */
  mStep: partialGroup(sftConfig),
  /** pass@k from evalN samples, maj@k from k of them. */
  evalK: int(4, 'k of the test pass@k and maj@k', { min: 0, aliases: ['k'] }),
  evalN: int(8, 'samples per test problem for pass@k (at least k)', { min: 0 }),
  /** For the "train pass@1 (sampled)" column. */
  trainEvalProblems: int(128, 'training problems scored by one sampled solution each', { min: 0 }),
  /** Bounds memory, not results. */
  batchSize: int(64, 'sequences decoded together when sampling', { min: 1 }),
  seed: int(0, 'seed of the sampling and the M-steps', { min: 0 }),
}, (c) => {
  if (c.evalK > c.evalN) throw new ConfigError(`rest-em config: evalK = ${c.evalK} exceeds evalN = ${c.evalN}`, 'evalK');
});

export type RestEmConfig = ConfigOf<typeof restEmConfig>;
export const defaultRestEmConfig: RestEmConfig = restEmConfig.defaults;
export const resolveRestEmConfig = (over: Overrides<typeof restEmConfig.options> = {}): RestEmConfig => restEmConfig.resolve(over);
