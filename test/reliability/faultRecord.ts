/**
 * Reliability tests record each injected fault as one JSON file in
 * test-artifacts/reliability/<fault>.json; scripts/reliability-report.mjs turns
 * them into the table in docs/reliability.md. Written before the assertions
 * run, so a failing trial is reported as not survived rather than missing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers.js';

export const RELIABILITY_ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'reliability');

export interface FaultRecord {
  /** Stable id, also the file name: `hostile-binary`, `load-concurrent-search`, ... */
  readonly fault: string;
  /** How the fault was injected, in a sentence. */
  readonly description: string;
  readonly trials: number;
  readonly survived: number;
  /** What was lost: "nothing", or what. */
  readonly lost: string;
  readonly details?: Record<string, unknown>;
}

export function recordFault(record: FaultRecord): void {
  mkdirSync(RELIABILITY_ARTIFACTS, { recursive: true });
  writeFileSync(join(RELIABILITY_ARTIFACTS, `${record.fault}.json`), `${JSON.stringify({ details: {}, ...record }, null, 2)}\n`);
}
