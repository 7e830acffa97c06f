import { on } from 'node:events';
import { EventEmitter } from 'node:events';
import type { IndexSummary } from '../indexer/indexer.js';

/** Files whose chunks a committed batch replaced (new or changed content). */
export interface FilesIndexedEvent {
  /** Workspace-relative paths, `/`-separated. */
  readonly paths: readonly string[];
  /** Chunks those files now have in the index. */
  readonly chunks: number;
}

/** Files that left the index: deleted, renamed away, or now excluded or skipped. */
export interface FilesRemovedEvent {
  readonly paths: readonly string[];
}

/** One transaction of an indexing run. */
export interface BatchCommittedEvent {
  readonly filesIndexed: number;
  readonly filesRemoved: number;
  readonly chunksAdded: number;
  readonly chunksRemoved: number;
  /** Vectors this batch embedded (the rest were reused from the cache). */
  readonly vectorsWritten: number;
  /** Wall time since the run started or the previous batch was committed. */
  readonly durationMs: number;
}

/** No indexing run is running or waiting: the index reflects every change handed to it. */
export interface IndexSettledEvent {
  readonly summary: IndexSummary;
}

/** The serving model stepped down the recovery chain (see `OpenOptions.onModelError`). */
export interface ModelDegradedEvent {
  readonly from: string;
  /** The model now serving; null for lexical-only search. */
  readonly to: string | null;
  readonly reason: string;
  readonly serviceLevel: 'hybrid' | 'lexical-only';
}

/** Every event the engine emits, by name. */
export interface EngineEventMap {
  'file-indexed': FilesIndexedEvent;
  'file-removed': FilesRemovedEvent;
  'batch-committed': BatchCommittedEvent;
  'index-settled': IndexSettledEvent;
  'model-degraded': ModelDegradedEvent;
}

export type EngineEventName = keyof EngineEventMap;

/**
 * The engine's typed events. A listener that throws is reported through
 * `onListenerError` and never disturbs indexing or the other listeners.
 */
export class EngineEvents {
  readonly #emitter = new EventEmitter();

  constructor(private readonly onListenerError: (error: unknown, event: EngineEventName) => void = () => undefined) {
    // Many front ends may listen to one engine (extension API, MCP server, tests).
    this.#emitter.setMaxListeners(0);
  }

  /** Subscribes; the returned function unsubscribes. */
  on<K extends EngineEventName>(event: K, listener: (payload: EngineEventMap[K]) => void): () => void {
    const guarded = (payload: EngineEventMap[K]) => {
      try {
        listener(payload);
      } catch (error) {
        this.onListenerError(error, event);
      }
    };
    this.#emitter.on(event, guarded);
    return () => this.#emitter.off(event, guarded);
  }

  /** Resolves with the next payload of `event`; rejects when `signal` aborts. */
  once<K extends EngineEventName>(event: K, signal?: AbortSignal): Promise<EngineEventMap[K]> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const abort = () => {
        stop();
        reject(signal!.reason);
      };
      const stop = this.on(event, (payload) => {
        stop();
        signal?.removeEventListener('abort', abort);
        resolve(payload);
      });
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** The payloads of `event` as an async iterator, until `signal` aborts or the loop breaks. */
  async *stream<K extends EngineEventName>(event: K, signal?: AbortSignal): AsyncGenerator<EngineEventMap[K]> {
    try {
      for await (const [payload] of on(this.#emitter, event, signal ? { signal } : {})) yield payload as EngineEventMap[K];
    } catch (error) {
      if ((error as { name?: string }).name !== 'AbortError') throw error;
    }
  }

  emit<K extends EngineEventName>(event: K, payload: EngineEventMap[K]): void {
    this.#emitter.emit(event, payload);
  }

  listenerCount(event: EngineEventName): number {
    return this.#emitter.listenerCount(event);
  }
}
