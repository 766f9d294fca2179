// The few OpenAI HTTP calls remote generation makes, over node's fetch: POST a JSON body, read a
// JSON answer, and turn what went wrong into an error that says whether trying again can help —
// a refused connection, a reset, a timeout or a 5xx can (another server, or later); a 4xx cannot
// (the request itself is wrong, and every server would say so).

export interface Endpoint {
  /** The server's base URL, ending in /v1 (vLLM, llama.cpp server, alignkit serve). */
  base: string;
  apiKey?: string;
  /** Per request, milliseconds. */
  timeoutMs: number;
}

export class GeneratorHttpError extends Error {
  constructor(message: string, readonly retriable: boolean, readonly status: number | null = null) {
    super(message);
    this.name = 'GeneratorHttpError';
  }
}

/** `base` + `route`, whatever slashes the user wrote. */
export function routeUrl(base: string, route: string): string {
  return `${base.replace(/\/+$/, '')}/${route.replace(/^\/+/, '')}`;
}

/** The message of an OpenAI-style error body ({"error": {"message", …}}), else the raw text cut short. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof body.error === 'object' && typeof body.error?.message === 'string') return body.error.message;
    if (typeof body.error === 'string') return body.error;
    if (typeof body.message === 'string') return body.message;
  } catch { /* not JSON */ }
  return text.slice(0, 300);
}

export async function postJson(e: Endpoint, route: string, body: unknown): Promise<unknown> {
  const url = routeUrl(e.base, route);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(e.apiKey ? { authorization: `Bearer ${e.apiKey}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(e.timeoutMs),
    });
  } catch (err) {
    const cause = err as Error & { cause?: { code?: string; message?: string } };
    const why = cause.name === 'TimeoutError' ? `no answer within ${e.timeoutMs} ms` : (cause.cause?.code ?? cause.cause?.message ?? cause.message);
    throw new GeneratorHttpError(`POST ${url}: ${why}`, true);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new GeneratorHttpError(`POST ${url}: the answer broke off (${(err as Error).message})`, true, res.status);
  }
  if (!res.ok) throw new GeneratorHttpError(`POST ${url}: HTTP ${res.status}: ${errorMessage(text)}`, res.status >= 500 || res.status === 408 || res.status === 429, res.status);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GeneratorHttpError(`POST ${url}: the answer is not JSON: ${text.slice(0, 200)}`, true, res.status);
  }
}
