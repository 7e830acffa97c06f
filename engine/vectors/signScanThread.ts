import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { sumSignRows } from './signScan.js';

// Slots of the shared control words. The main thread writes a request's range and
// bumps SEQUENCE; the thread answers by setting DONE to that sequence.
const SEQUENCE = 0;
const DONE = 1;
const FROM = 2;
const TO = 3;
const STRIDE_WORDS = 4;
const CODE_WORDS = 5;
const STOP = 6;
/** The generation of the buffers posted to the thread; a request names the one it scans. */
const BUFFERS = 7;
const CONTROL_WORDS = 8;

/**
 * A scan that waits this long for the thread's half does that half itself and retires
 * the thread: a half takes about 2 ms at 183k rows, so only a thread that is gone or
 * starved of a core for a long time is this late.
 */
const THREAD_TIMEOUT_MS = 250;

/** Below this many rows a scan stays on the calling thread: the hand-over (tens of µs) would eat the gain. */
export const MIN_SPLIT_ROWS = 16_384;

// The thread's whole program: wait for a request, pick up new buffers, scan its range, answer.
const THREAD_SOURCE = `'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const sumSignRows = (${sumSignRows.toString()});
const { control, port } = workerData;
let words = null, scales = null, tables = null, out = null, buffers = 0, handled = 0;
for (;;) {
  Atomics.wait(control, ${SEQUENCE}, handled);
  handled = Atomics.load(control, ${SEQUENCE});
  if (Atomics.load(control, ${STOP}) !== 0) break;
  // Buffers are posted before the request that needs them, so they are already on the port.
  while (buffers !== Atomics.load(control, ${BUFFERS})) {
    const received = receiveMessageOnPort(port);
    if (!received) continue;
    const message = received.message;
    words = new Uint32Array(message.packed);
    scales = new Float32Array(message.packed);
    tables = new Float32Array(message.tables);
    out = new Float32Array(message.out);
    buffers = message.generation;
  }
  sumSignRows(tables, words, scales, control[${STRIDE_WORDS}], control[${CODE_WORDS}], control[${FROM}], control[${TO}], out);
  Atomics.store(control, ${DONE}, handled);
  Atomics.notify(control, ${DONE});
}
port.close();
`;

/**
 * A second thread for the sign scan of large dense indexes (the first stage of a
 * dense search, most of a warm query's time): the calling thread scores the first
 * half of the rows while this thread scores the second, both with `sumSignRows`,
 * so the scores are exactly those of one thread. Rows, tables and scores live in
 * SharedArrayBuffers; the hand-over is a few Atomics words, not messages, so it
 * costs microseconds. For sessions that stay open: a one-off search never starts one.
 *
 * If the thread fails or falls far behind, the caller scans its half itself and the
 * thread is retired for good (`usable` turns false): results never depend on it.
 */
export class SignScanThread {
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  readonly #worker: Worker;
  readonly #port: MessagePort;
  #tables: Float32Array = new Float32Array(new SharedArrayBuffer(32 * 256 * 4));
  #posted: { packed: SharedArrayBuffer; out: SharedArrayBuffer; tables: SharedArrayBuffer } | null = null;
  #generation = 0;
  #usable = true;
  #splitScans = 0;

  /** A thread, or null on a machine with one core (nothing to split across). */
  static start(): SignScanThread | null {
    return availableParallelism() >= 2 ? new SignScanThread() : null;
  }

  private constructor() {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { control: this.#control, port: port2 }, transferList: [port2], name: 'codegraph-sign-scan' });
    // Never what keeps a process alive; a thread that dies is simply not used again.
    this.#worker.unref();
    this.#worker.on('error', () => this.#retire());
    this.#worker.on('exit', () => this.#retire());
  }

  /** False once the thread has failed, timed out or been closed; scans then run on the caller alone. */
  get usable(): boolean {
    return this.#usable;
  }

  /** Scans the thread took half of (for tests and metrics). */
  get splitScans(): number {
    return this.#splitScans;
  }

  /**
   * `sumSignRows` over rows `[0, count)`, the second half on the thread. `packed` and
   * `out`'s buffer must be SharedArrayBuffers, `out` a view from their start.
   */
  scan(tables: Float32Array, packed: SharedArrayBuffer, count: number, strideWords: number, codeWords: number, out: Float32Array): void {
    const words = new Uint32Array(packed, 0, count * strideWords);
    const scales = new Float32Array(packed, 0, count * strideWords);
    if (!this.#usable || count < MIN_SPLIT_ROWS || !(out.buffer instanceof SharedArrayBuffer) || out.byteOffset !== 0) {
      sumSignRows(tables, words, scales, strideWords, codeWords, 0, count, out);
      return;
    }
    this.#postBuffers(packed, out.buffer, tables.length);
    this.#tables.set(tables);
    // The calling thread takes the first half (a multiple of 4 rows: whole blocks of the 4-row loop on both sides).
    const split = (count >> 1) & ~3;
    const control = this.#control;
    control[FROM] = split;
    control[TO] = count;
    control[STRIDE_WORDS] = strideWords;
    control[CODE_WORDS] = codeWords;
    const sequence = Atomics.add(control, SEQUENCE, 1) + 1;
    Atomics.notify(control, SEQUENCE);
    sumSignRows(this.#tables, words, scales, strideWords, codeWords, 0, split, out);
    const deadline = performance.now() + THREAD_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(control, DONE);
      if (done === sequence) {
        this.#splitScans++;
        return;
      }
      const left = deadline - performance.now();
      if (left <= 0) break;
      Atomics.wait(control, DONE, done, left);
    }
    // Late or gone: this half here, and the thread is not asked again (nor kept).
    this.#retire();
    void this.#worker.terminate();
    sumSignRows(this.#tables, words, scales, strideWords, codeWords, split, count, out);
  }

  /** Stops the thread; later scans run on the caller. */
  async close(): Promise<void> {
    this.#retire();
    await this.#worker.terminate();
  }

  /** New buffers (a grown matrix, a larger scratch, larger tables) go to the thread before the request that uses them. */
  #postBuffers(packed: SharedArrayBuffer, out: SharedArrayBuffer, tableEntries: number): void {
    if (this.#tables.length < tableEntries) this.#tables = new Float32Array(new SharedArrayBuffer(tableEntries * 4));
    const posted = this.#posted;
    if (posted && posted.packed === packed && posted.out === out && posted.tables === this.#tables.buffer) return;
    this.#posted = { packed, out, tables: this.#tables.buffer as SharedArrayBuffer };
    this.#generation++;
    this.#port.postMessage({ ...this.#posted, generation: this.#generation });
    Atomics.store(this.#control, BUFFERS, this.#generation);
  }

  #retire(): void {
    if (!this.#usable) return;
    this.#usable = false;
    Atomics.store(this.#control, STOP, 1);
    Atomics.add(this.#control, SEQUENCE, 1);
    Atomics.notify(this.#control, SEQUENCE);
  }
}
