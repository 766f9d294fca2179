// Which python3 runs samples here, and behind which walls. Found once per process by probing:
// each candidate interpreter is run, confined exactly as a sample would be, first under fresh
// namespaces (`unshare`: network, pid and mount; a user namespace too when this process is not
// root), then without; the first that starts and can still import from its standard library
// wins. The probe reports the walls that held (confine-source.ts), and so does every verdict.
// When this process is root, samples run as nobody (65534): root could lift its own limits. A
// pyenv shim resolves to the real interpreter, which must then be readable by that uid.
import { spawnSync } from 'node:child_process';
import { startConfined, type Launch, type Limits } from './confined-process.js';

export interface PythonRuntime extends Launch {
  /** The walls the probe found in force: netns, pidns, uid 65534, rlimits, landlock-fs, landlock-tcp, landlock-scope, seccomp. */
  isolation: string[];
  /** The interpreter's version, e.g. 3.11.2. */
  version: string;
}

/** No usable python3: the message says what was tried and why each failed. */
export class PythonUnavailableError extends Error {
  override name = 'PythonUnavailableError';
}

const NOBODY = 65534;
const PROBE_LIMITS: Limits = { cpuSeconds: 10, memoryBytes: 512 * 2 ** 20, fileBytes: 2 ** 20, processes: 8 };
const PROBE_TIMEOUT_MS = 20_000;

const cache = new Map<string, Promise<PythonRuntime>>();

/**
 * The runtime for `python` (a command or path), else $ALIGNKIT_PYTHON, else python3 or
 * /usr/bin/python3. Probed on first use and cached; rejects with PythonUnavailableError.
 */
export function pythonRuntime(python?: string): Promise<PythonRuntime> {
  const key = python ?? process.env.ALIGNKIT_PYTHON ?? '';
  let found = cache.get(key);
  if (!found) {
    found = probe(key === '' ? ['python3', '/usr/bin/python3'] : [key]);
    cache.set(key, found);
  }
  return found;
}

async function probe(candidates: string[]): Promise<PythonRuntime> {
  const root = process.getuid?.() === 0;
  // --kill-child: when the unshare process is killed, so is the namespace's first process, and
  // with it every process in the namespace.
  const unshare = ['unshare', '--net', '--pid', '--fork', '--kill-child', '--mount', '--mount-proc', ...(root ? [] : ['--map-root-user'])];
  const tried: string[] = [];
  for (const candidate of [...new Set(candidates)]) {
    const python = resolveInterpreter(candidate, tried);
    if (python === null) continue;
    for (const wrapper of [unshare, []]) {
      const launch: Launch = { python, wrapper, dropTo: root ? NOBODY : null };
      const r = await tryLaunch(launch);
      if ('version' in r) return { ...launch, isolation: r.isolation, version: r.version };
      tried.push(`${wrapper.length ? 'unshare + ' : ''}${python}: ${r.why}`);
    }
  }
  const asRoot = root ? ` (as root, samples run as uid ${NOBODY}, which must be able to read the interpreter and its library)` : '';
  throw new PythonUnavailableError(`no usable python3 for the Python verifier; tried ${tried.join('; ')}. Install python3 (3.8 or later), or name one with ALIGNKIT_PYTHON${asRoot}`);
}

/** The real path of the interpreter a command runs, or null (with the reason in `tried`). */
function resolveInterpreter(command: string, tried: string[]): string | null {
  const r = spawnSync(command, ['-I', '-c', 'import sys; print(sys.executable); print(sys.version_info >= (3, 8))'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  if (r.error) { tried.push(`${command}: ${r.error.message}`); return null; }
  const [path, recent] = r.stdout.trim().split('\n');
  if (r.status !== 0 || !path) { tried.push(`${command}: exit ${r.status} ${r.stderr.trim().slice(0, 200)}`); return null; }
  if (recent !== 'True') { tried.push(`${command}: ${path} is older than Python 3.8`); return null; }
  return path;
}

function tryLaunch(launch: Launch): Promise<{ isolation: string[]; version: string } | { why: string }> {
  return new Promise((resolve) => {
    const p = startConfined(launch, { mode: 'probe' }, PROBE_LIMITS);
    let isolation: string[] | null = null;
    const timer = setTimeout(() => p.kill(), PROBE_TIMEOUT_MS);
    p.onMessage((m) => {
      if (Array.isArray(m.ready)) isolation = m.ready.map(String);
      else if (typeof m.probe === 'string' && isolation) resolve({ isolation, version: m.probe });
    });
    void p.exited.then((x) => {
      clearTimeout(timer);
      const last = p.stderr().trim().split('\n').pop()?.slice(0, 200);
      resolve({ why: x.error ?? `ended (${x.signal ?? `exit ${x.code}`}) before it was ready${last ? `: ${last}` : ''}` });
    });
  });
}
