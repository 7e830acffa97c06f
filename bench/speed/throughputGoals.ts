/**
 * The throughput and footprint goals (issue 12), each measured in the same run
 * beside its reference: the cold index against the web-tree-sitter parse floor
 * over the same files and threads, the embed stage alone, the cold CLI search,
 * and where the cold index's time went. run.ts calls `measureThroughput` after
 * the cold runs and adds the rows and table lines this returns.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultGrammarsDir } from '../../engine/config/paths.js';
import type { DiscoveredFile } from '../../engine/discovery/types.js';
import { percentileOf } from '../quality/metrics.js';
import type { ParseFloor } from './parseFloor.js';

export type GoalRow = readonly [goal: string, met: boolean, figure: string];

export interface ThroughputInputs {
  readonly work: string;
  readonly files: readonly DiscoveredFile[];
  readonly corpus: string;
  readonly cache: string;
  readonly modelArgs: readonly string[];
  /** The cold index runs (child.ts `index` results). */
  readonly cold: readonly Record<string, unknown>[];
  readonly realQueryP95: number;
  readonly editP95: number;
  readonly child: (args: string[]) => Record<string, unknown>;
}

export interface ThroughputReport {
  readonly parseFloor: ParseFloor;
  readonly embedStage: { chunksPerSecond: number; texts: number; workers: number; peakRssMb: number };
  readonly cliSearchMs: { median: number; min: number; max: number };
  readonly coldIndex: { filesPerSecond: number; cpuPercent: number; peakRssMb: number; bytesPerChunk: number; phaseMs: Record<string, number>; refreshedReferences: number };
  readonly killResume: KillResume;
  readonly rows: GoalRow[];
  readonly lines: string[];
}

const round = (value: number) => Math.round(value * 100) / 100;

export interface KillResume {
  /** When the cold index was killed (SIGKILL), from its process start. */
  readonly killedAtMs: number;
  readonly coldMs: number;
  /** The rerun on the killed run's cache: its own index time and the files it still had to index. */
  readonly resumeMs: number;
  readonly resumeFilesChanged: number;
  readonly files: number;
  readonly ratio: number;
}

/**
 * A cold index killed with SIGKILL at half the cold run's time, then run again on the
 * same cache: the rerun should take about half the cold time (commits every couple of
 * seconds keep what the killed run did; a rerun redoes only what was in flight).
 */
export function measureKillResume(input: Pick<ThroughputInputs, 'work' | 'corpus' | 'modelArgs' | 'cold' | 'child'>): KillResume {
  const coldMs = median(input.cold.map((run) => run['ms'] as number));
  const cache = join(input.work, 'kill-resume-cache');
  rmSync(cache, { recursive: true, force: true });
  // The kill's clock starts at process start, a little before the child's own `ms`: a slightly earlier kill.
  const killedAtMs = Math.round(coldMs / 2);
  const killed = spawnSync(process.execPath, ['--max-old-space-size=4096', join(__dirname, 'child.js'), 'index', '--root', input.corpus, '--cache', cache, ...input.modelArgs], { encoding: 'utf8', timeout: killedAtMs, killSignal: 'SIGKILL', maxBuffer: 1 << 26 });
  if (killed.signal !== 'SIGKILL') throw new Error(`the kill-at-half run was not killed (exit ${killed.status}): ${killed.stderr}`);
  const resumed = input.child(['index', '--root', input.corpus, '--cache', cache, ...input.modelArgs]);
  rmSync(cache, { recursive: true, force: true });
  const resumeMs = resumed['ms'] as number;
  return { killedAtMs, coldMs: round(coldMs), resumeMs: round(resumeMs), resumeFilesChanged: resumed['filesChanged'] as number, files: resumed['files'] as number, ratio: round(resumeMs / coldMs) };
}
const median = (values: number[]) => percentileOf(values, 0.5);

