import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointError } from '../../io/checkpoint.js';
import { defaultConfig } from '../config.js';
import { fromHfConfig, toHfConfig } from './config.js';
import { fromHfGenerationConfig, toHfGenerationConfig } from './generation-config.js';

// The key sets GPT2Config and LlamaConfig (transformers 4.x) serialise, written out by hand.
const GPT2_KEYS = [
  'activation_function', 'architectures', 'attn_pdrop', 'bos_token_id', 'embd_pdrop', 'eos_token_id', 'initializer_range',
  'layer_norm_epsilon', 'model_type', 'n_embd', 'n_head', 'n_inner', 'n_layer', 'n_positions', 'pad_token_id',
  'reorder_and_upcast_attn', 'resid_pdrop', 'scale_attn_by_inverse_layer_idx', 'scale_attn_weights', 'summary_activation',
  'summary_first_dropout', 'summary_proj_to_labels', 'summary_type', 'summary_use_proj', 'tie_word_embeddings', 'torch_dtype',
  'use_cache', 'vocab_size',
];
const LLAMA_KEYS = [
  'architectures', 'attention_bias', 'attention_dropout', 'bos_token_id', 'eos_token_id', 'head_dim', 'hidden_act', 'hidden_size',
  'initializer_range', 'intermediate_size', 'max_position_embeddings', 'mlp_bias', 'model_type', 'num_attention_heads',
  'num_hidden_layers', 'num_key_value_heads', 'pad_token_id', 'pretraining_tp', 'rms_norm_eps', 'rope_scaling', 'rope_theta',
  'tie_word_embeddings', 'torch_dtype', 'use_cache', 'vocab_size',
];

const names = (file: string, ...parts: RegExp[]) => (e: unknown) => {
  assert.ok(e instanceof CheckpointError, `${String(e)} is not a CheckpointError`);
  assert.ok(e.message.startsWith(`${file}: `), `"${e.message}" does not name ${file}`);
  for (const p of parts) assert.match(e.message, p);
  return true;
};

test('GPT-2 config.json has GPT2LMHeadModel\'s keys and values', () => {
  const c = defaultConfig('gpt2', { vocabSize: 300, maxSeqLen: 64, dModel: 32, nLayer: 3, nHead: 4, dropout: 0.05 });
  const j = toHfConfig(c, { bos: 256, eos: 257, pad: 258 });
  assert.deepEqual(Object.keys(j).sort(), GPT2_KEYS);
  assert.deepEqual(j.architectures, ['GPT2LMHeadModel']);
  assert.equal(j.model_type, 'gpt2');
  assert.equal(j.n_inner, null, 'n_inner null stands for 4·n_embd');
  assert.equal(j.activation_function, 'gelu_new');
  assert.deepEqual([j.vocab_size, j.n_positions, j.n_embd, j.n_layer, j.n_head], [300, 64, 32, 3, 4]);
  assert.deepEqual([j.resid_pdrop, j.embd_pdrop, j.layer_norm_epsilon, j.initializer_range], [0.05, 0.05, 1e-5, 0.02]);
  assert.deepEqual([j.bos_token_id, j.eos_token_id, j.pad_token_id, j.tie_word_embeddings], [256, 257, 258, true]);
  assert.equal(toHfConfig({ ...c, dFF: 96 }).n_inner, 96);
});

test('Llama config.json has LlamaForCausalLM\'s keys and values (plus our own alignkit key)', () => {
  const c = defaultConfig('llama', { vocabSize: 300, maxSeqLen: 64, dModel: 32, nLayer: 3, nHead: 4, nKvHead: 2, ropeTheta: 500000 });
  const j = toHfConfig(c, { bos: 1, eos: [2, 3], pad: null });
  assert.deepEqual(Object.keys(j).filter((k) => k !== 'alignkit').sort(), LLAMA_KEYS);
  assert.deepEqual(j.architectures, ['LlamaForCausalLM']);
  assert.deepEqual(
    [j.hidden_size, j.intermediate_size, j.num_hidden_layers, j.num_attention_heads, j.num_key_value_heads, j.head_dim, j.max_position_embeddings],
    [32, c.dFF, 3, 4, 2, 8, 64],
  );
  assert.deepEqual([j.hidden_act, j.rms_norm_eps, j.rope_theta, j.rope_scaling, j.attention_bias, j.mlp_bias, j.tie_word_embeddings, j.torch_dtype],
    ['silu', 1e-6, 500000, null, false, false, false, 'float32']);
  assert.deepEqual([j.bos_token_id, j.eos_token_id, j.pad_token_id], [1, [2, 3], null]);
});

