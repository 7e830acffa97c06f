/**
 * The slice of the Hugging Face Hub HTTP API that pulling a model needs: a
 * revision's commit, the file tree with sizes and hashes, and file URLs.
 * `HF_ENDPOINT` points it at a mirror (or a test server); `HF_TOKEN` is sent
 * as a bearer token for gated and private repos.
 */
import { NetworkError, NotFoundError } from '../errors.js';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface HubClientOptions {
  readonly endpoint: string;
  readonly token?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** One file of a repo at a commit, as the tree API reports it. */
export interface RepoFile {
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the content, known for files stored with Git LFS (all weights). */
  readonly sha256: string | null;
  /** Git blob id (SHA-1 over `blob <size>\0<content>`), known for every file. */
  readonly gitOid: string | null;
}

interface TreeEntry {
  readonly type?: string;
  readonly path?: string;
  readonly size?: number;
  readonly oid?: string;
  readonly lfs?: { readonly oid?: string; readonly size?: number };
}

/** The endpoint from `HF_ENDPOINT`, without a trailing slash. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env['HF_ENDPOINT'] || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** Where a file of the repo at `revision` (a commit, preferably) is downloaded from. */
export function resolveUrl(endpoint: string, repoId: string, revision: string, path: string): string {
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

/** Fails with a typed error that says what to do for each kind of HTTP failure. */
export function httpFailure(response: Response, what: string, repoId: string): Error {
  const url = response.url;
  if (response.status === 404) {
    return new NotFoundError(`${what}: not found on the Hub (HTTP 404)`, { url, repo: repoId, hint: `Check the repo id and revision at ${url.split('/api/')[0]}/${repoId}.` });
  }
  if (response.status === 401 || response.status === 403) {
    return new NetworkError(`${what}: access denied (HTTP ${response.status})`, {
      url,
      status: response.status,
      hint: 'The repo may be private or gated, or not exist: accept its terms on the Hub and set HF_TOKEN to an access token.',
    });
  }
  return new NetworkError(`${what}: HTTP ${response.status} ${response.statusText}`, { url, status: response.status });
}

async function getJson(url: string, what: string, repoId: string, options: HubClientOptions): Promise<{ body: unknown; response: Response }> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json', ...authHeaders(options.token) }, signal: options.signal ?? null });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new NetworkError(`${what}: cannot reach ${new URL(url).origin} (${(error as Error).message})`, { url, hint: 'Check the network connection, or set HF_ENDPOINT to a reachable mirror.' }, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw httpFailure(response, what, repoId);
  }
  try {
    return { body: await response.json(), response };
  } catch (error) {
    throw new NetworkError(`${what}: the Hub answered with invalid JSON`, { url }, { cause: error });
  }
}

/** The commit a revision (branch, tag or commit) points to, so every file comes from one snapshot. */
export async function resolveCommit(repoId: string, revision: string, options: HubClientOptions): Promise<string> {
  const url = `${options.endpoint}/api/models/${repoId}/revision/${encodeURIComponent(revision)}`;
  const { body } = await getJson(url, `Revision '${revision}' of ${repoId}`, repoId, options);
  const sha = (body as { sha?: unknown }).sha;
  return typeof sha === 'string' && sha.length > 0 ? sha : revision;
}

/** Every file of the repo at `revision`, following the tree API's pagination (`Link: <…>; rel="next"`). */
export async function listRepoFiles(repoId: string, revision: string, options: HubClientOptions): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  let url: string | null = `${options.endpoint}/api/models/${repoId}/tree/${encodeURIComponent(revision)}?recursive=true`;
  for (let page = 0; url && page < 1000; page++) {
    const { body, response }: { body: unknown; response: Response } = await getJson(url, `File list of ${repoId}@${revision}`, repoId, options);
    if (!Array.isArray(body)) throw new NetworkError(`File list of ${repoId}@${revision}: expected a JSON array`, { url });
    for (const entry of body as TreeEntry[]) {
      if (entry.type !== 'file' || typeof entry.path !== 'string') continue;
      const lfsOid = typeof entry.lfs?.oid === 'string' ? entry.lfs.oid.replace(/^sha256:/, '') : null;
      files.push({
        path: entry.path,
        size: Number(entry.lfs?.size ?? entry.size ?? -1),
        sha256: lfsOid,
        // For an LFS file `oid` is the pointer's blob, not the content's.
        gitOid: !lfsOid && typeof entry.oid === 'string' ? entry.oid : null,
      });
    }
    const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    url = next ? new URL(next, url).toString() : null;
  }
  return files;
}
