// LLM judges over an OpenAI-compatible endpoint (README, "Judges").
export { parseJudgeTemplate, fillJudgeTemplate, TEMPLATE_FIELDS, type JudgeMode, type JudgeTemplate } from './template.js';
export { parsePairAnswer, parseScoreAnswer, type Parsed } from './parse-answer.js';
export { chatCompletion, chatCompletionsUrl, JudgeHttpError, type ChatEndpoint } from './chat-client.js';
export { JudgeCache, judgeKey, type CachedVerdict } from './judge-cache.js';
export { createLlmJudge, type JudgeStats, type LlmJudge, type LlmJudgeOptions, type PairItem, type ScoreItem } from './llm-judge.js';
