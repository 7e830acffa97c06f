import { InvalidArgumentError } from 'commander';
import { LANGUAGES } from '../engine/parsing/languages.js';

/**
 * Limits on what the command line may carry. Beyond them an argument is a
 * mistake (a pasted file, a runaway script), not a query: the model reads at
 * most a few hundred tokens of a query, and a path glob longer than a path is
 * meaningless. Refused with exit 2 before the engine opens.
 */
export const MAX_QUERY_CHARS = 4096;
export const MAX_GLOB_CHARS = 1024;

export const KNOWN_LANGUAGE_IDS: readonly string[] = LANGUAGES.map((language) => language.id);

/** Commander parser for a repeatable, comma-separated `--lang`: unknown ids are a usage error. */
export function collectLanguages(value: string, previous: string[] = []): string[] {
  const ids = splitList(value);
  const unknown = ids.filter((id) => !KNOWN_LANGUAGE_IDS.includes(id));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown language${unknown.length > 1 ? 's' : ''} ${unknown.map((id) => `'${id}'`).join(', ')}; known: ${KNOWN_LANGUAGE_IDS.join(', ')}`);
  }
  return [...previous, ...ids];
}

/** Commander parser for a repeatable, comma-separated glob option (`--path`, `--exclude`). */
export function collectGlobs(value: string, previous: string[] = []): string[] {
  const globs = splitList(value);
  const long = globs.find((glob) => glob.length > MAX_GLOB_CHARS);
  if (long) throw new InvalidArgumentError(`a glob of ${long.length} characters is too long; the limit is ${MAX_GLOB_CHARS}`);
  return [...previous, ...globs];
}

/** The query from its words; an empty or over-long one is a usage error. */
export function queryFrom(words: readonly string[]): string {
  const query = words.join(' ').trim();
  if (query.length === 0) throw new InvalidArgumentError('the query is empty: say what the code does, e.g. codegraph search "parse a config file"');
  if (query.length > MAX_QUERY_CHARS) throw new InvalidArgumentError(`the query is ${query.length} characters long; the limit is ${MAX_QUERY_CHARS}`);
  return query;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}
