// The HTTP plumbing of `alignkit serve`: OpenAI-style error bodies, a JSON body read under a size
// limit, Bearer keys compared in constant time, and server-sent events.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error a client caused or should see: OpenAI's {"error": {message, type, param, code}}. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly param: string | null = null, readonly code: string | null = null) {
    super(message);
  }

  get type(): string {
    if (this.status === 401) return 'authentication_error';
    if (this.status === 404) return 'not_found_error';
    return this.status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

/** A 400 naming the field, the value and what was expected. */
export function badField(param: string, value: unknown, expected: string): never {
  const shown = JSON.stringify(value);
  throw new ApiError(400, `${param} is ${shown === undefined ? 'missing' : shown.length > 80 ? `${shown.slice(0, 80)}…` : shown}; expected ${expected}`, param, 'invalid_value');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof ApiError ? err : new ApiError(500, `internal error: ${(err as Error).message}`);
  if (res.headersSent) {
    // Inside a stream: the error goes as one more event, then the stream ends.
    res.end(`data: ${JSON.stringify(errorBody(e))}\n\ndata: [DONE]\n\n`);
    return;
  }
  sendJson(res, e.status, errorBody(e));
}

function errorBody(e: ApiError): unknown {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code } };
}

/** The request body as JSON; 413 past `limit` bytes, 400 when it does not parse to an object. */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) { reject(tooLarge(limit)); req.resume(); return; }
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > limit) { reject(tooLarge(limit)); req.destroy(); return; }
      parts.push(b);
    });
    req.on('error', reject);
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8') || 'null');
      } catch (err) {
        reject(new ApiError(400, `the body is not valid JSON: ${(err as Error).message}`, null, 'invalid_json'));
        return;
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) reject(new ApiError(400, `the body is ${JSON.stringify(body)?.slice(0, 40)}; expected a JSON object`, null, 'invalid_json'));
      else resolve(body as Record<string, unknown>);
    });
  });
}

const tooLarge = (limit: number) => new ApiError(413, `the body is over the server's limit of ${limit} bytes (--max-body)`, null, 'body_too_large');

/** Whether the request carries `Authorization: Bearer <key>`. */
export function keyOk(req: IncomingMessage, key: string | null): boolean {
  if (key === null) return true;
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  const a = Buffer.from(m?.[1]?.trim() ?? ''), b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Starts a server-sent-events response; `send` writes one `data:` event, `done` the closing [DONE]. */
export function eventStream(res: ServerResponse): { send: (chunk: unknown) => void; done: () => void } {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  return {
    send: (chunk) => { if (!res.writableEnded) res.write(`data: ${JSON.stringify(chunk)}\n\n`); },
    done: () => { if (!res.writableEnded) res.end('data: [DONE]\n\n'); },
  };
}
