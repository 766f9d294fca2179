// `alignkit/data`: datasets in TRL's formats (text, prompt/completion, messages, preference) from
// JSONL, JSON or Parquet; built-in corpora; token examples; and tasks with verifiers.
export { detectFormat, extractPrompt, isConversational, validateRecords, type Source, type SourcedValue, type ValidatedRecords } from './datasets/formats.js';
export {
  DATASET_FORMATS, type DatasetFormat, type Message, type MessagesRecord, type PreferenceRecord, type PromptCompletionRecord,
  type PromptRecord, type Role, type TextRecord, type Turns,
} from './datasets/format-schemas.js';
export { loadDataset, type Dataset, type LoadDatasetOptions } from './datasets/load-dataset.js';
export { DatasetError } from './datasets/dataset-error.js';
export { splitByHash, splitDataset, type Split, type SplitOptions } from './split-dataset.js';
export { corpusSplit, holdOutEveryKth, listCorpora, loadCorpus, type Corpus, type CorpusInfo } from './corpora.js';
export {
  ExampleOrder, IGNORE, TRUNCATIONS, collate, completionExample, packDocuments, pairIds, renderTurns, streamWindows, truncatePair,
  type Batch, type PairExample, type TokenExample, type Truncation,
} from './lm-examples.js';
export { mulberry32, seededShuffle } from './prng.js';
export * from './tasks/index.js';
export { describeTask, loadTaskInput, parseTaskOpts, taskInputOptions, type TaskInput } from './tasks/task-input.js';
export { programTask, type ProgramTaskOptions } from './tasks/builtin/program-task.js';
export {
  checkTextSource, describeTruncation, readSource, sourceText, textSourceOptions, toExamples, type SourceExamples, type TextSource, type TruncationCounts,
} from './text-source.js';
export { runTokenizerJob, tokenizerJobOptions, type TokenizerJobOptions, type TokenizerJobResult } from './tokenizer-job.js';
export { renderCompletions, renderForTraining, renderPrompt, type ChatRender, type TemplateKwargs } from './chat/chat-render.js';
export { chatExamples, lossExample, tokenizeRender, type Conversation } from './chat/chat-examples.js';