export function measureThroughput(input: ThroughputInputs, log: (message: string) => void): ThroughputReport {
  const last = input.cold[input.cold.length - 1]!;
  const workers = last['workers'] as number;
  const filesJson = join(input.work, 'parse-floor-files.json');
  writeFileSync(filesJson, JSON.stringify(input.files.map((file) => ({ absolutePath: file.absolutePath, language: file.language, size: file.size }))));
  const floorRun = spawnSync(process.execPath, [join(__dirname, 'parseFloor.js'), filesJson, String(workers), defaultGrammarsDir()], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (floorRun.status !== 0) throw new Error(`parse floor failed: ${floorRun.stderr}`);
  const parseFloor = JSON.parse(floorRun.stdout.trim().split('\n').pop()!) as ParseFloor;
  log(`parse floor: ${round(parseFloor.filesPerSecond)} files/s on ${workers} threads`);

  const stage = input.child(['embed-stage', '--cache', input.cache, '--count', '50000', ...input.modelArgs]);
  const embedStage = { chunksPerSecond: round(stage['chunksPerSecond'] as number), texts: stage['texts'] as number, workers: stage['workers'] as number, peakRssMb: stage['peakRssMb'] as number };
  log(`embed stage: ${embedStage.chunksPerSecond} chunks/s`);

  const searches = Array.from({ length: 5 }, () => input.child(['cli-search', '--root', input.corpus, '--cache', input.cache, ...input.modelArgs])['ms'] as number);
  const cliSearchMs = { median: round(median(searches)), min: round(Math.min(...searches)), max: round(Math.max(...searches)) };
  log(`cold CLI search: ${cliSearchMs.median} ms`);

  const killResume = measureKillResume(input);
  log(`kill at half, resume: ${killResume.resumeMs} ms = ${killResume.ratio} of the cold time`);

  const filesPerSecond = median(input.cold.map((run) => ((run['files'] as number) / (run['ms'] as number)) * 1000));
  const cpuPercent = median(input.cold.map((run) => run['cpuPercent'] as number));
  const peakRssMb = Math.max(...input.cold.map((run) => run['peakRssMb'] as number));
  const bytesPerChunk = (last['cacheBytes'] as number) / (last['chunks'] as number);
  const chunks = last['chunks'] as number;
  const coldIndex = { filesPerSecond: round(filesPerSecond), cpuPercent: round(cpuPercent), peakRssMb, bytesPerChunk: round(bytesPerChunk), phaseMs: last['phaseMs'] as Record<string, number>, refreshedReferences: last['refreshedReferences'] as number };
  const shareOfFloor = filesPerSecond / parseFloor.filesPerSecond;
  const rows: GoalRow[] = [
    ['cold index ≥ 1,000 files/s end to end (issue 12)', filesPerSecond >= 1000, `${round(filesPerSecond)} files/s`],
    [`cold index ≥ 60% of the parse floor (${workers} threads, same files)`, shareOfFloor >= 0.6, `${round(shareOfFloor * 100)}% of ${round(parseFloor.filesPerSecond)} files/s`],
    ['every core busy in a cold index (CPU ≥ 180% on 2 cores)', cpuPercent >= 180, `${round(cpuPercent)}% CPU`],
    ['embed stage ≥ 50,000 chunks/s (default model, tokenise + infer + int8)', embedStage.chunksPerSecond >= 50_000, `${embedStage.chunksPerSecond} chunks/s on ${embedStage.workers} workers`],
    ['peak RSS < 400 MB, cold index of the bench corpus', peakRssMb < 400, `${peakRssMb} MB`],
    ['a cold index killed at half its time resumes in ≤ 0.6 of the cold time', killResume.ratio <= 0.6, `${killResume.ratio} (${killResume.resumeFilesChanged} of ${killResume.files} files left, ${killResume.resumeMs} ms after a kill at ${killResume.killedAtMs} ms)`],
    ['≤ 1 KB on disk per chunk', bytesPerChunk <= 1024, `${Math.round(bytesPerChunk)} bytes per chunk`],
    ['cold CLI search < 0.5 s (process start to printed results)', cliSearchMs.median < 500, `${cliSearchMs.median} ms at ${chunks} chunks`],
    ['warm query p95 < 10 ms (hybrid, real index, engine API)', input.realQueryP95 < 10, `${round(input.realQueryP95)} ms at ${chunks} chunks`],
    ['edit-to-searchable p95 < 50 ms', input.editP95 < 50, `${round(input.editP95)} ms`],
  ];
  const phases = Object.entries(coldIndex.phaseMs).map(([phase, ms]) => `${phase} ${round(ms / 1000)} s`).join(', ');
  const lines = [
    '',
    'Throughput against its references, same run:',
    '',
    '| measure | result |',
    '|---|---|',
    `| web-tree-sitter parse floor (parse only, ${workers} threads, same files) | ${round(parseFloor.filesPerSecond)} files/s, ${round(parseFloor.megabytesPerSecond)} MB/s (${parseFloor.parsed} of ${parseFloor.files} files have a grammar) |`,
    `| cold index | ${round(filesPerSecond)} files/s = ${round(shareOfFloor * 100)}% of the floor, ${round(cpuPercent)}% CPU, peak RSS ${peakRssMb} MB |`,
    `| cold index phases (coordinator wait per phase; phases overlap) | ${phases}; ${coldIndex.refreshedReferences} references resolved or refreshed |`,
    `| embed stage alone (${embedStage.texts} real chunks, ${embedStage.workers} workers) | ${embedStage.chunksPerSecond} chunks/s |`,
    `| one-off \`codegraph search\` (process start to printed results) | median ${cliSearchMs.median} ms (${cliSearchMs.min}–${cliSearchMs.max}) |`,
    `| disk per chunk | ${Math.round(bytesPerChunk)} bytes |`,
    `| cold index killed (SIGKILL) at ${killResume.killedAtMs} ms, then rerun | ${killResume.resumeMs} ms = ${killResume.ratio} of the cold ${killResume.coldMs} ms; ${killResume.resumeFilesChanged} of ${killResume.files} files left |`,
  ];
  return { parseFloor, embedStage, cliSearchMs, coldIndex, killResume, rows, lines };
}
