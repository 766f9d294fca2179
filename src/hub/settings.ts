// Where the Hub is, who the user is and where its files go, read as huggingface_hub reads them
// (huggingface_hub/constants.py) so that one environment serves Python and alignkit alike:
// HF_ENDPOINT; HF_TOKEN, else the token file `hf auth login` writes (HF_TOKEN_PATH, default
// $HF_HOME/token); HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub; HF_HUB_OFFLINE=1 (or true/yes/on) for no network at all.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubOptions {
  /** The Hub's address; HF_ENDPOINT by default. */
  endpoint?: string;
  /** An access token (hf_…); HF_TOKEN or the stored token by default. */
  token?: string;
  /** The cache root, holding models--org--name/ and datasets--org--name/. */
  cacheDir?: string;
  /** Read the cache only; HF_HUB_OFFLINE by default. */
  offline?: boolean;
  /** No progress display. */
  quiet?: boolean;
  /** Where a line about what was resolved goes (a job's log). */
  log?: (line: string) => void;
  /** The fetch that talks to the Hub (tests, proxies). */
  fetch?: typeof fetch;
}

export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  cacheDir: string;
  offline: boolean;
  quiet: boolean;
  log: (line: string) => void;
  fetch: typeof fetch;
}

const TRUE = new Set(['1', 'on', 'yes', 'true']);

function hfHome(env: NodeJS.ProcessEnv): string {
  return env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
}

function storedToken(env: NodeJS.ProcessEnv): string | undefined {
  const file = env.HF_TOKEN_PATH ?? join(hfHome(env), 'token');
  if (!existsSync(file)) return undefined;
  const t = readFileSync(file, 'utf8').trim();
  return t || undefined;
}

/** The settings of one resolution: explicit options first, then the environment. */
export function hubSettings(o: HubOptions = {}, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const token = o.token ?? (env.HF_TOKEN?.trim() || undefined) ?? storedToken(env);
  return {
    endpoint: (o.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    token,
    cacheDir: o.cacheDir ?? env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? join(hfHome(env), 'hub'),
    offline: o.offline ?? TRUE.has((env.HF_HUB_OFFLINE ?? '').trim().toLowerCase()),
    quiet: o.quiet ?? false,
    log: o.log ?? (() => {}),
    fetch: o.fetch ?? globalThis.fetch,
  };
}