test('toHfConfig then fromHfConfig gives the config back, for both families', () => {
  for (const c of [
    defaultConfig('gpt2', { vocabSize: 99, dModel: 24, nHead: 3, dropout: 0.1, initStd: 0.03, normEps: 1e-6 }),
    defaultConfig('gpt2', { tieEmbeddings: false, dFF: 100 }),
    defaultConfig('llama', { vocabSize: 77, dModel: 48, nHead: 6, nKvHead: 3, dropout: 0.2, ropeTheta: 1e6, normEps: 1e-5 }),
    defaultConfig('llama', { tieEmbeddings: true }),
  ]) {
    const back = fromHfConfig(JSON.parse(JSON.stringify(toHfConfig(c, { bos: 1, eos: 2, pad: 3 }))));
    assert.deepEqual(back.config, c);
    assert.deepEqual(back.ids, { bos: 1, eos: 2, pad: 3 });
  }
});

test('real hub configs (openai-community/gpt2, Llama-2-7b-hf as published) map as HF reads them', () => {
  // From memory of the published files; unknown keys (n_ctx, task_specific_params) are ignored.
  const gpt2 = {
    activation_function: 'gelu_new', architectures: ['GPT2LMHeadModel'], attn_pdrop: 0.1, bos_token_id: 50256, embd_pdrop: 0.1,
    eos_token_id: 50256, initializer_range: 0.02, layer_norm_epsilon: 1e-5, model_type: 'gpt2', n_ctx: 1024, n_embd: 768,
    n_head: 12, n_layer: 12, n_positions: 1024, resid_pdrop: 0.1, summary_activation: null, summary_first_dropout: 0.1,
    summary_proj_to_labels: true, summary_type: 'cls_index', summary_use_proj: true,
    task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } }, vocab_size: 50257,
  };
  const g = fromHfConfig(gpt2);
  assert.deepEqual(g.config, { family: 'gpt2', vocabSize: 50257, maxSeqLen: 1024, dModel: 768, nLayer: 12, nHead: 12, nKvHead: 12, dFF: 3072, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: true, dropout: 0.1, initStd: 0.02 });
  assert.deepEqual(g.ids, { bos: 50256, eos: 50256, pad: null });
  const llama = {
    architectures: ['LlamaForCausalLM'], bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu', hidden_size: 4096,
    initializer_range: 0.02, intermediate_size: 11008, max_position_embeddings: 4096, model_type: 'llama',
    num_attention_heads: 32, num_hidden_layers: 32, num_key_value_heads: 32, pretraining_tp: 1, rms_norm_eps: 1e-5,
    rope_scaling: null, tie_word_embeddings: false, torch_dtype: 'float16', transformers_version: '4.31.0.dev0', use_cache: true, vocab_size: 32000,
  };
  const l = fromHfConfig(llama);
  assert.deepEqual(l.config, { family: 'llama', vocabSize: 32000, maxSeqLen: 4096, dModel: 4096, nLayer: 32, nHead: 32, nKvHead: 32, dFF: 11008, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: false, dropout: 0, initStd: 0.02 });
});

test('missing keys take the HF class defaults; num_key_value_heads null means no grouping', () => {
  const g = fromHfConfig({ model_type: 'gpt2' }).config;
  assert.deepEqual([g.vocabSize, g.maxSeqLen, g.dModel, g.nLayer, g.nHead, g.dFF, g.tieEmbeddings], [50257, 1024, 768, 12, 12, 3072, true]);
  const l = fromHfConfig({ model_type: 'llama', num_key_value_heads: null });
  assert.deepEqual([l.config.dModel, l.config.dFF, l.config.nKvHead, l.config.maxSeqLen, l.config.tieEmbeddings], [4096, 11008, 32, 2048, false]);
  assert.deepEqual(l.ids, { bos: 1, eos: 2, pad: null });
});

test('transformers v5 rope_parameters with the default rope type is read', () => {
  const l = fromHfConfig({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4, rope_parameters: { rope_type: 'default', rope_theta: 500000 } });
  assert.equal(l.config.ropeTheta, 500000);
});

