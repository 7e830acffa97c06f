/**
 * One file from an HTTP server to disk, resumably and verified: bytes go to
 * `<dest>.partial`; a retry (in this run or a later one) asks for the rest with
 * `Range: bytes=<partial size>-`; the size and hash are checked before the file
 * is renamed into place, so `<dest>` only ever holds verified content.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import { CancelledError, NetworkError } from '../errors.js';
import { authHeaders } from './hub.js';

export interface ExpectedContent {
  readonly size: number;
  readonly sha256: string | null;
  readonly gitOid: string | null;
}

export interface DownloadRequest {
  readonly url: string;
  readonly dest: string;
  readonly expected: ExpectedContent;
  readonly token?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Bytes of this file on disk so far (partial included), after every chunk. */
  readonly onBytes?: (bytesOnDisk: number) => void;
  /** Attempts per file before giving up (each resumes where the last stopped). */
  readonly attempts?: number;
  /** First retry delay; doubles per retry. */
  readonly backoffMs?: number;
  /** An attempt with no bytes for this long is abandoned and retried. */
  readonly stallTimeoutMs?: number;
}

export interface DownloadResult {
  readonly sha256: string;
  /** Byte offsets that attempts resumed from (empty when the first attempt got everything). */
  readonly resumedFrom: readonly number[];
}

export interface FileDigests {
  readonly size: number;
  readonly sha256: string;
  readonly gitOid: string;
}

/** SHA-256 and git blob id of a file, in one read. */
export async function digestFile(path: string): Promise<FileDigests> {
  const { size } = await stat(path);
  const sha256 = createHash('sha256');
  const git = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) {
    sha256.update(chunk as Buffer);
    git.update(chunk as Buffer);
  }
  return { size, sha256: sha256.digest('hex'), gitOid: git.digest('hex') };
}

/** Why a finished file does not match what the Hub listed, or null when it does. */
export function contentMismatch(actual: FileDigests, expected: ExpectedContent): string | null {
  if (expected.size >= 0 && actual.size !== expected.size) return `size ${actual.size} instead of ${expected.size}`;
  if (expected.sha256 && actual.sha256 !== expected.sha256.toLowerCase()) return `sha256 ${actual.sha256} instead of ${expected.sha256}`;
  if (!expected.sha256 && expected.gitOid && actual.gitOid !== expected.gitOid.toLowerCase()) return `git blob id ${actual.gitOid} instead of ${expected.gitOid}`;
  return null;
}

const sizeOf = async (path: string) => (await stat(path).catch(() => null))?.size ?? 0;
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** A failure that another attempt cannot fix (404, 403, a bad hash). */
class FatalDownloadError extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export async function downloadFile(request: DownloadRequest): Promise<DownloadResult> {
  const { url, dest, expected, signal } = request;
  const partial = `${dest}.partial`;
  const attempts = request.attempts ?? 5;
  const resumedFrom: number[] = [];
  let restartedClean = false;
  // Verified in an earlier run of the same pull: keep it.
  const done = await stat(dest).catch(() => null);
  if (done?.isFile()) {
    const digests = await digestFile(dest);
    if (!contentMismatch(digests, expected)) return { sha256: digests.sha256, resumedFrom };
    await rm(dest, { force: true });
  }
  for (;;) {
    let lastError: unknown = null;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (signal?.aborted) throw new CancelledError('Model download cancelled');
      if (attempt > 0) await sleep((request.backoffMs ?? 500) * 2 ** (attempt - 1), signal);
      try {
        const offset = await sizeOf(partial);
        if (offset > 0 && offset < expected.size) resumedFrom.push(offset);
        await transfer(request, partial, offset);
        lastError = null;
        break;
      } catch (error) {
        if (signal?.aborted) throw new CancelledError('Model download cancelled');
        if (error instanceof FatalDownloadError) throw error.error;
        lastError = error;
      }
    }
    if (lastError) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new NetworkError(`Downloading ${url} failed after ${attempts} attempts: ${reason}`, {
        url,
        file: dest,
        hint: 'Run the same pull again: it resumes from the bytes already on disk.',
      }, { cause: lastError });
    }
    const digests = await digestFile(partial);
    const mismatch = contentMismatch(digests, expected);
    if (!mismatch) {
      await rename(partial, dest);
      return { sha256: digests.sha256, resumedFrom };
    }
    await rm(partial, { force: true });
    // A resumed file may have joined bytes of two different uploads: one clean retry from byte 0.
    if (resumedFrom.length > 0 && !restartedClean) {
      restartedClean = true;
      continue;
    }
    throw new NetworkError(`Downloaded ${url} failed its integrity check: ${mismatch}`, {
      url,
      file: dest,
      hint: 'The file was deleted and nothing was installed. Pull again; if it keeps failing, the mirror (HF_ENDPOINT) serves different content than it lists.',
    });
  }
}

/** One HTTP request, appending to the partial file from `offset`. Throws to ask for another attempt. */
async function transfer(request: DownloadRequest, partial: string, offset: number): Promise<void> {
  const { url, expected } = request;
  if (expected.size >= 0 && offset > expected.size) {
    await truncate(partial, 0);
    offset = 0;
  }
  if (expected.size >= 0 && offset === expected.size) return;
  const stall = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, stall.signal]) : stall.signal;
  const stallMs = request.stallTimeoutMs ?? 30_000;
  let timer = setTimeout(() => stall.abort(new Error(`no data for ${stallMs} ms`)), stallMs);
  const resetTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(new Error(`no data for ${stallMs} ms`)), stallMs);
  };
  try {
    const headers: Record<string, string> = { ...authHeaders(request.token), ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) };
    const response = await fetch(url, { headers, signal, redirect: 'follow' });
    if (response.status === 416) {
      await response.body?.cancel();
      // The partial is at least as long as the file: start over.
      await truncate(partial, 0);
      throw new Error('the server refused the resume range (HTTP 416)');
    }
    if (!response.ok) {
      await response.body?.cancel();
      const failure = new NetworkError(`HTTP ${response.status} ${response.statusText} for ${url}`, {
        url,
        status: response.status,
        ...(response.status === 401 || response.status === 403 ? { hint: 'Set HF_TOKEN to an access token that may read this repo.' } : {}),
      });
      if (RETRYABLE_STATUS.has(response.status)) throw failure;
      throw new FatalDownloadError(failure);
    }
    let start = 0;
    if (response.status === 206) {
      start = Number(/^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1] ?? Number.NaN);
      if (start !== offset) {
        await response.body?.cancel();
        await truncate(partial, 0);
        throw new Error(`the server resumed at ${response.headers.get('content-range')} instead of byte ${offset}`);
      }
    }
    // A 200 to a range request carries the whole file: write it from the start.
    const file = await open(partial, start > 0 ? 'a' : 'w');
    let onDisk = start;
    try {
      if (response.body) {
        for await (const chunk of response.body) {
          await file.write(chunk);
          onDisk += chunk.byteLength;
          resetTimer();
          request.onBytes?.(onDisk);
        }
      }
    } finally {
      await file.close();
    }
    if (expected.size >= 0 && onDisk < expected.size) throw new Error(`the transfer ended at byte ${onDisk} of ${expected.size}`);
  } catch (error) {
    if (stall.signal.aborted && !request.signal?.aborted) throw stall.signal.reason as Error;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
