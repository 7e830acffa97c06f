import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seededRandom } from '../../engine/random/index.js';
import { essentialTerms, firstPassTerms, termScoreBound } from '../../engine/store/lexicalTopK.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { tempDir } from '../helpers.js';
import { generatedFiles, WORDS } from './lexicalFixtures.js';

describe('pruned BM25 top-k (lexicalSearch)', () => {
  const dir = tempDir();
  let store: WorkspaceStore;
  before(async () => {
    store = await WorkspaceStore.open(join(dir.path, 'index.sqlite'));
    await store.writeBatch('m1', generatedFiles(150), [], []);
  });
  after(async () => {
    await store.close();
    dir.cleanup();
  });

  it('returns exactly the rows, scores and order of scoring every matched row', async () => {
    const random = seededRandom(7);
    let compared = 0;
    for (let trial = 0; trial < 120; trial++) {
      const terms = [...new Set(Array.from({ length: 2 + Math.floor(random() * 4) }, () => WORDS[Math.floor(random() * WORDS.length)]!))];
      const limit = [1, 3, 10, 25, 80, 400][trial % 6]!;
      const pruned = await store.lexicalSearch(terms, limit);
      const exhaustive = await store.exhaustiveLexicalSearch(terms, limit);
      assert.deepEqual(pruned, exhaustive, `terms ${terms.join(' ')}, limit ${limit}`);
      compared += exhaustive.length;
    }
    assert.ok(compared > 5000, `only ${compared} rows compared`);
  });

  it('bounds every term by more than FTS5 ever scores it', async () => {
    const rows = (await store.counts('m1')).chunks;
    for (const word of WORDS) {
      const hits = await store.exhaustiveLexicalSearch([word], 1000);
      assert.ok(hits.length > 0, word);
      assert.ok(hits[0]!.score < termScoreBound(rows, hits.length), `${word}: ${hits[0]!.score} ≥ bound ${termScoreBound(rows, hits.length)}`);
    }
  });

  it('ignores terms no row holds, and finds nothing for them alone', async () => {
    assert.deepEqual(await store.lexicalSearch(['zebra', 'quagga'], 10), []);
    assert.deepEqual(await store.lexicalSearch(['inotify', 'zebra'], 10), await store.exhaustiveLexicalSearch(['inotify', 'zebra'], 10));
  });
});

describe('pruning plan', () => {
  it('scores the rarest terms first, until they hold twice the limit', () => {
    const hits = [{ term: 'read', rows: 900 }, { term: 'inotify', rows: 12 }, { term: 'socket', rows: 40 }, { term: 'none', rows: 0 }];
    assert.deepEqual(firstPassTerms(hits, 10), ['inotify', 'socket']);
    assert.deepEqual(firstPassTerms(hits, 100), ['inotify', 'socket', 'read']);
  });

  it('drops the lowest-bound terms whose bounds together stay below the threshold', () => {
    const hits = [{ term: 'common', rows: 5000 }, { term: 'frequent', rows: 4000 }, { term: 'rare', rows: 10 }];
    const bound = (rows: number) => termScoreBound(10_000, rows);
    assert.deepEqual(essentialTerms(hits, 10_000, 0), ['common', 'frequent', 'rare']);
    assert.deepEqual(essentialTerms(hits, 10_000, bound(5000) + 1e-6), ['frequent', 'rare']);
    assert.deepEqual(essentialTerms(hits, 10_000, bound(5000) + bound(4000) + 1e-6), ['rare']);
    // A term in half the rows or more still counts a little (FTS5 floors its idf at 1e-6).
    assert.ok(termScoreBound(100, 80) > 0);
  });
});
