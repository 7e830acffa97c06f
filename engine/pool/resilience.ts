import { seededRandom } from '../random/index.js';

export { seededRandom };
/**
 * Retry with exponential backoff and a per-input circuit breaker: the two
 * policies that keep one poisonous file or a failing model from stalling the
 * whole pipeline. Pure apart from the timer in `sleep`.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly factor: number;
  readonly maxDelayMs: number;
  /** Fraction of each delay drawn at random (0 = none); the draw comes from `seed`, so runs repeat. */
  readonly jitter: number;
  readonly seed: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, factor: 2, maxDelayMs: 5_000, jitter: 0, seed: 1 };

/** The delay before retry number `retry` (1 for the first retry): base · factor^(retry−1), capped, minus seeded jitter. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = () => 0): number {
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** Math.max(0, retry - 1));
  return Math.round(raw * (1 - policy.jitter * random()));
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/**
 * Counts consecutive failures per key and opens after `threshold` of them; a
 * success closes it again. A key carries a fingerprint (the content hash of a
 * file): failures of an older fingerprint do not count against a new one.
 */
export class CircuitBreaker {
  readonly #failures = new Map<string, { fingerprint: string; count: number; lastError: string }>();

  constructor(readonly threshold: number) {
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`Circuit breaker threshold must be a positive integer; got ${threshold}`);
  }

  /** Records a failure; true when this one opened (or kept open) the circuit. */
  recordFailure(key: string, error: string, fingerprint = ''): boolean {
    const previous = this.#failures.get(key);
    const count = previous && previous.fingerprint === fingerprint ? previous.count + 1 : 1;
    this.#failures.set(key, { fingerprint, count, lastError: error });
    return count >= this.threshold;
  }

  recordSuccess(key: string): void {
    this.#failures.delete(key);
  }

  isOpen(key: string, fingerprint?: string): boolean {
    const state = this.#failures.get(key);
    if (!state || state.count < this.threshold) return false;
    return fingerprint === undefined || state.fingerprint === fingerprint;
  }

  failures(key: string): number {
    return this.#failures.get(key)?.count ?? 0;
  }

  lastError(key: string): string | null {
    return this.#failures.get(key)?.lastError ?? null;
  }
}

/**
 * Runs `work`, retrying failures that `retryable` accepts with exponential
 * backoff; the last failure (or a non-retryable one) is thrown.
 */
export async function withRetry<T>(
  work: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  retryable: (error: unknown) => boolean,
  onRetry: (attempt: number, delayMs: number, error: unknown) => void = () => undefined,
): Promise<T> {
  const random = seededRandom(policy.seed);
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= policy.maxAttempts || !retryable(error)) throw error;
      const delayMs = backoffDelay(policy, attempt, random);
      onRetry(attempt + 1, delayMs, error);
      await sleep(delayMs);
    }
  }
}
