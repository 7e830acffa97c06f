import { SingleBar } from 'cli-progress';
import type { IndexProgress } from '../engine/index.js';

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
    if (active) stream.write('\x1b[?25h\x1b[?7h\n');
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
    format: '{phase} [{bar}] {percentage}% | {value}/{total} files | {chunks} chunks embedded | {eta}',
    hideCursor: true,
    stream,
    barsize: 24,
    // The bar's own ETA averages a few updates, and shows "NF" (not finite) until it has a rate.
    etaBuffer: 1,
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
      const payload = { phase: 'Indexing', chunks: progress.chunksEmbedded, eta: etaText(progress, started) };
      if (!active) {
        started = performance.now();
        active = true;
        bar.start(Math.max(progress.filesTotal, 1), progress.filesDone, { ...payload, eta: 'ETA --' });
        return;
      }
      bar.setTotal(Math.max(progress.filesTotal, 1));
      bar.update(progress.filesDone, payload);
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

/** The remaining time at the rate so far; nothing until a first batch is done (no "NF", no "∞"). */
export function etaText(progress: Pick<IndexProgress, 'filesDone' | 'filesTotal'>, startedMs: number, nowMs = performance.now()): string {
  const elapsed = (nowMs - startedMs) / 1000;
  if (progress.filesDone <= 0 || elapsed <= 0 || progress.filesTotal <= progress.filesDone) return progress.filesTotal > 0 && progress.filesDone >= progress.filesTotal ? 'done' : 'ETA --';
  const seconds = Math.round(((progress.filesTotal - progress.filesDone) * elapsed) / progress.filesDone);
  return `ETA ${seconds >= 60 ? `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`}`;
}
