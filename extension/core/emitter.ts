import type { DisposableLike } from './disposable.js';

export type Listener<T> = (value: T) => void;

/**
 * A minimal event emitter for the pure modules, which cannot use
 * `vscode.EventEmitter`. A throwing listener does not stop the others.
 */
export class Emitter<T> implements DisposableLike {
  readonly #listeners = new Set<Listener<T>>();

  readonly event = (listener: Listener<T>): DisposableLike => {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch (error) {
        // Surface listener bugs without breaking the emitter's other subscribers.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  dispose(): void {
    this.#listeners.clear();
  }
}
