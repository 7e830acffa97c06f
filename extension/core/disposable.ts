/** Anything with a `dispose` method: VS Code disposables, engine handles, timers wrapped by us. */
export interface DisposableLike {
  dispose(): unknown;
}

/** Several disposals failed; each failure is kept so none is hidden behind the first. */
export class DisposeErrors extends Error {
  constructor(readonly errors: readonly unknown[]) {
    super(`${errors.length} disposables failed to dispose: ${errors.map((error) => (error instanceof Error ? error.message : String(error))).join('; ')}`);
    this.name = 'DisposeErrors';
  }
}

/**
 * Disposes every item even when some throw, then rethrows the failures
 * together: one broken listener must not leak the rest.
 */
export function disposeAll(items: Iterable<DisposableLike>): void {
  const errors: unknown[] = [];
  for (const item of items) {
    try {
      item.dispose();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new DisposeErrors(errors);
}

/**
 * Base class for objects that own other disposables. `register` returns its
 * argument so fields can be initialised in one line; anything registered after
 * disposal is disposed at once, because the owner will never do it later.
 */
export abstract class Disposable implements DisposableLike {
  #disposed = false;
  #owned: DisposableLike[] = [];

  get isDisposed(): boolean {
    return this.#disposed;
  }

  protected register<T extends DisposableLike>(item: T): T {
    if (this.#disposed) item.dispose();
    else this.#owned.push(item);
    return item;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const owned = this.#owned;
    this.#owned = [];
    // Last registered first: later objects may depend on earlier ones.
    disposeAll(owned.reverse());
  }
}

/** A disposable from a callback. */
export function toDisposable(dispose: () => void): DisposableLike {
  let done = false;
  return {
    dispose: () => {
      if (done) return;
      done = true;
      dispose();
    },
  };
}
