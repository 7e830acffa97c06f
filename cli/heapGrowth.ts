import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 may grow the heap past what the last full collection kept, in percent, for the commands that index.
 * An index run's coordinator turns over the chunk texts and tokens of every batch it writes; left to its own
 * growth factor (up to 4×), V8 let that garbage reach 237 MB in a cold index of the bench corpus (a collection
 * there kept 57 MB), and the process peaked at 602–708 MB. Bounded at 25 it peaked at 559–583 MB, the main heap
 * at 101–111 MB, wall and CPU time within the runs' spread; 50 and 100 gave 574 and 607 MB
 * (bench/speed/NOTES.md, "Vectors read a page at a time").
 */
export const INDEXING_HEAP_GROWTH_PERCENT = 25;

let applied = false;

/**
 * Bounds V8's heap growth for the rest of this process (`--heap-growing-percent`, read at each collection, so it
 * takes effect when set after start), unless node was started with one. The CLI owns its process; the engine
 * never calls this, so a program or editor that embeds the engine keeps its own heap settings.
 */
export function boundHeapGrowthForIndexing(): void {
  // A growth given to node itself (`node --heap-growing-percent=N`) wins.
  if (applied || process.execArgv.some((flag) => /^--heap[-_]growing[-_]percent/.test(flag))) return;
  setFlagsFromString(`--heap-growing-percent=${INDEXING_HEAP_GROWTH_PERCENT}`);
  applied = true;
}
