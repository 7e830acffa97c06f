/**
 * The health check behind "CodeGraph: Run Health Check": model, cache, index
 * and memory, each ok/warn/fail with a reason. Pure: the host gathers the
 * inputs (engine status, SQLite integrity check, memory) and prints the report.
 */
import type { EngineStatus } from '../../engine/index.js';
import type { FolderActivity } from './folderIndex.js';
import { displayModel } from './statusModel.js';

export type HealthLevel = 'ok' | 'warn' | 'fail';

export interface HealthCheck {
  readonly name: string;
  readonly level: HealthLevel;
  readonly detail: string;
}

export interface FolderHealthInput {
  readonly name: string;
  readonly activity: FolderActivity;
  readonly status: EngineStatus | null;
  /** Problems reported by the cache's integrity check; null when it could not run. */
  readonly integrityProblems: readonly string[] | null;
}

export interface MemoryInput {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
}

export interface HealthReport {
  readonly level: HealthLevel;
  readonly checks: readonly HealthCheck[];
}

/** Extension-host memory above which the check warns: the host is shared with every other extension. */
export const MEMORY_WARN_RSS_MB = 3072;
export const MEMORY_WARN_HEAP_MB = 1536;

const worst = (levels: readonly HealthLevel[]): HealthLevel => (levels.includes('fail') ? 'fail' : levels.includes('warn') ? 'warn' : 'ok');

export function assessHealth(folders: readonly FolderHealthInput[], memory: MemoryInput): HealthReport {
  const checks: HealthCheck[] = [];
  for (const folder of folders) {
    const status = folder.status;
    const prefix = folders.length > 1 ? `${folder.name}: ` : '';
    if (!status) {
      checks.push({ name: `${prefix}engine`, level: 'fail', detail: folder.activity.kind === 'failed' ? folder.activity.message : `not open (${folder.activity.kind})` });
      continue;
    }
    if (status.modelError) checks.push({ name: `${prefix}model`, level: 'fail', detail: `lexical-only: model failed to load: ${status.modelError}` });
    else if (status.modelFallback) checks.push({ name: `${prefix}model`, level: 'warn', detail: `using ${displayModel(status.modelId)} instead of ${status.modelFallback.requested}: ${status.modelFallback.reason}` });
    else if (!status.modelId) checks.push({ name: `${prefix}model`, level: 'warn', detail: 'no model configured: lexical-only search' });
    else checks.push({ name: `${prefix}model`, level: 'ok', detail: `${displayModel(status.modelId)} on ${status.device ?? 'cpu'}, ${status.counts.vectorsForModel}/${status.counts.chunks} chunks embedded` });

    const cacheMb = (status.cacheBytes / 1048576).toFixed(1);
    if (folder.integrityProblems === null) checks.push({ name: `${prefix}cache`, level: 'warn', detail: `integrity check could not run; ${cacheMb} MB at ${status.cachePath}` });
    else if (folder.integrityProblems.length > 0) checks.push({ name: `${prefix}cache`, level: 'fail', detail: `integrity problems: ${folder.integrityProblems.slice(0, 3).join('; ')}. Run "CodeGraph: Clear Index".` });
    else if (status.recoveredFromCorruption) checks.push({ name: `${prefix}cache`, level: 'warn', detail: status.recoveredFromCorruption });
    else checks.push({ name: `${prefix}cache`, level: 'ok', detail: `${cacheMb} MB, integrity ok (${status.cachePath})` });

    const activity = folder.activity;
    const indexLevel: HealthLevel = activity.kind === 'failed' ? 'fail' : activity.kind === 'idle' || activity.kind === 'indexing' ? 'ok' : 'warn';
    const indexDetail =
      activity.kind === 'failed' ? activity.message : `${activity.kind}; ${status.counts.files} files, ${status.counts.chunks} chunks; last indexed ${status.lastIndexedAt ?? 'never'}`;
    checks.push({ name: `${prefix}index`, level: indexLevel, detail: indexDetail });

    const errors = status.metrics.errors;
    if (errors > 0) checks.push({ name: `${prefix}errors`, level: 'warn', detail: `${errors} engine errors since start; see the log` });
  }
  const memoryLevel: HealthLevel = memory.rssMb > MEMORY_WARN_RSS_MB || memory.heapUsedMb > MEMORY_WARN_HEAP_MB ? 'warn' : 'ok';
  checks.push({ name: 'memory', level: memoryLevel, detail: `extension host RSS ${memory.rssMb} MB, heap ${memory.heapUsedMb} MB, external ${memory.externalMb} MB` });
  return { level: worst(checks.map((check) => check.level)), checks };
}

export function formatHealth(report: HealthReport): string {
  const icon = { ok: '✓', warn: '!', fail: '✗' } as const;
  return [`Health: ${report.level.toUpperCase()}`, ...report.checks.map((check) => `  ${icon[check.level]} ${check.name}: ${check.detail}`)].join('\n');
}
