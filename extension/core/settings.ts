/**
 * The extension's settings as data: one table of specs that the Config class
 * reads through, that validation uses for clear messages, and that a unit test
 * compares with `contributes.configuration` in package.json so the two cannot
 * drift. Pure: no `vscode` import.
 */
import { availableParallelism, homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { EngineConfigInput } from '../../engine/index.js';
import { LANGUAGES } from '../../engine/parsing/languages.js';

export const SECTION = 'codegraph';

export const DEVICES = ['cpu', 'cuda', 'auto'] as const;
export type Device = (typeof DEVICES)[number];
export const PRECISIONS = ['auto', 'fp32', 'fp16', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];
/** Language ids the engine knows; the `languages` setting may only name these. */
export const LANGUAGE_IDS: readonly string[] = LANGUAGES.map((spec) => spec.id);

const isHomePath = (path: string) => path === '~' || path.startsWith('~/');
const expandHome = (path: string, homeDir: string | undefined) => (isHomePath(path) ? join(homeDir ?? homedir(), path.slice(1)) : path);

export interface ExtensionSettings {
  /** Raw model setting: '' (bundled default), 'none', a bundled model id, or a folder path. */
  readonly model: string;
  /** Further folders models may load from (absolute or `~/`); user settings only (machine scope). */
  readonly modelDirectories: readonly string[];
  readonly device: Device;
  readonly dimensions: number;
  readonly precision: Precision;
  /** Worker threads; 0 lets the engine choose (cores − 1). */
  readonly workers: number;
  readonly batchSize: number;
  readonly cacheSizeMb: number;
  readonly languages: readonly string[];
  readonly excludeGlobs: readonly string[];
  readonly maxFileSizeKb: number;
  readonly codeLens: boolean;
  readonly hover: boolean;
}

type SettingSpec =
  | { readonly kind: 'string'; readonly default: string }
  | { readonly kind: 'enum'; readonly default: string; readonly values: readonly string[] }
  | { readonly kind: 'integer'; readonly default: number; readonly minimum: number; readonly maximum: number }
  | { readonly kind: 'boolean'; readonly default: boolean }
  | { readonly kind: 'stringArray'; readonly default: readonly string[]; readonly itemValues?: readonly string[]; readonly absolutePaths?: boolean };

/** Setting key (below the `codegraph.` section) for each field, and its schema. */
export const SETTING_KEYS: Readonly<Record<keyof ExtensionSettings, string>> = {
  model: 'model',
  modelDirectories: 'modelDirectories',
  device: 'device',
  dimensions: 'dimensions',
  precision: 'precision',
  workers: 'workers',
  batchSize: 'batchSize',
  cacheSizeMb: 'cacheSizeMb',
  languages: 'languages',
  excludeGlobs: 'excludeGlobs',
  maxFileSizeKb: 'maxFileSizeKb',
  codeLens: 'similar.codeLens',
  hover: 'similar.hover',
};

export const SETTING_SPECS: Readonly<Record<keyof ExtensionSettings, SettingSpec>> = {
  model: { kind: 'string', default: '' },
  modelDirectories: { kind: 'stringArray', default: [], absolutePaths: true },
  device: { kind: 'enum', default: 'cpu', values: DEVICES },
  dimensions: { kind: 'integer', default: 0, minimum: 0, maximum: 4096 },
  precision: { kind: 'enum', default: 'auto', values: PRECISIONS },
  workers: { kind: 'integer', default: 0, minimum: 0, maximum: 64 },
  batchSize: { kind: 'integer', default: 256, minimum: 1, maximum: 4096 },
  cacheSizeMb: { kind: 'integer', default: 64, minimum: 1, maximum: 65536 },
  languages: { kind: 'stringArray', default: [], itemValues: LANGUAGE_IDS },
  excludeGlobs: { kind: 'stringArray', default: [] },
  maxFileSizeKb: { kind: 'integer', default: 1024, minimum: 1, maximum: 1048576 },
  codeLens: { kind: 'boolean', default: true },
  hover: { kind: 'boolean', default: true },
};

/** Settings whose change means reopening each engine (and re-indexing; a new model re-embeds). */
export const ENGINE_SETTINGS: readonly (keyof ExtensionSettings)[] = [
  'model',
  'modelDirectories',
  'device',
  'dimensions',
  'precision',
  'workers',
  'batchSize',
  'cacheSizeMb',
  'languages',
  'excludeGlobs',
  'maxFileSizeKb',
];

/** One invalid setting value, and what was used instead. */
export interface SettingProblem {
  /** Full key, e.g. `codegraph.workers`. */
  readonly key: string;
  readonly message: string;
}

export interface ParsedSettings {
  readonly settings: ExtensionSettings;
  readonly problems: readonly SettingProblem[];
}

/**
 * Validates raw values (as VS Code returns them: anything a user typed into
 * settings.json) against the specs. Wrong types fall back to the default,
 * out-of-range integers are clamped, unknown list items are dropped; each such
 * repair is reported so the user can fix the source.
 */
export function parseSettings(read: (key: string) => unknown): ParsedSettings {
  const problems: SettingProblem[] = [];
  const result: Record<string, unknown> = {};
  for (const field of Object.keys(SETTING_SPECS) as (keyof ExtensionSettings)[]) {
    const key = SETTING_KEYS[field];
    const spec = SETTING_SPECS[field];
    const raw = read(key);
    const fullKey = `${SECTION}.${key}`;
    const report = (message: string) => problems.push({ key: fullKey, message });
    result[field] = raw === undefined || raw === null ? spec.default : parseValue(spec, raw, report);
  }
  return { settings: result as unknown as ExtensionSettings, problems };
}

function parseValue(spec: SettingSpec, raw: unknown, report: (message: string) => void): unknown {
  const shown = JSON.stringify(raw);
  switch (spec.kind) {
    case 'string':
      if (typeof raw === 'string') return raw.trim();
      report(`must be a string; got ${shown}. Using ${JSON.stringify(spec.default)}.`);
      return spec.default;
    case 'enum':
      if (typeof raw === 'string' && spec.values.includes(raw)) return raw;
      report(`must be one of ${spec.values.join(', ')}; got ${shown}. Using '${spec.default}'.`);
      return spec.default;
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      report(`must be true or false; got ${shown}. Using ${spec.default}.`);
      return spec.default;
    case 'integer': {
      if (typeof raw !== 'number' || !Number.isInteger(raw)) {
        report(`must be an integer from ${spec.minimum} to ${spec.maximum}; got ${shown}. Using ${spec.default}.`);
        return spec.default;
      }
      const clamped = Math.min(spec.maximum, Math.max(spec.minimum, raw));
      if (clamped !== raw) report(`must be from ${spec.minimum} to ${spec.maximum}; got ${raw}. Using ${clamped}.`);
      return clamped;
    }
    case 'stringArray': {
      if (!Array.isArray(raw)) {
        report(`must be a list of strings; got ${shown}. Using ${JSON.stringify(spec.default)}.`);
        return spec.default;
      }
      const kept: string[] = [];
      for (const item of raw) {
        if (typeof item !== 'string' || item.trim() === '') report(`ignores ${JSON.stringify(item)}: items must be non-empty strings.`);
        else if (spec.itemValues && !spec.itemValues.includes(item)) report(`ignores unknown item '${item}'; known values: ${spec.itemValues.join(', ')}.`);
        else if (spec.absolutePaths && !isAbsolute(item.trim()) && !isHomePath(item.trim())) report(`ignores '${item}': it must be an absolute path (or start with ~/).`);
        else kept.push(item.trim());
      }
      return kept;
    }
  }
}

/** Whether two snapshots differ in a setting that needs the engines reopened. */
export function engineSettingsChanged(before: ExtensionSettings, after: ExtensionSettings): boolean {
  return ENGINE_SETTINGS.some((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
}

/** What the model setting asks for. */
export type ModelChoice =
  | { readonly kind: 'default' }
  | { readonly kind: 'none' }
  | { readonly kind: 'bundled'; readonly id: string }
  | { readonly kind: 'path'; readonly path: string };

const BUNDLED_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseModelSetting(value: string): ModelChoice {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'default') return { kind: 'default' };
  if (trimmed === 'none') return { kind: 'none' };
  if (BUNDLED_ID.test(trimmed) && !trimmed.includes('..')) return { kind: 'bundled', id: trimmed };
  return { kind: 'path', path: trimmed };
}

/**
 * The folders models may load from: the bundled models, the user's models
 * folder, and `codegraph.modelDirectories`. That setting is machine-scoped, so
 * VS Code takes it from user settings only: a cloned repository cannot widen
 * where models come from.
 */
export function modelRootsOf(settings: Pick<ExtensionSettings, 'modelDirectories'>, bundledModelsDir: string, userModelsDir: string, homeDir?: string): string[] {
  return [...new Set([bundledModelsDir, userModelsDir, ...settings.modelDirectories.map((dir) => resolve(expandHome(dir, homeDir)))])];
}

/**
 * Whether `dir` lies inside one of `roots` (or is one), compared by real
 * paths as the engine does, so a link cannot lead outside.
 */
export function isInsideModelRoots(dir: string, roots: readonly string[], realPath: (path: string) => string = resolve): boolean {
  const real = realPath(dir);
  return roots.some((root) => {
    const realRoot = realPath(root);
    const inside = relative(realRoot, real);
    return inside === '' || (!isAbsolute(inside) && inside !== '..' && !inside.startsWith(`..${sep}`));
  });
}

/** What model resolution may look at; injected so tests need no real model folders. */
export interface ModelEnvironment {
  /** The extension's `models/` folder. */
  readonly bundledModelsDir: string;
  /** The user's models folder (`codegraph model pull` installs there). */
  readonly userModelsDir: string;
  /** The folder the default model lives in (from models/default.json). */
  readonly defaultModelDir: string;
  /** Folders a model may load from (`modelRootsOf`); anything else is refused. */
  readonly modelRoots: readonly string[];
  /** The workspace folder, for relative paths. */
  readonly folderRoot: string;
  readonly isModelDir: (dir: string) => boolean;
  /** Resolves symbolic links; a path that does not exist resolves to itself. */
  readonly realPath?: (path: string) => string;
  readonly homeDir?: string;
}

export interface ResolvedModel {
  /** Folder to load, or null for lexical-only search. */
  readonly modelDir: string | null;
  /** Why the result differs from what was asked, for the log and the status. */
  readonly notes: readonly string[];
  /** Set when the setting named a folder outside the model folders: that folder (never loaded) and the note about it. */
  readonly refused: { readonly dir: string; readonly message: string } | null;
}

/**
 * Turns the model and precision settings into a model folder. A bare id names
 * a bundled model, then one in the user's models folder, then a folder in the
 * workspace. A folder outside the model folders is refused with a note that
 * says which setting to change, and the default model is used instead. A
 * precision other than `auto` selects a sibling build named
 * `<model>-<precision>` when one exists (inside the model folders too);
 * otherwise the model's own weights are used and a note says so.
 */
export function resolveModel(setting: string, precision: Precision, env: ModelEnvironment): ResolvedModel {
  const choice = parseModelSetting(setting);
  const notes: string[] = [];
  const allowed = (dir: string) => isInsideModelRoots(dir, env.modelRoots, env.realPath);
  let refused: ResolvedModel['refused'] = null;
  let base: string;
  switch (choice.kind) {
    case 'none':
      return { modelDir: null, notes, refused };
    case 'default':
      base = env.defaultModelDir;
      break;
    case 'bundled': {
      const candidates = [join(env.bundledModelsDir, choice.id), join(env.userModelsDir, choice.id), resolve(env.folderRoot, choice.id)];
      const found = candidates.find((dir) => env.isModelDir(dir));
      if (!found) notes.push(`No model named '${choice.id}' (looked in ${env.bundledModelsDir} and ${env.userModelsDir}).`);
      base = found ?? candidates[0]!;
      break;
    }
    case 'path': {
      const expanded = expandHome(choice.path, env.homeDir);
      base = isAbsolute(expanded) ? resolve(expanded) : resolve(env.folderRoot, expanded);
      break;
    }
  }
  if (!allowed(base)) {
    const message =
      `"${SECTION}.${SETTING_KEYS.model}" names ${base}, which is outside the model folders (${env.modelRoots.join(', ')}), so it is not loaded; using the default model. ` +
      `To use it, add its folder to "${SECTION}.${SETTING_KEYS.modelDirectories}" in your User settings (workspace settings cannot add model folders), or move it into ${env.userModelsDir}.`;
    refused = { dir: base, message };
    notes.push(message);
    base = env.defaultModelDir;
  }
  if (precision === 'auto') return { modelDir: base, notes, refused };
  const variant = `${base}-${precision}`;
  if (env.isModelDir(variant) && allowed(variant)) return { modelDir: variant, notes, refused };
  notes.push(`No ${precision} build of the model (${variant}); using ${base}.`);
  return { modelDir: base, notes, refused };
}

/** The engine options for one workspace folder. */
export function toEngineInput(settings: ExtensionSettings, folderRoot: string, modelDir: string | null, modelRoots: readonly string[]): EngineConfigInput {
  return {
    root: folderRoot,
    modelDir,
    // The engine refuses model files outside these too (links, `../` in a manifest).
    modelRoots: [...modelRoots],
    device: settings.device,
    dimensions: settings.dimensions,
    embedBatchSize: settings.batchSize,
    cacheBudgetMb: settings.cacheSizeMb,
    workers: settings.workers > 0 ? settings.workers : autoWorkers(),
    discovery: {
      languages: [...settings.languages],
      excludeGlobs: [...settings.excludeGlobs],
      maxFileBytes: settings.maxFileSizeKb * 1024,
    },
  };
}

/** Workers when the setting is 0: cores − 1, at most 4, since the editor and other extensions share the machine. */
export function autoWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(4, cores - 1));
}
