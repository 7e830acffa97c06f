/**
 * Two processes opening the same new cache at once (the extension and a CLI
 * `search`, or two terminals) both run the schema migrations: the second one
 * must see the first one's work, not fail on "table meta already exists".
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SCHEMA_VERSION } from '../../engine/store/schema.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { tempDir } from '../helpers.js';
import { recordFault } from './faultRecord.js';

const dir = tempDir('codegraph-concurrent-open-');
after(() => dir.cleanup());

const TRIALS = 10;

describe('opening a new cache from several connections at once', () => {
  it(`migrates it once and opens it everywhere, in ${TRIALS} trials of 4 connections`, async () => {
    const failures: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const path = join(dir.path, `trial-${trial}`, 'index.sqlite');
      const opened = await Promise.allSettled(Array.from({ length: 4 }, () => WorkspaceStore.open(path)));
      for (const result of opened) {
        if (result.status === 'rejected') failures.push(`trial ${trial}: ${(result.reason as Error).message}`);
        else {
          const version = (await result.value.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version;
          if (version !== SCHEMA_VERSION) failures.push(`trial ${trial}: schema v${version}`);
          await result.value.close();
        }
      }
    }
    recordFault({
      fault: 'hostile-concurrent-first-open',
      description: `Four connections open the same new cache file at once (as two processes starting together do), ${TRIALS} times`,
      trials: TRIALS,
      survived: TRIALS - new Set(failures.map((failure) => failure.split(':')[0])).size,
      lost: failures.length === 0 ? 'nothing' : [...new Set(failures)].slice(0, 5).join(' | '),
    });
    assert.deepEqual(failures, []);
  });
});
