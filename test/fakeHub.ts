/**
 * A fake Hugging Face Hub on 127.0.0.1 for the model-pull tests: the revision
 * and tree APIs, `resolve` downloads with `Range` support, an optional
 * redirect to a "CDN" path, and injected faults (a connection cut mid-file, a
 * file whose bytes differ from its listed hash). Every request is recorded.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHubOptions {
  readonly repo: string;
  /** Repo-relative path → content. */
  readonly files: ReadonlyMap<string, Buffer>;
  readonly commit?: string;
  /** Files listed as Git LFS objects (with a sha256); default: `.onnx` and `_data` files. */
  readonly isLfs?: (path: string) => boolean;
  /** Downloads of these paths answer 302 to a CDN path on the same server. */
  readonly redirect?: readonly string[];
  /** The first N downloads of this path send half the bytes, then the socket is destroyed. */
  readonly interrupt?: { readonly path: string; readonly times: number };
  /** This path is served with one byte changed (its listing keeps the true hash). */
  readonly corrupt?: string;
  /** Answer range requests with the whole file (200), as servers without range support do. */
  readonly ignoreRange?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly range: string | null;
  readonly authorization: string | null;
}

export interface FakeHub {
  readonly endpoint: string;
  readonly commit: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const gitBlobId = (content: Buffer) => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const commit = options.commit ?? 'c0ffee0000000000000000000000000000000001';
  const isLfs = options.isLfs ?? ((path: string) => path.endsWith('.onnx') || path.endsWith('_data'));
  const requests: RecordedRequest[] = [];
  const interruptsLeft = new Map(options.interrupt ? [[options.interrupt.path, options.interrupt.times]] : []);
  const json = (response: ServerResponse, body: unknown) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const notFound = (response: ServerResponse) => {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"error":"Repository not found"}');
  };

  const serveFile = (request: IncomingMessage, response: ServerResponse, path: string) => {
    const original = options.files.get(path);
    if (!original) return notFound(response);
    let content = original;
    if (path === options.corrupt) {
      content = Buffer.from(original);
      content[content.length >> 1] = (content[content.length >> 1]! + 1) & 0xff;
    }
    const left = interruptsLeft.get(path) ?? 0;
    if (left > 0) {
      interruptsLeft.set(path, left - 1);
      // Promise the whole file, send half, then cut the connection.
      response.writeHead(200, { 'content-length': String(content.length), 'accept-ranges': 'bytes' });
      response.write(content.subarray(0, content.length >> 1), () => setTimeout(() => response.socket?.destroy(), 50));
      return;
    }
    const range = options.ignoreRange ? null : /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      if (start >= content.length) {
        response.writeHead(416, { 'content-range': `bytes */${content.length}` });
        return response.end();
      }
      response.writeHead(206, { 'content-length': String(content.length - start), 'content-range': `bytes ${start}-${content.length - 1}/${content.length}`, 'accept-ranges': 'bytes' });
      return response.end(content.subarray(start));
    }
    response.writeHead(200, { 'content-length': String(content.length), 'accept-ranges': 'bytes' });
    response.end(content);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake-hub');
    requests.push({ method: request.method ?? 'GET', url: url.pathname + url.search, range: request.headers.range ?? null, authorization: request.headers.authorization ?? null });
    const path = decodeURIComponent(url.pathname);
    const api = `/api/models/${options.repo}/`;
    if (path.startsWith(`${api}revision/`)) {
      return json(response, { id: options.repo, sha: commit, siblings: [...options.files.keys()].map((rfilename) => ({ rfilename })) });
    }
    if (path === `${api}tree/${commit}` && url.searchParams.get('recursive') === 'true') {
      return json(
        response,
        [...options.files].map(([file, content]) => ({
          type: 'file',
          path: file,
          size: content.length,
          oid: isLfs(file) ? gitBlobId(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(content)}\n`)) : gitBlobId(content),
          ...(isLfs(file) ? { lfs: { oid: sha256(content), size: content.length, pointerSize: 134 } } : {}),
        })),
      );
    }
    const resolvePrefix = `/${options.repo}/resolve/${commit}/`;
    if (path.startsWith(resolvePrefix)) {
      const file = path.slice(resolvePrefix.length);
      if (options.redirect?.includes(file)) {
        response.writeHead(302, { location: `/cdn/${options.repo}/${file.split('/').map(encodeURIComponent).join('/')}` });
        return response.end();
      }
      return serveFile(request, response, file);
    }
    const cdnPrefix = `/cdn/${options.repo}/`;
    if (path.startsWith(cdnPrefix)) return serveFile(request, response, path.slice(cdnPrefix.length));
    notFound(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    commit,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
