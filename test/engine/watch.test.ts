import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ChangeCoalescer } from '../../engine/watch/coalescer.js';

describe('change coalescing', () => {
  it('turns a storm of events into one batch of distinct paths', async () => {
    const batches: string[][] = [];
    const coalescer = new ChangeCoalescer(async (paths) => void batches.push(paths), 20, 1000);
    for (let i = 0; i < 10_000; i++) coalescer.add(`src/file${i % 5000}.ts`);
    await sleep(80);
    assert.equal(batches.length, 1);
    assert.equal(batches[0]!.length, 5000);
    coalescer.dispose();
  });

  it('flushes by the maximum wait even while events keep coming', async () => {
    const batches: string[][] = [];
    const coalescer = new ChangeCoalescer(async (paths) => void batches.push(paths), 50, 100);
    for (let i = 0; i < 12; i++) {
      coalescer.add(`f${i}`);
      await sleep(15);
    }
    assert.ok(batches.length >= 1);
    coalescer.dispose();
  });

  it('loses no event that arrives while paused or while a batch is running', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const coalescer = new ChangeCoalescer(async (paths) => {
      batches.push(paths);
      if (batches.length === 1) await gate;
    }, 10, 1000);
    coalescer.pause();
    coalescer.add('a');
    await sleep(30);
    assert.equal(batches.length, 0);
    coalescer.resume();
    await sleep(5);
    coalescer.add('b');
    release();
    await coalescer.flush();
    await sleep(30);
    await coalescer.flush();
    assert.deepEqual(batches, [['a'], ['b']]);
    coalescer.dispose();
  });
});
