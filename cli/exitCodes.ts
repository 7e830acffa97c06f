import { CodeGraphError } from '../engine/errors.js';

/** Process exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  cache: 4,
  model: 5,
  network: 6,
  /** Stopped by Ctrl-C or SIGTERM after committing the batch in hand: 128 + SIGINT, as shells report it. */
  interrupted: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (!(error instanceof CodeGraphError)) return EXIT.failure;
  switch (error.code) {
    case 'NOT_FOUND':
      return EXIT.notFound;
    case 'CACHE_CORRUPTION':
    case 'CACHE_UNUSABLE':
      return EXIT.cache;
    case 'MODEL_LOAD':
    case 'TOKENIZATION':
    case 'INFERENCE':
      return EXIT.model;
    case 'INVALID_CONFIG':
    case 'INVALID_INPUT':
      return EXIT.usage;
    case 'NETWORK':
      return EXIT.network;
    case 'CANCELLED':
      return EXIT.interrupted;
    default:
      return EXIT.failure;
  }
}
