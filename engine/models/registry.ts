/**
 * The models CodeGraph can use: the bundled ones (in the package's `models/`)
 * and those pulled into the user model folder, and the resolution of a model
 * reference (a folder, an installed id, a repo id or a manifest id) to a folder.
 * Reads only the local disk.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { packageRoot } from '../config/paths.js';
import { ModelLoadError } from '../errors.js';
import { userModelsDir } from './paths.js';

/** Written beside a pulled model's files: where they came from and what was verified. */
export const PULL_RECORD = 'codegraph-pull.json';
const MANIFEST = 'codegraph-model.json';

export interface PullRecord {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  readonly endpoint: string;
  /** The ONNX graph that was chosen, relative to the model folder. */
  readonly onnx: string;
  readonly pulledAt: string;
  readonly files: readonly { readonly path: string; readonly size: number; readonly sha256: string }[];
}

export interface ModelEntry {
  /** What to pass to `--model`: the folder name. */
  readonly id: string;
  readonly dir: string;
  readonly source: 'bundled' | 'user';
  /** The bundled model that `models/default.json` names. */
  readonly isDefault: boolean;
  /** The manifest's own id (codegraph-model.json), when the folder has one. */
  readonly manifestId: string | null;
  /** For pulled models: the Hub repo, revision and commit. */
  readonly pull: PullRecord | null;
}

export interface ModelFolders {
  readonly bundledDir?: string;
  readonly userDir?: string;
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

function entriesIn(dir: string, source: ModelEntry['source'], defaultName: string | null): ModelEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    const manifest = readJson<{ id?: unknown }>(join(path, MANIFEST));
    const pull = readJson<PullRecord>(join(path, PULL_RECORD));
    if (!manifest && !pull) return [];
    const manifestId = typeof manifest?.id === 'string' ? manifest.id : null;
    return [{ id: name, dir: path, source, isDefault: name === defaultName, manifestId, pull }];
  });
}

/** Bundled models first (the default marked), then pulled ones; staging folders of unfinished pulls are not models. */
export function listModels(folders: ModelFolders = {}): ModelEntry[] {
  const bundledDir = folders.bundledDir ?? join(packageRoot(), 'models');
  const defaultName = readJson<{ default?: string }>(join(bundledDir, 'default.json'))?.default ?? null;
  return [...entriesIn(bundledDir, 'bundled', defaultName), ...entriesIn(folders.userDir ?? userModelsDir(), 'user', null)];
}

/** The installed model a reference names: its folder name, Hub repo id, or manifest id. */
export function findModel(reference: string, models: readonly ModelEntry[]): ModelEntry | undefined {
  return (
    models.find((model) => model.source === 'user' && model.id === reference) ??
    models.find((model) => model.pull?.repo === reference) ??
    models.find((model) => model.source === 'bundled' && model.id === reference) ??
    models.find((model) => model.manifestId === reference)
  );
}

/**
 * A `--model` value to a model folder: an existing folder wins; then an
 * installed model's id; a value that looks like a path is passed on for the
 * engine to report; an unknown bare name fails here, listing what is installed.
 */
export function resolveModelReference(reference: string, folders: ModelFolders = {}, cwd = process.cwd()): string {
  const expanded = reference === '~' || reference.startsWith('~/') ? join(homedir(), reference.slice(1)) : reference;
  const asPath = isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
  if (existsSync(asPath) && statSync(asPath).isDirectory()) return asPath;
  const models = listModels(folders);
  const found = findModel(reference, models);
  if (found) return found.dir;
  const looksLikeRepo = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(reference);
  if (/[\\/]/.test(reference) && !looksLikeRepo) return asPath;
  throw new ModelLoadError(`No model '${reference}': not a folder, and not the id of an installed model (${models.map((model) => model.id).join(', ') || 'none installed'})`, {
    hint: looksLikeRepo ? `Pull it first: codegraph model pull ${reference}` : 'See `codegraph model list`, or pass a model folder.',
  });
}
