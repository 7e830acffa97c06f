/**
 * The extension's settings as data: one table of specs that the Config class
 * reads through, that validation uses for clear messages, and that a unit test
 * compares with `contributes.configuration` in package.json so the two cannot
 * drift. Pure: no `vscode` import.
 */
import { availableParallelism, homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { EngineConfigInput } from '../../engine/index.js';
import { LANGUAGES } from '../../engine/parsing/languages.js';

export const SECTION = 'codegraph';

export const DEVICES = ['cpu', 'cuda', 'auto'] as const;
export type Device = (typeof DEVICES)[number];
export const PRECISIONS = ['auto', 'fp32', 'fp16', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];
/** Language ids the engine knows; the `languages` setting may only name these. */
export const LANGUAGE_IDS: readonly string[] = LANGUAGES.map((spec) => spec.id);

export interface ExtensionSettings {
  /** Raw model setting: '' (bundled default), 'none', a bundled model id, or a folder path. */
  readonly model: string;
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
  | { readonly kind: 'stringArray'; readonly default: readonly string[]; readonly itemValues?: readonly string[] };

/** Setting key (below the `codegraph.` section) for each field, and its schema. */
export const SETTING_KEYS: Readonly<Record<keyof ExtensionSettings, string>> = {
  model: 'model',
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

/** What model resolution may look at; injected so tests need no real model folders. */
export interface ModelEnvironment {
  /** The extension's `models/` folder. */
  readonly bundledModelsDir: string;
  /** The folder the default model lives in (from models/default.json). */
  readonly defaultModelDir: string;
  /** The workspace folder, for relative paths. */
  readonly folderRoot: string;
  readonly isModelDir: (dir: string) => boolean;
  readonly homeDir?: string;
}

export interface ResolvedModel {
  /** Folder to load, or null for lexical-only search. */
  readonly modelDir: string | null;
  /** Why the result differs from what was asked, for the log and the status. */
  readonly notes: readonly string[];
}

/**
 * Turns the model and precision settings into a model folder. A precision other
 * than `auto` selects a sibling build named `<model>-<precision>` when one
 * exists; otherwise the model's own weights are used and a note says so.
 */
export function resolveModel(setting: string, precision: Precision, env: ModelEnvironment): ResolvedModel {
  const choice = parseModelSetting(setting);
  const notes: string[] = [];
  let base: string;
  switch (choice.kind) {
    case 'none':
      return { modelDir: null, notes };
    case 'default':
      base = env.defaultModelDir;
      break;
    case 'bundled':
      base = join(env.bundledModelsDir, choice.id);
      if (!env.isModelDir(base)) {
        // A bare name that is a folder in the workspace wins over a missing bundled id.
        const local = resolve(env.folderRoot, choice.id);
        if (env.isModelDir(local)) base = local;
        else notes.push(`No bundled model named '${choice.id}' (looked in ${env.bundledModelsDir}).`);
      }
      break;
    case 'path': {
      const expanded = choice.path === '~' || choice.path.startsWith('~/') ? join(env.homeDir ?? homedir(), choice.path.slice(1)) : choice.path;
      base = isAbsolute(expanded) ? resolve(expanded) : resolve(env.folderRoot, expanded);
      break;
    }
  }
  if (precision === 'auto') return { modelDir: base, notes };
  const variant = `${base}-${precision}`;
  if (env.isModelDir(variant)) return { modelDir: variant, notes };
  notes.push(`No ${precision} build of the model (${variant}); using ${base}.`);
  return { modelDir: base, notes };
}

/** The engine options for one workspace folder. */
export function toEngineInput(settings: ExtensionSettings, folderRoot: string, modelDir: string | null): EngineConfigInput {
  return {
    root: folderRoot,
    modelDir,
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
