/**
 * `codegraph model pull`: downloads a model from the Hugging Face Hub into the
 * user's model folder. The only code in CodeGraph that opens a socket, and it
 * runs only when asked. Files are staged in a hidden folder beside the
 * installed models (kept across runs, so a killed pull resumes), verified one
 * by one, and the folder is renamed into place only when complete: a model
 * folder without a dot is always whole.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CancelledError, InvalidConfigError } from '../errors.js';
import { downloadFile } from './download.js';
import { hubEndpoint, listRepoFiles, resolveCommit, resolveUrl } from './hub.js';
import { installName, userModelsDir, validateRepoId } from './paths.js';
import { PULL_RECORD, type PullRecord } from './registry.js';
import { planPull } from './selection.js';

export type PullProgress =
  | { readonly phase: 'resolving'; readonly repo: string; readonly revision: string }
  | { readonly phase: 'downloading'; readonly file: string; readonly bytesDone: number; readonly bytesTotal: number; readonly filesDone: number; readonly filesTotal: number }
  | { readonly phase: 'installed'; readonly dir: string };

export interface PullOptions {
  /** `owner/name` on the Hub. */
  readonly repo: string;
  /** Branch, tag or commit; default `main`. */
  readonly revision?: string | undefined;
  /** Repo-relative ONNX file to take instead of onnx/model.onnx or model.onnx. */
  readonly onnxFile?: string | undefined;
  /** Replace an installed copy of another commit. */
  readonly force?: boolean | undefined;
  /** Default: `HF_ENDPOINT`, else https://huggingface.co. */
  readonly endpoint?: string | undefined;
  /** Default: `HF_TOKEN`. */
  readonly token?: string | undefined;
  /** Default: the user model folder (`CODEGRAPH_MODEL_HOME` overrides). */
  readonly modelsDir?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: PullProgress) => void) | undefined;
  /** Download attempts per file, and the first retry's delay. */
  readonly attempts?: number | undefined;
  readonly backoffMs?: number | undefined;
  readonly stallTimeoutMs?: number | undefined;
}

export interface PullResult {
  /** The installed model's id: its folder name. */
  readonly id: string;
  readonly dir: string;
  readonly record: PullRecord;
  /** False when that commit was already installed and nothing was downloaded. */
  readonly downloaded: boolean;
}

/** Staging state, so a resumed pull keeps only partial files of the same commit and ONNX choice. */
const STAGING_STATE = '.codegraph-pull-target.json';

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The endpoint as recorded on disk: a mirror URL may carry a user name and password. */
function withoutCredentials(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/+$/, '');
  } catch {
    return endpoint;
  }
}

export async function pullModel(options: PullOptions): Promise<PullResult> {
  const repo = validateRepoId(options.repo.trim());
  const revision = options.revision?.trim() || 'main';
  const endpoint = (options.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const token = options.token ?? (process.env['HF_TOKEN'] || undefined);
  const modelsDir = options.modelsDir ?? userModelsDir();
  const id = installName(repo);
  const target = join(modelsDir, id);
  const staging = join(modelsDir, `.${id}.pull`);
  const client = { endpoint, token, signal: options.signal };

  options.onProgress?.({ phase: 'resolving', repo, revision });
  const commit = await resolveCommit(repo, revision, client);
  const plan = planPull(repo, await listRepoFiles(repo, commit, client), options.onnxFile);

  const installed = readJson<PullRecord>(join(target, PULL_RECORD));
  if (installed && installed.commit === commit && installed.onnx === plan.onnx && !options.force) {
    return { id, dir: target, record: installed, downloaded: false };
  }
  if (existsSync(target) && !options.force) {
    const what = installed ? `${installed.repo}@${installed.commit.slice(0, 12)} (${installed.onnx})` : 'a folder that was not pulled';
    throw new InvalidConfigError('force', `${target} already holds ${what}; pass --force to replace it with ${repo}@${commit.slice(0, 12)} (${plan.onnx})`);
  }

  const state = { repo, commit, onnx: plan.onnx };
  const staged = readJson<typeof state>(join(staging, STAGING_STATE));
  if (!staged || staged.repo !== repo || staged.commit !== commit || staged.onnx !== plan.onnx) await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, STAGING_STATE), JSON.stringify(state));

  const onDisk = new Map<string, number>();
  const report = (file: string, filesDone: number) => {
    let bytesDone = 0;
    for (const bytes of onDisk.values()) bytesDone += bytes;
    options.onProgress?.({ phase: 'downloading', file, bytesDone, bytesTotal: plan.totalBytes, filesDone, filesTotal: plan.files.length });
  };
  const files: PullRecord['files'][number][] = [];
  for (const [index, file] of plan.files.entries()) {
    if (options.signal?.aborted) throw new CancelledError('Model download cancelled');
    const dest = join(staging, file.path);
    await mkdir(dirname(dest), { recursive: true });
    const { sha256 } = await downloadFile({
      url: resolveUrl(endpoint, repo, commit, file.path),
      dest,
      expected: file,
      token,
      signal: options.signal,
      attempts: options.attempts,
      backoffMs: options.backoffMs,
      stallTimeoutMs: options.stallTimeoutMs,
      onBytes: (bytes) => {
        onDisk.set(file.path, bytes);
        report(file.path, index);
      },
    });
    onDisk.set(file.path, file.size);
    report(file.path, index + 1);
    files.push({ path: file.path, size: file.size, sha256 });
  }

  const record: PullRecord = { repo, revision, commit, endpoint: withoutCredentials(endpoint), onnx: plan.onnx, pulledAt: new Date().toISOString(), files };
  await writeFile(join(staging, PULL_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  await rm(join(staging, STAGING_STATE), { force: true });
  // Swap in by renames on one file system: the old model stays whole until the new one is.
  const replaced = existsSync(target) ? join(modelsDir, `.${id}.replaced-${Date.now()}`) : null;
  if (replaced) await rename(target, replaced);
  try {
    await rename(staging, target);
  } catch (error) {
    if (replaced) await rename(replaced, target).catch(() => undefined);
    throw error;
  }
  if (replaced) await rm(replaced, { recursive: true, force: true });
  options.onProgress?.({ phase: 'installed', dir: target });
  return { id, dir: target, record, downloaded: true };
}
