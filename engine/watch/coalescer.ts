/**
 * Collects changed paths and flushes them as one batch once events stop for
 * `quietMs`, or at the latest `maxWaitMs` after the first: a branch switch that
 * touches 10,000 files becomes one indexing run, a single save a fast one.
 * Paths arriving while a flush is running wait for the next batch, never lost.
 */
export class ChangeCoalescer {
  private pending = new Set<string>();
  private quietTimer: NodeJS.Timeout | null = null;
  private maxTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private paused = false;
  private disposed = false;

  constructor(
    private readonly flushBatch: (paths: string[]) => Promise<void>,
    private readonly quietMs = 300,
    private readonly maxWaitMs = 2000,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  add(path: string): void {
    if (this.disposed) return;
    this.pending.add(path);
    this.schedule();
  }

  private schedule(): void {
    if (this.paused || this.disposed) return;
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => void this.flush(), this.quietMs);
    this.maxTimer ??= setTimeout(() => void this.flush(), this.maxWaitMs);
  }

  /** Holds events without indexing; `resume` flushes everything collected meanwhile. */
  pause(): void {
    this.paused = true;
    this.clearTimers();
  }

  resume(): void {
    this.paused = false;
    if (this.pending.size > 0) void this.flush();
  }

  /** Flushes now and resolves when every path collected so far has been handed over. */
  async flush(): Promise<void> {
    this.clearTimers();
    while (this.running) await this.running;
    if (this.pending.size === 0 || this.paused || this.disposed) return;
    const batch = [...this.pending];
    this.pending = new Set();
    this.running = this.flushBatch(batch).finally(() => {
      this.running = null;
    });
    await this.running;
    if (this.pending.size > 0) this.schedule();
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimers();
  }

  private clearTimers(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.quietTimer = null;
    this.maxTimer = null;
  }
}
