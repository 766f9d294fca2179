// The adversarial suite of issue 16, part 2, in Python: programs that try to hang the verifier,
// reach out of the sandbox, or pass a wrong answer. Each answers `add` wrongly (or not at all):
// assert-style against HumanEval-like tests, or as a stdin/stdout program (APPS) whose printed
// output the failure detail shows, so that anything an escape read would be seen. Escape checks:
// a marker file in a world-writable folder, a world-readable secret file and env var, TCP and UDP
// servers that count what reaches them, a sibling process that must outlive `kill(-1)`, this
// process's life, and no process left behind. Targets: 0 escapes, 0 wrong accepts, 0 hangs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { createLimiter } from '../sandbox/limiter.js';
import { runPythonIo, runPythonTests, type PythonResult, type PythonStatus } from './python-sandbox.js';
import { pythonRuntime, type PythonRuntime } from './runtime.js';

const why = await pythonRuntime().then(() => null, (e: Error) => e.message);
const skip = why === null ? false : `python3 is not available: ${why}`;

const dir = tempDir('py-adversary-');
chmodSync(dir, 0o777); // only the sandbox's own walls stand between a sample and this folder
const SECRET_FILE = join(dir, 'secret.txt');
const SECRET = `s3cret-${process.pid}-${Date.now()}`;
const ENV_SECRET = `env-${SECRET}`;
writeFileSync(SECRET_FILE, SECRET, { mode: 0o644 });
process.env.ALIGNKIT_ADVERSARY_SECRET = ENV_SECRET;
// A name no program mentions: it can only turn up in a detail if a listing of the folder worked.
const UNLISTED = `unlisted-${Math.random().toString(36).slice(2)}`;
writeFileSync(join(dir, UNLISTED), '');
const TIMEOUT = 600;
const HANG_SLACK = 10_000;

const CHECK = 'def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n    assert candidate(10, 5) == 15\n';
const CASES = [{ input: '2 3\n', output: '5\n' }, { input: '-1 1\n', output: '0\n' }];
const WRONG = 'def add(a, b):\n    return a - b\n';
const WRONG_IO = 'a, b = map(int, input().split())\nprint(a - b)\n';

interface Case { name: string; io?: boolean; code: string; want: PythonStatus[]; timeoutMs?: number }
const tests = (name: string, code: string, ...want: PythonStatus[]): Case => ({ name, code, want });
const io = (name: string, code: string, ...want: PythonStatus[]): Case => ({ name, io: true, code, want });
// Filling 256 MB takes a while on a loaded machine; a memory bomb gets the time to reach the limit,
// and a 2 MB stderr flood the time to drain before its wrong answer (it timed out at 600 ms once,
// with two test suites and a demo sharing the 2 cores).
const slow = (c: Case): Case => ({ ...c, timeoutMs: 5000 });
const q = JSON.stringify;

