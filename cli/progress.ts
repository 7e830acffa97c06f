import { SingleBar } from 'cli-progress';
import type { IndexProgress } from '../engine/index.js';
import { restoreTerminal } from './interrupt.js';

export interface ProgressReporter {
  readonly update: (progress: IndexProgress) => void;
  readonly stop: () => void;
}

/** A bar only for a terminal: piped or redirected stderr gets none, and nor does `--json`. */
export function progressReporter(stream: NodeJS.WriteStream, enabled: boolean): ProgressReporter {
  if (!enabled || stream.isTTY !== true) return { update: () => undefined, stop: () => undefined };
  // The bar hides the cursor and turns line wrap off while it draws; whatever ends the
  // process (Ctrl-C, SIGTERM, an error, a normal exit) must turn both back on.
  const restore = () => {
    if (active) {
      restoreTerminal(stream);
      stream.write('\n');
    }
    active = false;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    stopped = true;
    bar.stop();
    restore();
    // Whoever else listens (the engine finishing its batch) decides when to exit; alone, end as the signal would.
    if (process.listenerCount(signal) === 1) {
      detach();
      process.kill(process.pid, signal);
    }
  };
  const detach = () => {
    process.removeListener('exit', restore);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  const bar = new SingleBar({
    // {value}/{total} drive the bar: analysing a file and writing it count half each, so it moves as the workers read.
    format: '{phase} [{bar}] {percentage}% | {analysed}/{files} files analysed, {written} written | {chunks} chunks embedded | {remaining}',
    hideCursor: true,
    stream,
    barsize: 24,
  });
  let active = false;
  let stopped = false;
  let discovering = false;
  let started = 0;
  process.on('exit', restore);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    update: (progress) => {
      if (stopped) return;
      if (progress.phase === 'discovering') {
        if (!discovering) stream.write('Discovering files...\r');
        discovering = true;
        return;
      }
      if (progress.phase !== 'indexing') return;
      const total = Math.max(progress.filesTotal, 1);
      const analysed = Math.max(progress.filesAnalyzed ?? 0, progress.filesDone);
      const units = { done: analysed + progress.filesDone, total: 2 * total };
      if (!active) {
        started = performance.now();
        active = true;
        bar.start(units.total, units.done, { ...payload(progress, analysed), remaining: 'ETA --' });
        return;
      }
      bar.setTotal(units.total);
      bar.update(units.done, { ...payload(progress, analysed), remaining: etaText({ filesDone: units.done, filesTotal: units.total }, started) });
    },
    stop: () => {
      if (!stopped && active) bar.stop();
      stopped = true;
      // bar.stop() has shown the cursor and turned wrapping back on.
      active = false;
      detach();
    },
  };
}

function payload(progress: IndexProgress, analysed: number) {
  return { phase: analysed < progress.filesTotal ? 'Analysing' : 'Embedding', analysed, files: progress.filesTotal, written: progress.filesDone, chunks: progress.chunksEmbedded };
}

/** The remaining time at the rate so far; nothing until a first batch is done (no "NF", no "∞"). */
export function etaText(progress: Pick<IndexProgress, 'filesDone' | 'filesTotal'>, startedMs: number, nowMs = performance.now()): string {
  const elapsed = (nowMs - startedMs) / 1000;
  if (progress.filesDone <= 0 || elapsed <= 0 || progress.filesTotal <= progress.filesDone) return progress.filesTotal > 0 && progress.filesDone >= progress.filesTotal ? 'done' : 'ETA --';
  const seconds = Math.round(((progress.filesTotal - progress.filesDone) * elapsed) / progress.filesDone);
  return `ETA ${seconds >= 60 ? `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`}`;
}
