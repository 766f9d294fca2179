// The second half of the confined Python program (confine-source.ts is the first): the protocol
// and the three ways a process is used. 'serve' loads a sample and calls its entry point for each
// request; 'check' runs a task's tests against a stub whose every call crosses to the serving
// process and back as data; 'io' runs a sample as a whole program on stdin. The sample and the
// tests never share a process, so the sample can neither see the expected values nor touch the
// assertion that compares them: the checker decodes each answer into plain builtins (exact
// types, no __eq__ a sample wrote) before any test looks at it.
import { CONFINE_SOURCE } from './confine-source.js';

const RUNNER_SOURCE = String.raw`# Protocol: one setup line (JSON) on fd 3, then, for 'serve' and 'check', one message per line
# on fd 3 in and fd 4 out. The first line this process writes on fd 4 names the walls in force,
# and it is written before any untrusted code runs.
import base64, builtins, json, math

CTL_IN = os.fdopen(3, 'rb')

def send(msg):
    data = (json.dumps(msg) + '\n').encode()
    while data:
        data = data[os.write(4, data):]

class NotData(Exception):
    pass

# The wire: JSON where str, bool, None, int and finite float stand for themselves and everything
# else is a list tagged by its first element. Exact types only, so that what a checker decodes
# is always a plain builtin whose == no sample wrote.
def encode(v, depth=0):
    if depth > 100:
        raise NotData('it is nested more than 100 deep')
    t = type(v)
    if v is None or t is bool or t is str or t is int:
        return v
    if t is float:
        return v if math.isfinite(v) else ['f', repr(v)]
    inner = lambda x: encode(x, depth + 1)
    if t is list:
        return ['l', [inner(x) for x in v]]
    if t is tuple:
        return ['t', [inner(x) for x in v]]
    if t is dict:
        return ['d', [[inner(k), inner(x)] for k, x in v.items()]]
    if t is set or t is frozenset:
        return ['s' if t is set else 'fs', [inner(x) for x in v]]
    if t is bytes:
        return ['b', base64.b64encode(v).decode()]
    if t is complex:
        return ['c', inner(v.real), inner(v.imag)]
    raise NotData('a value of type %s is not plain data' % t.__name__)

def decode(w, depth=0):
    if depth > 100:
        raise NotData('it is nested more than 100 deep')
    t = type(w)
    if w is None or t is bool or t is str or t is int or t is float:
        return w
    if t is not list or not w or type(w[0]) is not str:
        raise NotData('malformed wire value')
    tag, inner = w[0], lambda x: decode(x, depth + 1)
    if tag == 'f' and w[1] in ('nan', 'inf', '-inf'):
        return float(w[1])
    if tag in ('l', 't', 's', 'fs') and type(w[1]) is list:
        items = [inner(x) for x in w[1]]
        return {'l': list, 't': tuple, 's': set, 'fs': frozenset}[tag](items)
    if tag == 'd' and type(w[1]) is list:
        return {inner(k): inner(x) for k, x in w[1]}
    if tag == 'b' and type(w[1]) is str:
        return base64.b64decode(w[1])
    if tag == 'c':
        return complex(inner(w[1]), inner(w[2]))
    raise NotData('malformed wire value')

def describe(e):
    text = str(e)
    return type(e).__name__ + (': ' + text[:300] if text else '')

def load(code, name):
    """Compiles and runs the sample; a message for fd 4 when it cannot serve."""
    try:
        compiled = compile(code, 'solution.py', 'exec')
    except BaseException as e:
        return None, {'load': 'error', 'detail': 'does not compile: ' + describe(e)}
    ns = {'__name__': name, '__builtins__': builtins}
    try:
        exec(compiled, ns)
    except MemoryError:
        return None, {'load': 'memory', 'detail': 'MemoryError while loading'}
    except BaseException as e:
        return None, {'load': 'error', 'detail': 'raised while loading: ' + describe(e)}
    return ns, None

def serve(s):
    ns, failed = load(s['code'], '__sample__')
    fn = ns.get(s['entry']) if ns is not None else None
    if failed is None and not callable(fn):
        failed = {'load': 'error', 'detail': 'the program does not define %s()' % s['entry']}
    if failed is not None:
        return send(failed)
    send({'load': 'ok'})
    for line in CTL_IN:
        try:
            args, kwargs = decode(json.loads(line)['call'])
            out = fn(*args, **kwargs)
            reply = {'ok': encode(out)}
        except NotData as e:
            reply = {'raise': ['TypeError', 'returned a value that cannot leave the sandbox: %s' % e]}
        except MemoryError:
            reply = {'memory': 'MemoryError'}
        except BaseException as e:
            reply = {'raise': [type(e).__name__, str(e)[:300]]}
        send(reply)

def run_io(s):
    try:
        compiled = compile(s['code'], 'solution.py', 'exec')
    except BaseException as e:
        send({'compile': describe(e)})
        os._exit(1)
    try:
        exec(compiled, {'__name__': '__main__', '__builtins__': builtins})
    except MemoryError:
        send({'memory': 'MemoryError'})
        os._exit(1)

class SampleFailure(Exception):
    pass

def run_check(s):
    calls = 0
    def candidate(*args, **kwargs):
        nonlocal calls
        calls += 1
        try:
            wire = encode([list(args), kwargs])
        except NotData as e:
            raise TypeError('an argument cannot be passed into the sandbox: %s' % e)
        send({'call': wire})
        reply = json.loads(CTL_IN.readline())
        if 'ok' in reply:
            return decode(reply['ok'])
        if 'memory' in reply:
            raise SampleFailure('memory')
        name, text = reply['raise']
        kind = getattr(builtins, name, None)
        if isinstance(kind, type) and issubclass(kind, Exception) and not issubclass(kind, AssertionError):
            raise kind(text)
        raise RuntimeError('%s: %s' % (name, text))
    ns = {'__name__': '__check__', '__builtins__': builtins, s['entry']: candidate}
    try:
        exec(compile(s['tests'], 'tests.py', 'exec'), ns)
        if callable(ns.get('check')):
            ns['check'](candidate)
    except SampleFailure:
        return send({'verdict': 'memory', 'detail': 'the program ran out of memory', 'calls': calls})
    except AssertionError as e:
        return send({'verdict': 'fail', 'detail': 'assertion failed' + (': ' + str(e)[:300] if str(e) else '') + where(e), 'calls': calls})
    except BaseException as e:
        return send({'verdict': 'fail', 'detail': describe(e) + where(e), 'calls': calls})
    send({'verdict': 'pass' if calls else 'error', 'detail': '%d calls' % calls if calls else 'the tests never called %s' % s['entry'], 'calls': calls})

def where(e):
    tb = e.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == 'tests.py':
            line = tb.tb_lineno
        tb = tb.tb_next
    return '' if line is None else ' (tests line %d)' % line

def main():
    setup = json.loads(CTL_IN.readline())
    send({'ready': confine(setup)})
    if setup['mode'] == 'serve':
        serve(setup)
    elif setup['mode'] == 'check':
        run_check(setup)
    elif setup['mode'] == 'io':
        run_io(setup)
    elif setup['mode'] == 'probe':
        import fractions, decimal, heapq
        send({'probe': sys.version.split()[0]})

main()
`;

/** The whole program, passed with `python3 -c`. */
export const PYTHON_PROGRAM = `${CONFINE_SOURCE}\n${RUNNER_SOURCE}`;
