import { isAbsolute, relative, sep } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { isCodeGraphError, type CodeGraph, type SearchHit } from '../engine/index.js';
import { LANGUAGES } from '../engine/parsing/languages.js';

/** What the tools need besides the engine: whether the index is behind the files, and the first index run. */
export interface LiveIndex {
  readonly graph: CodeGraph;
  /** Changed paths the watcher holds that the index has not taken yet. */
  readonly pendingPaths: () => number;
  /** The first index run of this session; searches wait for it. */
  readonly ready: Promise<unknown>;
  /** Set once the first run has finished (or failed). */
  readonly initial: () => 'indexing' | 'ready' | { readonly error: string };
}

/** How long a tool waits for the first index of an empty cache before answering from what is there (MCP clients time out at about 60 s). */
const INITIAL_INDEX_WAIT_MS = 20_000;

/** Lines of a chunk shown in text results; the structured result carries the whole chunk. */
const SNIPPET_LINES = 12;
const KNOWN_LANGUAGES = new Set(LANGUAGES.map((language) => language.id));

const hitShape = {
  path: z.string().describe('Workspace-relative path'),
  startLine: z.number().int().describe('1-based, inclusive'),
  endLine: z.number().int(),
  symbol: z.string().nullable(),
  kind: z.string(),
  language: z.string(),
  score: z.number(),
  snippet: z.string().describe('The chunk\'s code'),
};

const statusShape = {
  root: z.string(),
  files: z.number().int(),
  chunks: z.number().int(),
  vectors: z.number().int(),
  modelId: z.string().nullable(),
  serviceLevel: z.enum(['hybrid', 'lexical-only']),
  modelError: z.string().nullable(),
  lastIndexedAt: z.string().nullable(),
  indexing: z.boolean().describe('An index run is running or queued'),
  pendingChanges: z.number().int().describe('Changed paths the watcher has not handed to the index yet'),
  stale: z.boolean().describe('True while file changes are not yet reflected in search results'),
  initialIndex: z.string().describe("'indexing', 'ready', or the first run's error"),
};

/**
 * The MCP face of one live index: `search`, `find_similar`, `index_status`
 * and `reindex`. Inputs are validated by the SDK against these zod schemas;
 * an engine error becomes a tool error (`isError`), never a crash.
 */