test('what alignkit cannot compute is refused, naming config.json, the key and the value', () => {
  const file = '/ckpt/config.json';
  const llama = { model_type: 'llama', hidden_size: 64, num_attention_heads: 4 };
  const cases: [Record<string, unknown>, RegExp[]][] = [
    [{ model_type: 'bert' }, [/model_type = "bert"/, /"gpt2", "llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text"/]],
    [{}, [/model_type = undefined/]],
    [{ ...llama, rope_scaling: { type: 'longrope', factor: 2 } }, [/rope_scaling.rope_type = "longrope"/, /"default", "linear", "dynamic", "llama3" or "yarn"/]],
    [{ ...llama, rope_scaling: { rope_type: 'llama3', factor: 8 } }, [/rope_scaling.low_freq_factor = undefined/, /positive number/]],
    [{ ...llama, rope_parameters: { rope_type: 'proportional', rope_theta: 1e4 } }, [/rope_parameters.rope_type = "proportional"/]],
    [{ ...llama, rope_parameters: { rope_type: 'default', rope_theta: 1e4, partial_rotary_factor: 0.5 } }, [/rope_parameters.partial_rotary_factor = 0.5/, /expected 1/]],
    [{ ...llama, rope_scaling: { type: 'linear', factor: -2 } }, [/rope_scaling.factor = -2/]],
    [{ model_type: 'mistral', sliding_window: 0 }, [/sliding_window = 0/, /null or a positive integer/]],
    [{ model_type: 'gemma2', hidden_size: 64, num_attention_heads: 4, head_dim: 16, attn_logit_softcapping: -50 }, [/attn_logit_softcapping = -50/, /null or a positive number/]],
    [{ model_type: 'gemma3_text', layer_types: ['sliding_attention'], num_hidden_layers: 2 }, [/layer_types = /, /2 entries/]],
    [{ model_type: 'gemma3_text', use_bidirectional_attention: true }, [/use_bidirectional_attention = true/]],
    [{ model_type: 'phi3', partial_rotary_factor: 0.75 }, [/partial_rotary_factor = 0.75/]],
    [{ model_type: 'qwen3', attention_bias: true }, [/attention_bias = true/]],
    [{ ...llama, attention_bias: true }, [/attention_bias = true/, /expected false/]],
    [{ ...llama, mlp_bias: true }, [/mlp_bias = true/]],
    [{ ...llama, hidden_act: 'gelu' }, [/hidden_act = "gelu"/, /"silu"/]],
    [{ ...llama, head_dim: 'x' }, [/head_dim = "x"/, /positive integer/]],
    [{ ...llama, head_dim: 5 }, [/head_dim = 5/, /even/]],
    [{ ...llama, num_key_value_heads: 3 }, [/num_key_value_heads = 3/, /nKvHead = 3, expected a divisor of nHead \(4\)/]],
    [{ ...llama, hidden_size: 'big' }, [/hidden_size = "big", expected a positive integer/]],
    [{ model_type: 'gpt2', activation_function: 'relu' }, [/activation_function = "relu"/]],
    [{ model_type: 'gpt2', activation_function: 'gelu' }, [/activation_function = "gelu"/, /tanh/]],
    [{ model_type: 'gpt2', scale_attn_by_inverse_layer_idx: true }, [/scale_attn_by_inverse_layer_idx = true/]],
    [{ model_type: 'gpt2', n_embd: 10, n_head: 3 }, [/n_head = 3/, /divisor of dModel \(10\)/]],
    [{ model_type: 'gpt2', eos_token_id: -1 }, [/eos_token_id = -1/]],
  ];
  for (const [json, parts] of cases) assert.throws(() => fromHfConfig(json, file), names(file, ...parts), JSON.stringify(json));
  assert.throws(() => fromHfConfig([1], file), names(file, /expected a JSON object/));
});

test('unknown extra keys are ignored; gelu_pytorch_tanh is the same GELU', () => {
  const c = fromHfConfig({ model_type: 'gpt2', activation_function: 'gelu_pytorch_tanh', n_embd: 16, n_head: 2, whatever: { x: 1 }, _name_or_path: 'x' });
  assert.equal(c.config.dModel, 16);
});

test('generation_config.json round trip; greedy leaves out sampling keys', () => {
  const g = { maxNewTokens: 32, temperature: 0.7, topK: 40, topP: 0.9, eos: 257, bos: 256, pad: 258 };
  const j = toHfGenerationConfig(g);
  assert.deepEqual(j, { bos_token_id: 256, eos_token_id: 257, pad_token_id: 258, max_new_tokens: 32, do_sample: true, temperature: 0.7, top_k: 40, top_p: 0.9 });
  assert.deepEqual(fromHfGenerationConfig(j), g);
  const greedy = toHfGenerationConfig({ temperature: 0, topK: 5, eos: [1, 2] });
  assert.deepEqual(greedy, { eos_token_id: [1, 2], do_sample: false });
  assert.deepEqual(fromHfGenerationConfig(greedy), { eos: [1, 2], temperature: 0 });
  // HF's own default (no do_sample) is greedy.
  assert.deepEqual(fromHfGenerationConfig({ _from_model_config: true, bos_token_id: 50256, eos_token_id: 50256, transformers_version: '4.26.0' }),
    { bos: 50256, eos: 50256, temperature: 0 });
  assert.throws(() => fromHfGenerationConfig({ do_sample: true, top_p: 1.5 }, 'g/generation_config.json'), names('g/generation_config.json', /top_p = 1.5/));
});

test('Gemma 2 keeps its attention soft-cap (the class default 50) and its final one', () => {
  const g = fromHfConfig({ model_type: 'gemma2', hidden_size: 64, num_attention_heads: 4, head_dim: 16 });
  assert.deepEqual([g.config.attnSoftcap, g.config.finalSoftcap], [50, 30]);
  const none = fromHfConfig({ model_type: 'gemma2', hidden_size: 64, num_attention_heads: 4, head_dim: 16, attn_logit_softcapping: null });
  assert.equal(none.config.attnSoftcap ?? null, null);
});
