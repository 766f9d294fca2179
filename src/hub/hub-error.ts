// What went wrong with the Hub, in words that say what to do. The Hub answers 401 for a repository
// that does not exist as for a private one when no token is sent (so that names do not leak), 404
// with a token that can see it, 403 for a gated one; @huggingface/hub turns each into a
// HubApiError with the status and the server's message.
import { HubApiError } from '@huggingface/hub';
import { showRef, type RepoRef } from './hub-id.js';
import type { HubSettings } from './settings.js';

export type HubErrorCode =
  | 'not-found' | 'unauthorized' | 'gated' | 'revision' | 'server' | 'network'
  | 'offline-miss' | 'incomplete' | 'corrupt' | 'interrupted' | 'no-files' | 'token';

export class HubError extends Error {
  /** The cause alone, without the repository (for a message that names it already). */
  readonly reason: string;

  constructor(readonly code: HubErrorCode, message: string, reason?: string) {
    super(message);
    this.name = 'HubError';
    this.reason = reason ?? message;
  }
}

const kindOf = (ref: RepoRef) => (ref.type === 'model' ? 'model' : 'dataset');

/** A failed call to the Hub about `ref`, as a HubError; anything else unchanged. */
export function hubFailure(err: unknown, ref: RepoRef, s: HubSettings): unknown {
  const at = `${showRef(ref)} (${kindOf(ref)} on ${s.endpoint})`;
  if (err instanceof HubApiError) {
    const said = err.message.split('. URL:')[0];
    if (err.statusCode === 401) {
      return new HubError('unauthorized', s.token
        ? `${at}: the Hub refused the token (401: ${said}); the repository does not exist, or HF_TOKEN cannot read it`
        : `${at}: not found, or private (401: ${said}); for a private or gated repository set HF_TOKEN to a token that can read it`);
    }
    if (err.statusCode === 403) return new HubError('gated', `${at}: access refused (403: ${said}); a gated repository needs its conditions accepted on its page, and HF_TOKEN set`);
    if (err.statusCode === 404) {
      return /^(invalid rev id|revision not found)/i.test(said)
        ? new HubError('revision', `${at}: no revision "${ref.revision}" (404: ${said})`)
        : new HubError('not-found', `${at}: no such repository (404: ${said})`);
    }
    const reason = `the Hub answered ${err.statusCode} (${said})`;
    return new HubError('server', `${at}: ${reason}`, reason);
  }
  if (isNetworkError(err)) {
    const reason = `cannot reach ${s.endpoint} (${networkCause(err)})`;
    return new HubError('network', `${at}: ${reason}`, reason);
  }
  if (err instanceof TypeError && /access token/i.test(err.message)) return new HubError('token', 'HF_TOKEN (or the stored token): expected a Hugging Face access token, which starts with hf_');
  return err;
}

/** fetch's own failure (refused, unresolved, reset), as opposed to an answer from the server. */
export function isNetworkError(err: unknown): boolean {
  return err instanceof TypeError && /fetch failed/i.test(err.message);
}

function networkCause(err: unknown): string {
  const c = (err as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? (err as Error).message;
}
