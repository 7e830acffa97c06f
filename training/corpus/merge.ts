/**
 * Merges per-package pairs into shards: exact and near-duplicate removal across
 * the whole corpus, then a train/validation split by package.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Pair } from './mine.js';

export const TRAIN_SHARDS = 16;

const KEYWORDS = new Set(('if else elif for while do return def class function func fn let const var new try catch except finally throw throws raise ' +
  'switch case break continue default import from package public private protected static final async await yield in is not and or ' +
  'self this super true false null nil none None True False void int string bool struct enum impl trait match where use mod pub mut ' +
  'interface type extends implements end begin then unless until module lambda with as go defer chan select range map').split(' '));

/** Code with identifiers renamed in order of appearance, literals blanked and whitespace removed. */
export function nearDuplicateKey(kind: string, code: string): string {
  const names = new Map<string, number>();
  const normal = code
    .replace(/"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`/g, 'S')
    .replace(/\b\d[\d_.xXa-fA-F]*\b/g, 'N')
    .replace(/[A-Za-z_$][A-Za-z0-9_$]*/g, (word) => {
      if (KEYWORDS.has(word) || word === 'S' || word === 'N') return word;
      let id = names.get(word);
      if (id === undefined) {
        id = names.size;
        names.set(word, id);
      }
      return `v${id}`;
    })
    .replace(/\s+/g, '');
  return createHash('sha1').update(kind).update('\0').update(normal).digest('base64').slice(0, 16);
}

export function exactKey(pair: Pick<Pair, 'kind' | 'query' | 'code'>): string {
  return createHash('sha1').update(pair.kind).update('\0').update(pair.query).update('\0').update(pair.code).digest('base64').slice(0, 16);
}

/** Deterministic package split: ~validPercent of packages go to validation. */
export function isValidationPackage(packageName: string, validPercent: number): boolean {
  const bucket = parseInt(createHash('sha1').update(packageName).digest('hex').slice(0, 8), 16) % 10000;
  return bucket < validPercent * 100;
}

export interface MergeSummary {
  train: number;
  valid: number;
  trainPackages: number;
  validPackages: number;
  droppedExact: number;
  droppedNear: number;
  byLanguage: Record<string, Record<string, number>>;
  byKind: Record<string, number>;
  byQuerySource: Record<string, number>;
  bySplit: Record<string, Record<string, number>>;
  shards: string[];
}

class ShardWriter {
  private buffer: string[] = [];
  private readonly fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(line: string): void {
    this.buffer.push(line);
    if (this.buffer.length >= 2000) this.flush();
  }
  flush(): void {
    if (this.buffer.length > 0) writeSync(this.fd, this.buffer.join('\n') + '\n');
    this.buffer = [];
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export async function merge(minedFiles: readonly string[], pairsDir: string, validPercent: number): Promise<MergeSummary> {
  const staging = `${pairsDir}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const train = Array.from({ length: TRAIN_SHARDS }, (_unused, index) => new ShardWriter(join(staging, `train-${String(index).padStart(5, '0')}.jsonl`)));
  const valid = new ShardWriter(join(staging, 'valid-00000.jsonl'));
  const summary: MergeSummary = { train: 0, valid: 0, trainPackages: 0, validPackages: 0, droppedExact: 0, droppedNear: 0, byLanguage: {}, byKind: {}, byQuerySource: {}, bySplit: { train: {}, valid: {} }, shards: [] };
  const exact = new Set<string>();
  const near = new Set<string>();
  for (const file of minedFiles) {
    if (!existsSync(file)) continue;
    let packageSplit: 'train' | 'valid' | null = null;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      const pair = JSON.parse(line) as Pair;
      const key = exactKey(pair);
      if (exact.has(key)) {
        summary.droppedExact++;
        continue;
      }
      exact.add(key);
      const nearKey = nearDuplicateKey(pair.kind, pair.code);
      if (near.has(nearKey)) {
        summary.droppedNear++;
        continue;
      }
      near.add(nearKey);
      packageSplit ??= isValidationPackage(pair.package, validPercent) ? 'valid' : 'train';
      const text = JSON.stringify({ query: pair.query, code: pair.code, language: pair.language, package: pair.package, kind: pair.kind, path: pair.path, qsrc: pair.qsrc });
      if (packageSplit === 'valid') {
        valid.write(text);
        summary.valid++;
      } else {
        train[parseInt(createHash('sha1').update(key).digest('hex').slice(0, 6), 16) % TRAIN_SHARDS]!.write(text);
        summary.train++;
      }
      const byLanguage = (summary.byLanguage[pair.language] ??= {});
      byLanguage[pair.kind] = (byLanguage[pair.kind] ?? 0) + 1;
      byLanguage.total = (byLanguage.total ?? 0) + 1;
      summary.byKind[pair.kind] = (summary.byKind[pair.kind] ?? 0) + 1;
      summary.byQuerySource[pair.qsrc] = (summary.byQuerySource[pair.qsrc] ?? 0) + 1;
      const split = summary.bySplit[packageSplit]!;
      split[pair.language] = (split[pair.language] ?? 0) + 1;
    }
    if (packageSplit === 'valid') summary.validPackages++;
    else if (packageSplit === 'train') summary.trainPackages++;
  }
  for (const writer of [...train, valid]) writer.close();
  rmSync(pairsDir, { recursive: true, force: true });
  renameSync(staging, pairsDir);
  summary.shards = readdirSync(pairsDir).sort().map((name) => join(pairsDir, name));
  return summary;
}
