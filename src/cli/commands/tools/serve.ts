// `alignkit serve --model DIR`: an OpenAI-compatible server over a model directory (issue 19),
// concurrent requests decoded together, served until Ctrl-C.
import { declareConfig, int, optionalText, requiredText, text } from '../../../config/index.js';
import { resolveModelOptions } from '../../../hub/index.js';
import { startServe } from '../../../serve/index.js';
import { defineCommand } from '../../command.js';

const serveOptions = declareConfig('serve', {
  model: requiredText('model directory (config.json, model.safetensors, tokenizer.json)', 'the model directory to serve', { aliases: ['model_name_or_path'], hub: 'model' }),
  port: int(8000, 'port to listen on (0: any free port)', { min: 0, max: 65535 }),
  host: text('127.0.0.1', 'address to bind: loopback by default; any other address requires an API key'),
  apiKey: optionalText('the key requests must send as "Authorization: Bearer KEY"; made up (and printed) when --host is not loopback and none is given', { aliases: ['api_key'] }),
  maxBatch: int(32, 'most samples decoded together (a request\'s n must not exceed it)', { min: 1, aliases: ['max_batch'] }),
  servedModelName: optionalText('the name requests give as "model" and /v1/models lists (default: --model as given)', { aliases: ['served_model_name'] }),
  maxBody: int(8 << 20, 'largest request body in bytes', { min: 1024, aliases: ['max_body'] }),
});

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'an OpenAI-compatible HTTP server (completions, chat, streaming, LoRA and weight loading) over a model directory',
  options: serveOptions,
  examples: [
    'alignkit serve --model runs/rest-em/model',
    'alignkit serve --model ./SmolLM2-135M-Instruct --port 8001 --max-batch 64',
    'alignkit serve --model runs/sft/model --host 0.0.0.0 --api-key "$KEY"',
  ],
  async run(given) {
    // A Hub id is fetched into the cache first, and stays the served name, as vLLM names it.
    const o = await resolveModelOptions(serveOptions.options, given, { log: (line) => console.error(`serve: ${line}`) });
    const s = await startServe({ model: o.model, host: o.host, port: o.port, apiKey: o.apiKey, maxBatch: o.maxBatch, servedName: o.servedModelName ?? given.model, maxBody: o.maxBody });
    console.log(`alignkit serve: ${s.models.name} at ${s.url} (batches of up to ${o.maxBatch})`);
    if (s.apiKey && o.apiKey === undefined) console.log(`API key (made up, since ${o.host} is not loopback): ${s.apiKey}`);
    else if (s.apiKey) console.log('requests must send "Authorization: Bearer <--api-key>"');
    console.log('Ctrl-C stops it');
    await new Promise<void>((ok) => {
      const stop = () => { void s.close().then(ok); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
});
