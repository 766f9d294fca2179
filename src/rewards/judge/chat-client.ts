// One chat completion from an OpenAI-compatible server (vLLM, llama.cpp's server, Ollama, TGI,
// alignkit serve): POST <base>/v1/chat/completions with the judge prompt as the user message,
// temperature 0 so that a judge asked twice answers alike. Network errors, timeouts, 429 and 5xx
// are transient (the caller retries them); any other 4xx is the request's fault and is thrown at once.

export interface ChatEndpoint {
  /** The server's base URL (http://host:port, or …/v1), or the full …/chat/completions URL. */
  url: string;
  model: string;
  apiKey?: string;
  /** Seconds before a request is given up (and retried). */
  timeout: number;
  maxTokens: number;
}

export class JudgeHttpError extends Error {
  constructor(message: string, readonly transient: boolean) { super(message); }
}

/** The chat-completions URL of a base URL, as the OpenAI clients build it from base_url. */
export function chatCompletionsUrl(url: string): string {
  const u = url.replace(/\/+$/, '');
  if (u.endsWith('/chat/completions')) return u;
  return u.endsWith('/v1') ? `${u}/chat/completions` : `${u}/v1/chat/completions`;
}

/** The assistant message's text, or a JudgeHttpError saying what came back instead. */
export async function chatCompletion(e: ChatEndpoint, content: string): Promise<string> {
  const url = chatCompletionsUrl(e.url);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(e.apiKey ? { authorization: `Bearer ${e.apiKey}` } : {}) },
      body: JSON.stringify({ model: e.model, messages: [{ role: 'user', content }], temperature: 0, max_tokens: e.maxTokens }),
      signal: AbortSignal.timeout(e.timeout * 1000),
    });
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${e.timeout} s` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
    throw new JudgeHttpError(`--judge ${url}: ${why}`, true);
  }
  const body = await res.text();
  if (!res.ok) {
    let msg = body.slice(0, 300);
    try { msg = (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? msg; } catch { /* not JSON: the text is the message */ }
    throw new JudgeHttpError(`--judge ${url}: HTTP ${res.status}: ${msg}`, res.status === 429 || res.status >= 500);
  }
  let text: unknown;
  try {
    text = (JSON.parse(body) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
  } catch {
    throw new JudgeHttpError(`--judge ${url}: the response is not JSON (${JSON.stringify(body.slice(0, 80))})`, true);
  }
  if (typeof text !== 'string') throw new JudgeHttpError(`--judge ${url}: the response has no choices[0].message.content string`, true);
  return text;
}