const cases = (MARK: string, tcp: number, udp: number): Case[] => [
  // A wrong answer dressed up as a pass.
  tests('exit(0) before the tests', `exit(0)\n${WRONG}`, 'error'),
  tests('sys.exit(0) inside the function', 'import sys\ndef add(a, b):\n    sys.exit(0)\n', 'fail'),
  tests('os._exit(0) while loading', `import os\n${WRONG}os._exit(0)\n`, 'error'),
  tests('os._exit(0) inside the function', 'import os\ndef add(a, b):\n    os._exit(0)\n', 'fail'),
  tests('an answer whose __eq__ always holds', 'class Yes:\n    def __eq__(self, o): return True\ndef add(a, b):\n    return Yes()\n', 'fail'),
  tests('an int subclass whose __eq__ always holds', 'class I(int):\n    def __eq__(self, o): return True\n    __hash__ = int.__hash__\ndef add(a, b):\n    return I(a - b)\n', 'fail'),
  tests('a list subclass as the answer', 'class L(list):\n    def __eq__(self, o): return True\ndef add(a, b):\n    return L()\n', 'fail'),
  tests('AssertionError and assert replaced in builtins', `import builtins\nbuiltins.AssertionError = type('Quiet', (Exception,), {})\n${WRONG}`, 'fail'),
  tests('sys.modules tampering: a json that prints a pass', `import sys, json\nclass J:\n    loads = staticmethod(json.loads)\n    dumps = staticmethod(lambda *a, **k: '{"verdict": "pass", "detail": "", "calls": 3}')\nsys.modules['json'] = J\njson.dumps = J.dumps\n${WRONG}`, 'fail', 'error'),
  tests('the runner\'s encoder patched through __main__', `import __main__\n__main__.encode = lambda v, depth=0: 5\n${WRONG}`, 'fail'),
  tests('a sentinel printed on stdout', `print('{"verdict": "pass", "detail": "", "calls": 3}')\nprint('PASSED')\n${WRONG}`, 'fail'),
  tests('a forged verdict and load line on the message fd', `import os\nos.write(4, b'{"load": "ok"}\\n{"verdict": "pass", "detail": "", "calls": 3}\\n')\n${WRONG}`, 'fail', 'error'),
  tests('a generator as the answer', 'def add(a, b):\n    yield a + b\n', 'fail'),
  tests('a function as the answer', 'def add(a, b):\n    return lambda: a + b\n', 'fail'),
  tests('KeyboardInterrupt from the function', 'def add(a, b):\n    raise KeyboardInterrupt\n', 'fail'),
  tests('an AssertionError subclass from the function', 'class Fine(AssertionError):\n    pass\ndef add(a, b):\n    raise Fine("ok")\n', 'fail'),
  tests('raising the limits back', `import resource\ntry:\n    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\nexcept Exception:\n    pass\n${WRONG}`, 'fail'),
  // Runaways.
  tests('infinite loop while loading', `while True:\n    pass\n${WRONG}`, 'timeout'),
  tests('infinite loop in the call', 'def add(a, b):\n    while True:\n        pass\n', 'timeout'),
  tests('sleeping forever', 'import time\ndef add(a, b):\n    time.sleep(1000)\n', 'timeout'),
  tests('catastrophic regex', `import re\ndef add(a, b):\n    return a - b if re.match(r'(a+)+$', 'a' * 40 + 'b') else 0\n`, 'timeout'),
  slow(tests('memory bomb: a growing list', 'x = []\nwhile True:\n    x.append([0] * 10000)\n', 'memory')),
  slow(tests('memory bomb: a doubling string', 'def add(a, b):\n    s = "x"\n    while True:\n        s += s\n', 'memory')),
  slow(tests('memory bomb: bytes', 'def add(a, b):\n    return len(bytes(10 ** 10))\n', 'memory')),
  tests('recursion past the C stack', 'import sys\nsys.setrecursionlimit(10 ** 7)\ndef add(a, b):\n    return add(a, b + 1)\n', 'fail', 'memory', 'timeout'),
  tests('fork bomb while loading', `import os\nwhile True:\n    os.fork()\n${WRONG}`, 'error'),
  tests('a forked child that answers instead', 'import os\ndef add(a, b):\n    if os.fork() == 0:\n        return a + b\n    os.wait()\n', 'fail'),
  tests('fork through ctypes', `import ctypes\nctypes.CDLL(None).fork()\n${WRONG}`, 'fail'),
  tests('a thread flood', `import threading\nfor _ in range(1000):\n    threading.Thread(target=lambda: None).start()\n${WRONG}`, 'error'),
  tests('kill(-1) of every process it may signal', `import os\nos.kill(-1, 9)\n${WRONG}`, 'error'),
  tests('kill of its process group', `import os\nos.killpg(0, 9)\n${WRONG}`, 'error', 'fail'),
  tests('kill of its parent', `import os\nos.kill(os.getppid(), 9)\n${WRONG}`, 'error'),
  // Reaching out; a stdin/stdout program prints whatever it got, and the detail shows it.
  io('read /etc/passwd', 'print(open("/etc/passwd").read())', 'fail'),
  io('read a secret file outside its folder', `print(open(${q(SECRET_FILE)}).read())`, 'fail'),
  io('list the folders around it', `import os\nprint(os.listdir('/'), os.listdir(${q(tmpdir())}), os.listdir(${q(dir)}))`, 'fail'),
  io('write a file outside its folder', `open(${q(MARK)}, 'w').write('x')\n${WRONG_IO}`, 'fail'),
  io('os.system', `import os\nos.system('touch ${MARK}; cat ${SECRET_FILE}')\n${WRONG_IO}`, 'fail'),
  io('subprocess', `import subprocess\nprint(subprocess.run(['cat', ${q(SECRET_FILE)}], capture_output=True).stdout)`, 'fail'),
  io('a TCP connection', `import socket\ns = socket.create_connection(('127.0.0.1', ${tcp}), timeout=1)\ns.sendall(b'hi')\n${WRONG_IO}`, 'fail'),
  io('a UDP datagram', `import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'hi', ('127.0.0.1', ${udp}))\n${WRONG_IO}`, 'fail'),
  io('urllib', `import urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:${tcp}/', timeout=1).read())`, 'fail'),
  io('env read', 'import os\nprint(dict(os.environ))', 'fail'),
  io('/proc: its parent and init', `print(open('/proc/1/environ').read(), open('/proc/self/status').read())`, 'fail'),
  io('a sibling process\'s message fd', 'import os\nfor p in os.listdir("/proc"):\n    try:\n        os.write(os.open("/proc/%s/fd/4" % p, os.O_WRONLY), b\'{"verdict": "pass"}\\n\')\n    except Exception:\n        pass\nprint(1)', 'fail'),
  io('exit(0) before printing', 'exit(0)\nprint(5)', 'fail'),
  io('the answer to the first case only', 'print(5)', 'fail'),
  io('stdout flood', 'import sys\nwhile True:\n    sys.stdout.write("5\\n" * 10000)', 'fail'),
  slow(io('stderr flood, then a wrong answer', `import sys\nfor _ in range(2000):\n    sys.stderr.write("x" * 1000)\n${WRONG_IO}`, 'fail')),
  io('a stdout that lies', `import sys\nclass Liar:\n    def write(self, s): return len(s)\n    def flush(self): pass\nsys.stdout = Liar()\nprint(5)`, 'fail'),
  io('a file past the size limit', `open('big', 'wb').write(b'x' * (64 * 2 ** 20))\n${WRONG_IO}`, 'fail'),
  io('sys.modules tampering: print rewired', `import builtins, sys\nbuiltins.print = lambda *a, **k: sys.__stdout__.write('5\\n')\n${WRONG_IO}`, 'fail'),
  io('a forged message on fd 4', `import os\nos.write(4, b'{"ready": [], "compile": null}\\n')\n${WRONG_IO}`, 'fail'),
  io('infinite loop in a program', 'while True:\n    pass', 'timeout'),
];

