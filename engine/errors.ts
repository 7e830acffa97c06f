/**
 * Typed errors of the engine. Each carries a stable `code` so callers (CLI exit
 * codes, the extension's status bar, retry policies) can branch without parsing
 * messages, and enough context in `details` to act on.
 */

export type CodeGraphErrorCode =
  | 'MODEL_LOAD'
  | 'TOKENIZATION'
  | 'INFERENCE'
  | 'CACHE_CORRUPTION'
  | 'CACHE_UNUSABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'UNSUPPORTED_LANGUAGE'
  | 'INVALID_CONFIG'
  | 'NOT_FOUND'
  | 'CANCELLED'
  | 'NETWORK'
  | 'INVALID_INPUT';

export class CodeGraphError extends Error {
  readonly code: CodeGraphErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: CodeGraphErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export class ModelLoadError extends CodeGraphError {
  constructor(message: string, details: { modelDir?: string; file?: string; hint?: string; [key: string]: unknown } = {}, options?: { cause?: unknown }) {
    super('MODEL_LOAD', message, details, options);
  }
}

export class TokenizationError extends CodeGraphError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('TOKENIZATION', message, details, options);
  }
}

export class InferenceError extends CodeGraphError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('INFERENCE', message, details, options);
  }
}

export class CacheCorruptionError extends CodeGraphError {
  constructor(message: string, details: { cachePath?: string; check?: string; hint?: string } = {}, options?: { cause?: unknown }) {
    super('CACHE_CORRUPTION', message, details, options);
  }
}

/** Why a cache path cannot be used; each has its own fix (`details.hint`). */
export type CacheUnusableReason = 'directory' | 'not-a-file' | 'foreign' | 'newer-schema' | 'cache-dir-not-a-directory' | 'read-only' | 'cannot-open' | 'disk-full' | 'unsupported-file-system' | 'io' | 'busy';

/**
 * A cache that cannot be opened or written, and must not be rebuilt in place:
 * the cause is outside the file's contents (a directory or another program's
 * database at the path, a newer schema, a read-only or full file system). Unlike
 * corruption, nothing is moved aside; `details.hint` says what the user can do.
 */
export class CacheUnusableError extends CodeGraphError {
  constructor(message: string, details: { cachePath: string; reason: CacheUnusableReason; hint: string; [key: string]: unknown }, options?: { cause?: unknown }) {
    super('CACHE_UNUSABLE', message, details, options);
  }
}

export class ResourceExhaustedError extends CodeGraphError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('RESOURCE_EXHAUSTED', message, details, options);
  }
}

export class UnsupportedLanguageError extends CodeGraphError {
  constructor(language: string, details: Record<string, unknown> = {}) {
    super('UNSUPPORTED_LANGUAGE', `No grammar is available for language '${language}'`, { language, ...details });
  }
}

export class InvalidConfigError extends CodeGraphError {
  constructor(option: string, message: string) {
    super('INVALID_CONFIG', `Invalid option '${option}': ${message}`, { option });
  }
}

export class NotFoundError extends CodeGraphError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('NOT_FOUND', message, details);
  }
}

/** A download that failed: unreachable host, HTTP error, interrupted transfer that could not resume, or a failed integrity check. */
export class NetworkError extends CodeGraphError {
  constructor(message: string, details: { url?: string; status?: number; file?: string; hint?: string; [key: string]: unknown } = {}, options?: { cause?: unknown }) {
    super('NETWORK', message, details, options);
  }
}

/** An argument the engine cannot work with (an empty text to embed, a vector of the wrong size); `details.argument` names it. */
export class InvalidInputError extends CodeGraphError {
  constructor(message: string, details: { argument?: string; hint?: string; [key: string]: unknown } = {}) {
    super('INVALID_INPUT', message, details);
  }
}

export class CancelledError extends CodeGraphError {
  constructor(message = 'Operation cancelled') {
    super('CANCELLED', message);
  }
}

/** A plain, serialisable form used to carry errors across worker-thread boundaries. */
export interface SerializedError {
  readonly name: string;
  readonly code?: CodeGraphErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof CodeGraphError) {
    return { name: error.name, code: error.code, message: error.message, details: error.details };
  }
  if (error instanceof Error) {
    return { name: error.name, message: error.message };
  }
  return { name: 'Error', message: String(error) };
}

export function reviveError(serialized: SerializedError): Error {
  if (serialized.code) {
    const revived = new CodeGraphError(serialized.code, serialized.message, serialized.details ?? {});
    revived.name = serialized.name;
    return revived;
  }
  const revived = new Error(serialized.message);
  revived.name = serialized.name;
  return revived;
}
