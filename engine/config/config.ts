import { resolve } from 'node:path';
import type { DiscoveryOptions } from '../discovery/types.js';
import type { Device } from '../embedding/model.js';
import { InvalidConfigError } from '../errors.js';
import { defaultPoolSize } from '../pool/pool.js';
import { isVectorPrecision, VECTOR_PRECISIONS, type VectorPrecision } from '../vectors/codecs.js';
import { userModelsDir } from '../models/paths.js';
import { bundledModelsDir, defaultCacheDir, defaultGrammarsDir, defaultModelDir } from './paths.js';

/** Everything an engine instance is configured with; `resolveConfig` fills defaults and validates. */
export interface EngineConfig {
  readonly root: string;
  readonly cacheDir: string;
  /** Model directory; null for lexical-only search. */
  readonly modelDir: string | null;
  /**
   * Folders models may be loaded from (docs/models.md, "Where models may come
   * from"): the bundled `models/`, the user's models folder, and the input's
   * `modelRoots`. A model directory or model file outside them is refused.
   */
  readonly modelRoots: readonly string[];
  readonly grammarsDir: string;
  readonly device: Device;
  /** Output dimensions kept (Matryoshka truncation); 0 keeps the model's own. */
  readonly dimensions: number;
  /** How the in-memory dense index holds vectors (docs/precision.md); at rest they stay int8. */
  readonly precision: VectorPrecision;
  /** PCA output dimensions for the dense index, fitted on the workspace's vectors; 0 = off. */
  readonly pcaDimensions: number;
  readonly workers: number;
  /** Files per indexing batch (one transaction each). */
  readonly batchFiles: number;
  /** Texts per embedding task. */
  readonly embedBatchSize: number;
  /** Budget for the query-embedding and chunk caches, in MB. */
  readonly cacheBudgetMb: number;
  readonly discovery: DiscoveryOptions;
  /** Compiled worker entry, for bundles that move it. */
  readonly workerFile?: string;
}

/**
 * `modelRoots`: further folders the user has configured for models. When it is
 * absent, an explicit `modelDir` counts as configured (a command-line argument
 * or a caller's own choice); front ends that take the model path from a source
 * the user does not control pass the user's folders here, and the path must lie inside them.
 */
export type EngineConfigInput = Partial<Omit<EngineConfig, 'discovery' | 'root'>> & { root: string; discovery?: Partial<DiscoveryOptions> };

export function resolveConfig(input: EngineConfigInput): EngineConfig {
  const root = resolve(input.root);
  const config: EngineConfig = {
    root,
    cacheDir: input.cacheDir ? resolve(input.cacheDir) : defaultCacheDir(root),
    modelDir: input.modelDir === null ? null : input.modelDir ? resolve(input.modelDir) : defaultModelDir(),
    modelRoots: [bundledModelsDir(), userModelsDir(), ...(input.modelRoots ?? (input.modelDir ? [input.modelDir] : [])).map((dir) => resolve(dir))],
    grammarsDir: input.grammarsDir ?? defaultGrammarsDir(),
    device: input.device ?? 'cpu',
    dimensions: input.dimensions ?? 0,
    precision: input.precision ?? 'int8',
    pcaDimensions: input.pcaDimensions ?? 0,
    workers: input.workers ?? defaultPoolSize(),
    batchFiles: input.batchFiles ?? 512,
    embedBatchSize: input.embedBatchSize ?? 256,
    cacheBudgetMb: input.cacheBudgetMb ?? 64,
    discovery: {
      maxFileBytes: input.discovery?.maxFileBytes ?? 1024 * 1024,
      // Links are followed by default, but only where they stay inside the workspace (or a root named here).
      followSymlinks: input.discovery?.followSymlinks ?? true,
      allowedSymlinkRoots: (input.discovery?.allowedSymlinkRoots ?? []).map((dir) => resolve(dir)),
      excludeGlobs: input.discovery?.excludeGlobs ?? [],
      languages: input.discovery?.languages ?? [],
      respectGitignore: input.discovery?.respectGitignore ?? true,
    },
    ...(input.workerFile ? { workerFile: input.workerFile } : {}),
  };
  validate(config);
  return config;
}

function validate(config: EngineConfig): void {
  const positiveInteger = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) throw new InvalidConfigError(name, `must be a positive integer, got ${value}`);
  };
  if (!['cpu', 'cuda', 'auto'].includes(config.device)) throw new InvalidConfigError('device', `must be cpu, cuda or auto, got '${config.device}'`);
  if (!Number.isInteger(config.dimensions) || config.dimensions < 0) throw new InvalidConfigError('dimensions', `must be 0 (model default) or a positive integer, got ${config.dimensions}`);
  if (!isVectorPrecision(config.precision)) throw new InvalidConfigError('precision', `must be one of ${VECTOR_PRECISIONS.join(', ')}, got '${String(config.precision)}'`);
  if (!Number.isInteger(config.pcaDimensions) || config.pcaDimensions < 0) throw new InvalidConfigError('pcaDimensions', `must be 0 (off) or a positive integer, got ${config.pcaDimensions}`);
  positiveInteger('workers', config.workers);
  positiveInteger('batchFiles', config.batchFiles);
  positiveInteger('embedBatchSize', config.embedBatchSize);
  positiveInteger('cacheBudgetMb', config.cacheBudgetMb);
  positiveInteger('maxFileBytes', config.discovery.maxFileBytes);
}