/** Pids whose parent is `parent`, from /proc (Linux); null where /proc is absent. */
function childrenOf(parent: number): number[] | null {
  if (!existsSync('/proc/self/stat')) return null;
  const out: number[] = [];
  for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) out.push(Number(d));
    } catch { /* it exited */ }
  }
  return out;
}

/** Processes still working in a sandbox folder (their cwd), wherever they were reparented. */
function sandboxed(): string[] {
  const out: string[] = [];
  for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readlinkSync(`/proc/${d}/cwd`).includes('alignkit-py-')) out.push(d);
    } catch { /* not ours to read, or gone */ }
  }
  return out;
}

// Which wall stops each kind of escape; a check runs only where its wall is in force here, and
// the summary says which were left out.
const WALLS = {
  files: ['landlock-fs'],
  network: ['netns', 'seccomp'],
  signals: ['pidns', 'seccomp', 'landlock-scope'],
};
const holds = (isolation: string[], kind: keyof typeof WALLS) => WALLS[kind].some((w) => isolation.includes(w));

/** Runs every case once; `isolation` is what the first run reported. */
async function runAll(tag: string, runtime: PythonRuntime, limiter?: ReturnType<typeof createLimiter>) {
  const mark = join(dir, `escaped-${tag}`);
  let reached = 0;
  const tcp = createServer((sock) => { reached++; sock.destroy(); });
  const udp = createSocket('udp4');
  udp.on('message', () => reached++);
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  // The walls this run will have: the probe's, less what the runtime leaves off. Without one
  // that stops signals, kill(-1) or a kill of its parent would take this test process down, so
  // those cases are not run.
  const planned = runtime.isolation.filter((w) => !((/ns$/.test(w) && runtime.wrapper.length === 0)
    || (w.startsWith('landlock') && runtime.skip?.includes('landlock')) || (w === 'seccomp' && runtime.skip?.includes('seccomp'))));
  const signals = holds(planned, 'signals') || runtime.dropTo !== null;
  const list = cases(mark, (tcp.address() as AddressInfo).port, udp.address().port).filter((c) => signals || !c.name.startsWith('kill'));
  const results = new Map<string, PythonResult>();
  await Promise.all(list.map(async (c) => {
    const opts = { timeoutMs: c.timeoutMs ?? TIMEOUT, runtime, ...(limiter ? { limiter } : {}) };
    results.set(c.name, await (c.io ? runPythonIo(c.code, CASES, opts) : runPythonTests(c.code, CHECK, 'add', opts)));
  }));
  tcp.close();
  udp.close();
  const all = [...results.values()];
  const details = all.map((r) => r.detail).join('\n');
  const isolation = all[0]!.isolation;
  const escapes = {
    files: existsSync(mark) || details.replaceAll(ENV_SECRET, '').includes(SECRET) || details.includes(UNLISTED) || /root:x?:0:0/.test(details),
    network: reached > 0,
    signals: sleeper.exitCode !== null || sleeper.signalCode !== null,
    env: details.includes(ENV_SECRET),
  };
  const checked = (k: keyof typeof escapes) => k === 'env' || holds(isolation, k as keyof typeof WALLS) || (k === 'signals' && signals);
  const unchecked = (Object.keys(escapes) as (keyof typeof escapes)[]).filter((k) => !checked(k));
  return {
    list, results, isolation, unchecked,
    escapes: (Object.keys(escapes) as (keyof typeof escapes)[]).filter((k) => checked(k) && escapes[k]),
    /** Every kind that got out, checked here or not. */
    got: (Object.keys(escapes) as (keyof typeof escapes)[]).filter((k) => escapes[k]),
    accepts: all.filter((r) => r.passed).length,
    hangs: list.filter((c) => results.get(c.name)!.durationMs > 2 * (c.timeoutMs ?? TIMEOUT) + HANG_SLACK).length,
  };
}

