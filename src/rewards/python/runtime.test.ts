import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pythonRuntime, PythonUnavailableError } from './runtime.js';

const why = await pythonRuntime().then(() => null, (e: Error) => e.message);

test('an interpreter that does not exist is refused, saying what was tried', async () => {
  await assert.rejects(pythonRuntime('/nonexistent/python3'), (e: unknown) =>
    e instanceof PythonUnavailableError && /tried \/nonexistent\/python3: .*ENOENT/.test(e.message) && /ALIGNKIT_PYTHON/.test(e.message));
});

describe('the probed runtime', { skip: why === null ? false : `python3 is not available: ${why}` }, () => {
  test('names a real interpreter, its version and the walls it found; root runs samples as nobody', async () => {
    const rt = await pythonRuntime();
    assert.match(rt.python, /^\//);
    assert.match(rt.version, /^3\.\d+/);
    assert.ok(rt.isolation.includes('rlimits'));
    assert.equal(rt.dropTo, process.getuid?.() === 0 ? 65534 : null);
    assert.equal(rt.isolation.includes('uid 65534'), rt.dropTo !== null);
    // A namespace wrapper is kept only when the probe saw its namespaces.
    if (rt.wrapper.length > 0) assert.ok(rt.isolation.includes('netns') && rt.isolation.includes('pidns'), rt.isolation.join(', '));
    console.log(`python runtime: ${rt.python} ${rt.version}; wrapper: ${rt.wrapper.join(' ') || 'none'}; isolation: ${rt.isolation.join(', ')}`);
  });

  test('the same answer twice: probed once and cached', async () => {
    assert.equal(await pythonRuntime(), await pythonRuntime());
  });
});
