import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import envPaths from 'env-paths';
import { sha256Hex } from '../hashing/hash.js';

let cachedRoot: string | undefined;

/**
 * The installed package's root (where `grammars/` and `models/` live), found
 * by walking up from this module: works from `out/engine/...` and from a bundle in `dist/`.
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'grammars', 'grammars.json'))) return (cachedRoot = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find CodeGraph's package root above ${__dirname}`);
    dir = parent;
  }
}

export function defaultGrammarsDir(): string {
  return join(packageRoot(), 'grammars');
}

/** The package's own `models/` folder. */
export function bundledModelsDir(): string {
  return join(packageRoot(), 'models');
}

/** The bundled default model, named by `models/default.json`. */
export function defaultModelDir(): string {
  const models = bundledModelsDir();
  const { default: name } = JSON.parse(readFileSync(join(models, 'default.json'), 'utf8')) as { default: string };
  return join(models, name);
}

/** Per-user cache location for a workspace, keyed by its real path so two checkouts never share an index. */
export function defaultCacheDir(workspaceRoot: string): string {
  const absolute = resolve(workspaceRoot);
  let real = absolute;
  try {
    real = realpathSync(absolute);
  } catch {
    // A missing directory is reported by the caller; the key only needs to be stable.
  }
  const base = process.env['CODEGRAPH_CACHE_HOME'] ?? join(envPaths('codegraph', { suffix: '' }).cache, 'workspaces');
  const name = basename(real).replace(/[^A-Za-z0-9._-]/g, '_') || 'root';
  return join(base, `${name}-${sha256Hex(real).slice(0, 12)}`);
}