export function createMcpServer(live: LiveIndex, version: string): McpServer {
  const server = new McpServer({ name: 'codegraph', version }, { instructions: 'Local semantic code search over one workspace. Use `search` with a description of what the code does (or identifiers), `find_similar` for code like a given location, `index_status` to see whether results are current.' });
  const graph = live.graph;

  server.registerTool(
    'search',
    {
      title: 'Semantic code search',
      description: 'Find code in the workspace by what it does (plain words) or by identifiers. Returns ranked chunks as path:start-end, symbol and a snippet.',
      inputSchema: {
        query: z.string().trim().min(1, 'query must not be empty').max(4000).describe('What the code does, in plain words, or identifiers'),
        limit: z.number().int().min(1).max(50).optional().describe('Results to return (default 10)'),
        language: z.string().min(1).optional().describe(`Only this language id (${[...KNOWN_LANGUAGES].slice(0, 8).join(', ')}, …)`),
        path: z.string().min(1).optional().describe('Only paths matching this glob, relative to the workspace (e.g. "src/**")'),
      },
      outputSchema: { results: z.array(z.object(hitShape)), stale: z.boolean() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, limit, language, path }) =>
      toolCall(async () => {
        if (language !== undefined && !KNOWN_LANGUAGES.has(language)) return toolError(`Unknown language '${language}'. Known ids: ${[...KNOWN_LANGUAGES].join(', ')}`);
        await usableIndex(live);
        const hits = await graph.search(query, { limit: limit ?? 10, ...(language ? { languages: [language] } : {}), ...(path ? { paths: [path] } : {}) });
        return hitsResult(hits, isStale(live), `No results for "${query}".`);
      }),
  );

  server.registerTool(
    'find_similar',
    {
      title: 'Find similar code',
      description: 'Find code similar to the indexed chunk at a location (path relative to the workspace, or absolute inside it; 1-based line).',
      inputSchema: {
        path: z.string().min(1),
        line: z.number().int().min(1),
        limit: z.number().int().min(1).max(50).optional(),
      },
      outputSchema: { origin: z.object(hitShape), results: z.array(z.object(hitShape)), stale: z.boolean() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ path, line, limit }) =>
      toolCall(async () => {
        const relativePath = workspacePath(graph.config.root, path);
        if (relativePath === null) return toolError(`${path} is outside the workspace ${graph.config.root}`);
        await usableIndex(live);
        const { origin, hits } = await graph.similar(relativePath, line, { limit: limit ?? 10 });
        const result = hitsResult(hits, isStale(live), `Nothing similar to ${origin.path}:${origin.startLine}-${origin.endLine}.`);
        const header = `Similar to ${origin.path}:${origin.startLine}-${origin.endLine}${origin.symbol ? ` ${origin.symbol}` : ''}:\n\n`;
        return { ...result, content: [{ type: 'text', text: header + (result.content[0] as { text: string }).text }], structuredContent: { origin: toHit(origin), ...result.structuredContent } };
      }),
  );

  server.registerTool(
    'index_status',
    {
      title: 'Index status',
      description: 'Files, chunks and model of the index, and whether it is stale (changes pending).',
      inputSchema: {},
      outputSchema: statusShape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => toolCall(async () => statusResult(await indexStatus(live))),
  );

  server.registerTool(
    'reindex',
    {
      title: 'Reindex the workspace',
      description: 'Walk the workspace and bring the index up to date now (incremental: unchanged files are not re-read).',
      inputSchema: {},
      outputSchema: { filesChanged: z.number().int(), filesDeleted: z.number().int(), chunksEmbedded: z.number().int(), chunksTotal: z.number().int(), durationMs: z.number() },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    () =>
      toolCall(async () => {
        await live.ready.catch(() => undefined);
        const summary = await graph.index();
        const structured = { filesChanged: summary.filesChanged, filesDeleted: summary.filesDeleted, chunksEmbedded: summary.chunksEmbedded, chunksTotal: summary.chunksTotal, durationMs: Math.round(summary.durationMs) };
        return { content: [{ type: 'text', text: `Reindexed ${graph.config.root}: ${structured.filesChanged} files changed, ${structured.filesDeleted} removed, ${structured.chunksEmbedded} chunks embedded, ${structured.chunksTotal} chunks in all (${structured.durationMs} ms).` }], structuredContent: structured };
      }),
  );
  return server;
}

/**
 * While the session's first index runs, a cache that already holds an index
 * answers at once (marked stale); an empty one is waited for, up to a bound.
 */
async function usableIndex(live: LiveIndex): Promise<void> {
  if (live.initial() !== 'indexing') return;
  if ((await live.graph.status()).counts.files > 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([live.ready, new Promise((resolve) => (timer = setTimeout(resolve, INITIAL_INDEX_WAIT_MS)))]);
  clearTimeout(timer);
}

export function isStale(live: LiveIndex): boolean {
  return live.initial() !== 'ready' || live.pendingPaths() > 0 || live.graph.isIndexing;
}

async function indexStatus(live: LiveIndex) {
  const status = await live.graph.status();
  const initial = live.initial();
  return {
    root: status.root,
    files: status.counts.files,
    chunks: status.counts.chunks,
    vectors: status.counts.vectorsForModel,
    modelId: status.modelId,
    serviceLevel: status.serviceLevel,
    modelError: status.modelError,
    lastIndexedAt: status.lastIndexedAt,
    indexing: live.graph.isIndexing,
    pendingChanges: live.pendingPaths(),
    stale: isStale(live),
    initialIndex: typeof initial === 'string' ? initial : `failed: ${initial.error}`,
  };
}

function statusResult(status: Awaited<ReturnType<typeof indexStatus>>): CallToolResult {
  const text = [
    `Workspace: ${status.root}`,
    `Index: ${status.files} files, ${status.chunks} chunks, ${status.vectors} vectors${status.stale ? ' (stale: changes pending)' : ' (up to date)'}`,
    `Model: ${status.modelId ?? 'none'} (${status.serviceLevel})${status.modelError ? `: ${status.modelError}` : ''}`,
    `Updated: ${status.lastIndexedAt ?? 'never'}`,
  ].join('\n');
  return { content: [{ type: 'text', text }], structuredContent: status };
}

function toHit(hit: SearchHit) {
  return { path: hit.path, startLine: hit.startLine, endLine: hit.endLine, symbol: hit.symbol, kind: hit.kind, language: hit.language, score: hit.score, snippet: hit.text };
}

function hitsResult(hits: readonly SearchHit[], stale: boolean, empty: string): CallToolResult & { structuredContent: { results: ReturnType<typeof toHit>[]; stale: boolean } } {
  const text = hits.length === 0
    ? empty
    : hits.map((hit, rank) => `${rank + 1}. ${hit.path}:${hit.startLine}-${hit.endLine}  ${hit.kind}${hit.symbol ? ` ${hit.symbol}` : ''}  (score ${hit.score.toFixed(3)})\n${snippet(hit.text)}`).join('\n\n');
  return { content: [{ type: 'text', text: stale ? `${text}\n\n(The index is catching up with recent file changes.)` : text }], structuredContent: { results: hits.map(toHit), stale } };
}

function snippet(text: string): string {
  const lines = text.split('\n');
  const shown = lines.slice(0, SNIPPET_LINES).map((line) => `    ${line}`);
  if (lines.length > SNIPPET_LINES) shown.push(`    … (${lines.length - SNIPPET_LINES} more lines)`);
  return shown.join('\n');
}

/** A path as the index names it (relative, `/`-separated), or null when it lies outside the workspace. */
export function workspacePath(root: string, path: string): string | null {
  const relativePath = isAbsolute(path) ? relative(root, path) : path;
  const normalized = relativePath.split(sep).join('/').replace(/\\/g, '/').replace(/^\.\//, '');
  return normalized.startsWith('../') || normalized === '..' || isAbsolute(normalized) ? null : normalized;
}

function toolError(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

/** Engine errors become tool errors with their message and hint; the server keeps running. */
async function toolCall(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    const hint = isCodeGraphError(error) && typeof error.details['hint'] === 'string' ? `\nhint: ${error.details['hint']}` : '';
    return toolError(`${isCodeGraphError(error) ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}${hint}`);
  }
}
