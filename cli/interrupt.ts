import { CancelledError } from '../engine/errors.js';
import type { IndexSummary } from '../engine/index.js';
import { EXIT } from './exitCodes.js';

/** Shows the cursor and turns line wrap back on: what a progress bar turns off. Harmless when already so. */
export function restoreTerminal(stream: NodeJS.WriteStream = process.stderr): void {
  if (stream.isTTY) stream.write('\x1b[?25h\x1b[?7h');
}

/**
 * Ctrl-C (SIGINT) or SIGTERM while a command indexes: the first one asks the engine
 * to stop after the batch in hand, which it commits; a second one quits at once
 * (committed batches are safe either way). Call `dispose` when indexing is over.
 */
export class IndexInterrupt {
  private readonly controller = new AbortController();
  private received: NodeJS.Signals | null = null;

  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private readonly onSignal = (name: NodeJS.Signals): void => {
    restoreTerminal();
    if (this.received) {
      process.stderr.write(`\ncodegraph: ${name} again: quitting now; the committed batches are kept.\n`);
      process.exit(EXIT.interrupted);
    }
    this.received = name;
    process.stderr.write(`\ncodegraph: ${name}: stopping after the batch in hand (again to quit at once)...\n`);
    this.controller.abort();
  };

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/** Runs one indexing call under an IndexInterrupt; an interrupted run throws CancelledError saying what was kept. */
export async function indexInterruptibly(index: (signal: AbortSignal) => Promise<IndexSummary>): Promise<IndexSummary> {
  const interrupt = new IndexInterrupt();
  try {
    const summary = await index(interrupt.signal);
    if (summary.interrupted) {
      restoreTerminal();
      throw new CancelledError(
        `Interrupted: kept ${summary.filesChanged} newly indexed file${summary.filesChanged === 1 ? '' : 's'} (${summary.chunksTotal} chunks in the index); ` +
          `${summary.filesPending} file${summary.filesPending === 1 ? '' : 's'} left, which the next run indexes.`,
      );
    }
    return summary;
  } finally {
    interrupt.dispose();
  }
}
