import { join } from 'node:path';
import envPaths from 'env-paths';
import { InvalidConfigError } from '../errors.js';

/**
 * The per-user folder that pulled models are installed into:
 * `$XDG_DATA_HOME/codegraph/models` on Linux (env-paths' data dir elsewhere).
 * `CODEGRAPH_MODEL_HOME` overrides it, as `CODEGRAPH_CACHE_HOME` does for indexes.
 */
export function userModelsDir(): string {
  return process.env['CODEGRAPH_MODEL_HOME'] || join(envPaths('codegraph', { suffix: '' }).data, 'models');
}

const REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;

/** Checks a Hugging Face repo id (`owner/name` or a bare legacy `name`); the id becomes a folder name and URL segments. */
export function validateRepoId(repoId: string): string {
  const parts = repoId.split('/');
  if (parts.length > 2 || !parts.every((part) => REPO_PART.test(part) && !part.includes('..') && !part.includes('--'))) {
    throw new InvalidConfigError('repo', `'${repoId}' is not a Hugging Face model id (expected owner/name, letters, digits, '.', '_' and '-')`);
  }
  return repoId;
}

/** The installed folder's name (and the model's id in the CLI and the editor) for a repo: `owner/name` → `owner--name`. */
export function installName(repoId: string): string {
  return validateRepoId(repoId).replace('/', '--');
}
