// `alignkit serve`: an OpenAI-compatible HTTP server over one model directory (issue 19), whose
// concurrent requests decode together in the batch engine (src/model/sampling/engine). Loopback
// by default; bound to any other address only with an API key, which every request then carries as
// `Authorization: Bearer <key>`. On loopback without a key, requests whose Host is not a loopback
// name are refused, so that a web page cannot reach the server through DNS rebinding.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchEngine } from '../model/sampling/engine/engine.js';
import { chatCompletions } from './chat.js';
import { completions } from './completions.js';
import { ApiError, isLoopback, keyOk, readJsonBody, sendError, sendJson } from './http.js';
import { ModelRegistry } from './models.js';

export interface ServeOptions {
  /** The model directory (config.json, model.safetensors, tokenizer.json). */
  model: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** Required beyond loopback; one is made up there when none is given. */
  apiKey?: string | undefined;
  /** Most samples decoded together. */
  maxBatch?: number;
  /** The name /v1/models lists and requests use (default: the directory as given). */
  servedName?: string | undefined;
  /** Largest request body in bytes. */
  maxBody?: number;
}

export interface Serving {
  server: Server;
  url: string;
  /** The key requests must carry, null when none is needed. */
  apiKey: string | null;
  engine: BatchEngine;
  models: ModelRegistry;
  close(): Promise<void>;
}

type Route = (body: Record<string, unknown>, res: ServerResponse) => Promise<void> | void;

export async function startServe(o: ServeOptions): Promise<Serving> {
  const host = o.host ?? '127.0.0.1', loopback = isLoopback(host);
  const apiKey = o.apiKey ?? (loopback ? null : randomBytes(24).toString('base64url'));
  const models = new ModelRegistry(o.model, o.servedName ?? o.model);
  const engine = new BatchEngine({ maxBatch: o.maxBatch ?? 32, tokenizer: models.tokenizer });
  const ok = (res: ServerResponse, message: string) => sendJson(res, 200, { status: 'ok', message });
  const posts: Record<string, Route> = {
    '/v1/completions': (b, res) => completions(b, res, engine, models),
    '/v1/chat/completions': (b, res) => chatCompletions(b, res, engine, models),
    '/v1/load_lora_adapter': (b, res) => ok(res, models.loadAdapter(b)),
    '/v1/unload_lora_adapter': (b, res) => ok(res, models.unloadAdapter(b)),
    '/v1/load_model': (b, res) => ok(res, models.loadModel(b)),
  };
  const gets: Record<string, (res: ServerResponse) => void> = {
    '/v1/models': (res) => sendJson(res, 200, {
      object: 'list',
      data: models.list().map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'alignkit', root: m.path, parent: m.parent, max_model_len: m.model.config.maxSeqLen })),
    }),
    '/health': (res) => sendJson(res, 200, { status: 'ok', ...engine.load, ...engine.stats }),
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://serve').pathname;
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (apiKey === null && !isLoopback(hostName)) throw new ApiError(403, `host ${JSON.stringify(req.headers.host)} is not a loopback name`, null, 'forbidden_host');
    if (!keyOk(req, apiKey)) throw new ApiError(401, 'this server needs its API key: send "Authorization: Bearer <key>"', null, 'invalid_api_key');
    const get = gets[path] as ((res: ServerResponse) => void) | undefined, post = posts[path] as Route | undefined;
    if (!get && !post) throw new ApiError(404, `no route ${req.method} ${path}: this server has GET ${Object.keys(gets).join(', ')} and POST ${Object.keys(posts).join(', ')}`, null, 'unknown_url');
    if (req.method === 'GET' && get) return get(res);
    if (req.method === 'POST' && post) return post(await readJsonBody(req, o.maxBody ?? 8 << 20), res);
    res.setHeader('allow', get ? 'GET' : 'POST');
    throw new ApiError(405, `${path} takes ${get ? 'GET' : 'POST'}, not ${req.method}`, null, 'method_not_allowed');
  };
  const server = createServer((req, res) => { handle(req, res).catch((err) => sendError(res, err)); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8000, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server, apiKey, engine, models,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