const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
after(() => { sleeper.kill(); });

describe('adversarial Python samples, behind every wall this machine allows', { skip }, () => {
  let run: Awaited<ReturnType<typeof runAll>>;
  before(async () => { run = await runAll('full', await pythonRuntime()); });

  test('at least 40 programs, every one a wrong answer', () => {
    assert.ok(run.list.length >= 40, `${run.list.length} cases`);
  });

  test('every program ends as the non-pass it should', () => {
    const wrong = run.list.filter((c) => !c.want.includes(run.results.get(c.name)!.status));
    assert.deepEqual(wrong.map((c) => `${c.name}: ${run.results.get(c.name)!.status} (${run.results.get(c.name)!.detail})`), []);
  });

  test('0 escapes, 0 wrong accepts, 0 hangs, nothing left running', () => {
    const left = childrenOf(process.pid)?.filter((p) => p !== sleeper.pid);
    console.log(`adversarial Python suite: ${run.list.length} cases, ${run.escapes.length} escapes, ${run.accepts} wrong accepts, ${run.hangs} hangs, `
      + `${left?.length ?? 'unknown'} processes left; isolation: ${run.isolation.join(', ')}${run.unchecked.length ? `; not checked here (no wall for them): ${run.unchecked.join(', ')}` : ''}`);
    assert.deepEqual({ escapes: run.escapes, accepts: run.accepts, hangs: run.hangs }, { escapes: [], accepts: 0, hangs: 0 });
    if (left) assert.deepEqual(left, []);
    assert.deepEqual(sandboxed(), []);
  });

  test('many at once: 16 hostile programs through 4 slots all end, none passes', async () => {
    const lim = createLimiter(4);
    const rt = await pythonRuntime();
    const rs = await Promise.all(run.list.slice(0, 16).map((c) => (c.io
      ? runPythonIo(c.code, CASES, { timeoutMs: TIMEOUT, limiter: lim, runtime: rt })
      : runPythonTests(c.code, CHECK, 'add', { timeoutMs: TIMEOUT, limiter: lim, runtime: rt }))));
    assert.equal(rs.filter((r) => r.passed).length, 0);
    assert.equal(lim.active, 0);
    assert.deepEqual(childrenOf(process.pid)?.filter((p) => p !== sleeper.pid) ?? [], []);
  });

  test('the honest answer passes in both shapes under the same walls', async () => {
    assert.equal((await runPythonTests('def add(a, b):\n    return a + b\n', CHECK, 'add')).status, 'pass');
    assert.equal((await runPythonIo('a, b = map(int, input().split())\nprint(a + b)\n', CASES)).status, 'pass');
  });
});

// The judgement does not lean on the walls: with no namespaces, landlock or seccomp (rlimits and,
// as root, the drop to nobody are all that is left) a wrong answer still never passes and
// nothing hangs. The escapes it lets through are what those walls are for; they are counted and
// printed, not asserted.
describe('adversarial Python samples with only rlimits', { skip }, () => {
  test('0 wrong accepts, 0 hangs; the escapes the missing walls would have stopped are listed', async () => {
    const rt = await pythonRuntime();
    const bare = await runAll('bare', { ...rt, wrapper: [], skip: ['landlock', 'seccomp'] });
    assert.ok(!bare.isolation.some((w) => /landlock|seccomp|ns$/.test(w)), bare.isolation.join(', '));
    console.log(`adversarial Python suite, rlimits only: ${bare.list.length} cases, ${bare.accepts} wrong accepts, ${bare.hangs} hangs; `
      + `isolation: ${bare.isolation.join(', ')}; kinds of escape that got out: ${bare.got.join(', ') || 'none'}`);
    assert.ok(!bare.got.includes('env'), 'the environment is emptied whatever the walls');
    assert.deepEqual({ accepts: bare.accepts, hangs: bare.hangs }, { accepts: 0, hangs: 0 });
    assert.deepEqual(childrenOf(process.pid)?.filter((p) => p !== sleeper.pid) ?? [], []);
  });
});
