import { chunkContentHash } from '../hashing/hash.js';
import type { Chunk, ChunkedFile, ChunkingOptions, ChunkMetrics, FileDefinition } from './chunk.js';
import type { ChunkKind, LanguageSpec } from './languages.js';
import { splitByChars } from './lineChunker.js';
import type { SyntaxNode } from './syntax.js';
import type { SyntaxMark } from './syntaxMarks.js';

/** A called name and where the name starts in the source (string index). */
interface CallSite {
  readonly name: string;
  readonly index: number;
}

/**
 * How a chunk's text maps back to the source: from `source` on (a string index), the text continues
 * at `text`, up to the next segment. Verbatim text is one segment; a skeleton has one per piece of
 * source kept between elided bodies.
 */
interface TextSegment {
  readonly source: number;
  readonly text: number;
}

interface Definition {
  /** The node that defines the symbol (its body and name live here). */
  readonly node: SyntaxNode;
  /** The node whose range the chunk takes (a decorator or export wrapper, or the definition). */
  readonly outer: SyntaxNode;
  readonly kind: ChunkKind;
  readonly name: string | null;
}

const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);

/**
 * Chunks a parsed file: one chunk per definition, class-like containers as a
 * skeleton whose members are chunks of their own, consecutive top-level code
 * grouped, and anything larger than the model's window split by lines.
 * Pure: reads the tree, the source and the file's marks (calls, branch points: `syntaxMarks`),
 * allocates nothing outside the result.
 */
export function chunkSyntaxTree(root: SyntaxNode, source: string, spec: LanguageSpec, options: ChunkingOptions, marks: readonly SyntaxMark[]): ChunkedFile {
  return new SyntaxChunker(source, spec, options, marks).run(root);
}

class SyntaxChunker {
  private readonly chunks: Chunk[] = [];
  private readonly definitions: FileDefinition[] = [];
  private readonly imports: string[] = [];
  private readonly references = new Set<string>();
  private readonly definitionTypes: Readonly<Record<string, ChunkKind>>;
  private readonly containerTypes: Set<string>;
  private readonly wrapperTypes: Set<string>;
  private readonly assignedTypes: Set<string>;
  private readonly importTypes: Set<string>;
  private readonly commentTypes: Set<string>;
  /** Comments and attributes: they attach to the definition below them. */
  private readonly leadingTypes: Set<string>;

  constructor(
    private readonly source: string,
    private readonly spec: LanguageSpec,
    private readonly options: ChunkingOptions,
    private readonly marks: readonly SyntaxMark[],
  ) {
    this.definitionTypes = spec.definitions ?? {};
    this.containerTypes = new Set(spec.containers);
    this.wrapperTypes = new Set(spec.wrappers);
    this.assignedTypes = new Set(spec.assignedFunctions);
    this.importTypes = new Set(spec.imports);
    this.commentTypes = new Set(spec.comments);
    this.leadingTypes = new Set([...(spec.comments ?? []), ...(spec.attributes ?? [])]);
  }

  run(root: SyntaxNode): ChunkedFile {
    this.chunkSiblings(root.namedChildren, null, true);
    return {
      chunks: this.chunks,
      analysis: { imports: this.imports, definitions: this.definitions, references: [...this.references] },
      method: 'syntax',
    };
  }

  /** Walks one list of siblings: definitions become chunks; other code is grouped (top level) or left to the container's skeleton. */
  private chunkSiblings(nodes: readonly SyntaxNode[], parent: string | null, topLevel: boolean, insideClass = false): void {
    let group: SyntaxNode[] = [];
    let comments: SyntaxNode[] = [];
    const flushGroup = () => {
      if (topLevel) this.emitGroup([...group, ...comments]);
      group = [];
      comments = [];
    };
    for (const node of nodes) {
      if (this.importTypes.has(node.type)) this.imports.push(collapse(node.text));
      if (this.leadingTypes.has(node.type)) {
        comments.push(node);
        continue;
      }
      const definition = this.asDefinition(node, insideClass);
      if (!definition) {
        group.push(...comments, node);
        comments = [];
        continue;
      }
      const docComments = adjacentComments(comments, definition.outer);
      group.push(...comments.slice(0, comments.length - docComments.length));
      comments = [];
      if (topLevel) this.emitGroup(group);
      group = [];
      this.emitDefinition(definition, docComments, parent);
    }
    flushGroup();
  }

  private asDefinition(node: SyntaxNode, insideContainer: boolean): Definition | null {
    if (this.wrapperTypes.has(node.type)) {
      for (const child of node.namedChildren) {
        const inner = this.asDefinition(child, insideContainer);
        if (inner) return { ...inner, outer: node };
      }
      return null;
    }
    const kind = this.definitionTypes[node.type];
    if (kind) {
      // `struct point;` or `class Foo;` are declarations, not definitions.
      if ((kind === 'struct' || kind === 'class' || kind === 'enum') && node.childForFieldName('body') === null && this.spec.id.startsWith('c')) return null;
      const resolvedKind = kind === 'function' && insideContainer ? 'method' : kind;
      return { node, outer: node, kind: resolvedKind, name: definitionName(node) };
    }
    if (this.assignedTypes.has(node.type)) {
      for (const declarator of node.namedChildren) {
        const value = declarator.childForFieldName('value');
        if (value && FUNCTION_VALUES.has(value.type)) {
          return { node: value, outer: node, kind: insideContainer ? 'method' : 'function', name: declarator.childForFieldName('name')?.text ?? null };
        }
      }
    }
    return null;
  }

  private emitDefinition(definition: Definition, docComments: readonly SyntaxNode[], parent: string | null): void {
    const { node, outer, kind, name } = definition;
    const startNode = docComments[0] ?? outer;
    const docText = docComments.filter((comment) => this.commentTypes.has(comment.type)).map((comment) => comment.text).join('\n');
    const doc = docText ? cleanComment(docText) : this.bodyDocstring(node);
    if (name) this.definitions.push({ name, kind, line: outer.startPosition.row + 1 });

    const members = this.containerTypes.has(node.type) ? this.memberNodes(node) : [];
    const nestedDefinitions = members.filter((member) => this.asDefinition(member, true) !== null);
    if (nestedDefinitions.length > 0) {
      const skeleton = this.skeletonText(startNode.startIndex, outer.endIndex, nestedDefinitions);
      this.pushChunks(skeleton.text, skeleton.segments, startNode.startPosition.row, outer.endPosition.row, { symbol: name, parent, kind, doc }, node, nestedDefinitions);
      this.chunkSiblings(members, name ?? parent, false, kind !== 'module');
      return;
    }
    const text = this.source.slice(startNode.startIndex, outer.endIndex);
    this.pushChunks(text, [{ source: startNode.startIndex, text: 0 }], startNode.startPosition.row, outer.endPosition.row, { symbol: name, parent, kind, doc }, node, []);
  }

  /** Children of a container's body (or of the container itself where the grammar has no body field). */
  private memberNodes(node: SyntaxNode): SyntaxNode[] {
    const body = node.childForFieldName('body') ?? node.namedChildren.find((child) => /(_body|declaration_list|class_body|block)$/.test(child.type));
    if (!body) return node.namedChildren;
    // Some grammars (Ruby) leave the comment above the first member outside the body.
    const leading = node.namedChildren.filter((child) => this.leadingTypes.has(child.type) && child.endIndex <= body.startIndex && child.startIndex > node.startIndex);
    return [...leading, ...body.namedChildren];
  }

  /** The container's text with each member definition's body elided, so the class chunk is its outline. */
  private skeletonText(start: number, end: number, members: readonly SyntaxNode[]): { text: string; segments: TextSegment[] } {
    let text = '';
    let cursor = start;
    const segments: TextSegment[] = [];
    for (const member of members) {
      const definition = this.asDefinition(member, true);
      const body = definition?.node.childForFieldName('body');
      if (!body || body.startIndex < cursor) continue;
      segments.push({ source: cursor, text: text.length });
      text += this.source.slice(cursor, body.startIndex) + '…';
      cursor = body.endIndex;
    }
    segments.push({ source: cursor, text: text.length });
    return { text: text + this.source.slice(cursor, end), segments };
  }

  private emitGroup(nodes: readonly SyntaxNode[]): void {
    const meaningful = nodes.filter((node) => node.text.trim().length > 0);
    if (meaningful.length === 0) return;
    // Consecutive nodes are packed up to the window; a gap never merges far-apart code.
    let batch: SyntaxNode[] = [];
    let size = 0;
    const flush = () => {
      if (batch.length === 0) return;
      const first = batch[0]!;
      const last = batch[batch.length - 1]!;
      const text = this.source.slice(first.startIndex, last.endIndex);
      if (!batch.every((node) => this.commentTypes.has(node.type)) || text.length > 80) {
        this.pushChunks(text, [{ source: first.startIndex, text: 0 }], first.startPosition.row, last.endPosition.row, { symbol: null, parent: null, kind: 'block', doc: null }, null, [], batch);
      }
      batch = [];
      size = 0;
    };
    for (const node of meaningful) {
      const length = node.endIndex - node.startIndex;
      if (size + length > this.options.maxChars && batch.length > 0) flush();
      batch.push(node);
      size += length;
    }
    flush();
  }

  private pushChunks(
    text: string,
    segments: readonly TextSegment[],
    startRow: number,
    endRow: number,
    meta: { symbol: string | null; parent: string | null; kind: ChunkKind; doc: string | null },
    node: SyntaxNode | null,
    excluded: readonly SyntaxNode[],
    groupNodes: readonly SyntaxNode[] = [],
  ): void {
    const split = text.length > this.options.maxChars;
    const measured = node ? this.measure([node], excluded, split) : this.measure(groupNodes, [], split);
    for (const call of measured.calls) this.references.add(call);
    if (!split) {
      this.chunks.push(this.makeChunk(text, startRow + 1, endRow + 1, 0, meta, measured.metrics, measured.calls));
      return;
    }
    // Too large for the model's window: split by lines, never dropped. Skeleton text no longer maps
    // line-for-line to the file, so it is split by its own lines but keeps the container's range.
    const isVerbatim = excluded.length === 0;
    const textLines = text.split('\n');
    const pieces = splitByChars(textLines, 0, textLines.length, this.options.maxChars);
    // Each call goes to the piece whose text holds its name (skeleton text too, through its segments),
    // never to every piece: a piece's calls then follow from its own text, so a piece an edit leaves
    // unchanged (and keeps, by content) still has the right calls, and a call is stored once.
    const pieceCalls = pieces.map(() => new Set<string>());
    for (const site of measured.sites) {
      // The last piece starting at or before the name (binary search: a minified line has many).
      const offset = textOffset(segments, site.index);
      let low = 0;
      let high = pieces.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (pieces[middle]!.offset <= offset) low = middle;
        else high = middle - 1;
      }
      pieceCalls[low]!.add(site.name);
    }
    pieces.forEach((piece, index) => {
      const startLine = isVerbatim ? startRow + piece.startLine : startRow + 1;
      const endLine = isVerbatim ? startRow + piece.endLine : endRow + 1;
      // The doc goes with the first piece alone, the one whose text holds it: copies on every
      // piece were 322 B a chunk of stored text and 74% of the doc column's FTS instances.
      const pieceMeta = index === 0 ? meta : { ...meta, doc: null };
      this.chunks.push(this.makeChunk(piece.text, startLine, endLine, index, pieceMeta, measured.metrics, [...pieceCalls[index]!]));
    });
  }

  private makeChunk(
    text: string,
    startLine: number,
    endLine: number,
    piece: number,
    meta: { symbol: string | null; parent: string | null; kind: ChunkKind; doc: string | null },
    metrics: ChunkMetrics,
    calls: readonly string[],
  ): Chunk {
    return {
      ordinal: this.chunks.length,
      symbol: meta.symbol,
      parent: meta.parent,
      kind: meta.kind,
      startLine,
      endLine,
      text,
      piece,
      doc: meta.doc,
      contentHash: chunkContentHash(text),
      metrics,
      calls,
    };
  }

  /**
   * A chunk's measures from the file's marks within its roots, leaving out the excluded subtrees (the
   * members a skeleton elides): node count, complexity and called names; with `withSites`, also where
   * each call's name is (for a chunk that will be split). The node count is tree-sitter's count of the
   * visible nodes below each root, kept in the tree, so no walk is needed.
   */
  private measure(
    roots: readonly SyntaxNode[],
    excluded: readonly SyntaxNode[],
    withSites: boolean,
  ): { metrics: ChunkMetrics; calls: string[]; sites: CallSite[] } {
    let nodeCount = 0;
    let complexity = 1;
    const calls = new Set<string>();
    const sites: CallSite[] = [];
    for (const root of roots) {
      nodeCount += root.descendantCount;
      // Excluded members are siblings in document order, as are the marks: one sweep skips them.
      let skip = 0;
      for (let at = firstMarkFrom(this.marks, root.startIndex); at < this.marks.length; at++) {
        const mark = this.marks[at]!;
        if (mark.startIndex >= root.endIndex) break;
        if (mark.endIndex > root.endIndex) continue;
        while (skip < excluded.length && excluded[skip]!.endIndex <= mark.startIndex) skip++;
        const member = excluded[skip];
        if (member && mark.startIndex >= member.startIndex && mark.endIndex <= member.endIndex) continue;
        if (mark.kind !== 'call') {
          complexity++;
          continue;
        }
        const site = calleeSite(mark.node);
        if (site) {
          calls.add(site.name);
          if (withSites) sites.push(site);
        }
      }
    }
    for (const node of excluded) nodeCount -= node.descendantCount;
    return { metrics: { nodeCount, complexity }, calls: [...calls], sites };
  }

  private bodyDocstring(node: SyntaxNode): string | null {
    if (!this.spec.bodyDocstring) return null;
    const first = node.childForFieldName('body')?.namedChildren[0];
    if (first?.type !== 'expression_statement') return null;
    const literal = first.namedChildren[0];
    if (literal?.type !== 'string') return null;
    return cleanDocstring(literal.text);
  }
}

/** The trailing comments that sit directly above `target` (no blank line between). */
function adjacentComments(comments: readonly SyntaxNode[], target: SyntaxNode): SyntaxNode[] {
  const adjacent: SyntaxNode[] = [];
  let nextRow = target.startPosition.row;
  for (let index = comments.length - 1; index >= 0; index--) {
    const comment = comments[index]!;
    if (nextRow - comment.endPosition.row > 1) break;
    adjacent.unshift(comment);
    nextRow = comment.startPosition.row;
  }
  return adjacent;
}

const NAME_LIKE = /identifier$|^name$|^constant$|^word$/;

/** The defined name: the `name` field, else C-style declarators, else Rust `impl` types, else the first identifier. */
export function definitionName(node: SyntaxNode): string | null {
  const name = node.childForFieldName('name');
  if (name) return name.text;
  let declarator = node.childForFieldName('declarator');
  while (declarator) {
    if (NAME_LIKE.test(declarator.type) || declarator.type === 'qualified_identifier' || declarator.type === 'destructor_name' || declarator.type === 'operator_name') return declarator.text;
    declarator = declarator.childForFieldName('declarator') ?? declarator.childForFieldName('name') ?? null;
  }
  const type = node.childForFieldName('type');
  if (type) {
    const trait = node.childForFieldName('trait');
    return trait ? `${trait.text} for ${type.text}` : type.text;
  }
  // Go `type Foo struct {…}` holds its name in a type_spec child.
  for (const child of node.namedChildren) {
    const nested = child.childForFieldName('name');
    if (nested) return nested.text;
    if (NAME_LIKE.test(child.type)) return child.text;
  }
  return null;
}

/** The called name of a call node: the last identifier of `a.b.c(...)`, `new Foo()`, `obj->m()`. */
export function calleeName(node: SyntaxNode): string | null {
  return calleeSite(node)?.name ?? null;
}

/** The called name and where it starts: the end of the call's target (`b` in `a.b(…)`, even across lines). */
function calleeSite(node: SyntaxNode): CallSite | null {
  const target = node.childForFieldName('function') ?? node.childForFieldName('name') ?? node.childForFieldName('method')
    ?? node.childForFieldName('macro') ?? node.childForFieldName('constructor') ?? node.childForFieldName('type') ?? node.namedChildren[0];
  if (!target) return null;
  const text = target.text;
  const match = text.match(/([A-Za-z_$][A-Za-z0-9_$]*)\s*(?:<[^>]*>)?\s*!?$/);
  return match ? { name: match[1]!, index: target.startIndex + match.index! } : null;
}

/** The first mark starting at or after `index` (binary search: marks are sorted by start). */
function firstMarkFrom(marks: readonly SyntaxMark[], index: number): number {
  let low = 0;
  let high = marks.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (marks[middle]!.startIndex < index) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Where source index `index` lies in a chunk's text, through the text's segments. */
function textOffset(segments: readonly TextSegment[], index: number): number {
  let at = 0;
  while (at + 1 < segments.length && segments[at + 1]!.source <= index) at++;
  const segment = segments[at]!;
  return segment.text + Math.max(0, index - segment.source);
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Strips comment markers and keeps the first paragraph's worth of prose. */
export function cleanComment(text: string): string {
  const lines = text
    .replace(/<\/?(summary|remarks|returns|para|c|code|param|typeparam|see|seealso|exception)\b[^>]*>/g, '')
    .split('\n')
    .map((line) => line.trim().replace(/^(\/\/\/?|\/\*\*?|#+|--|;+)\s?/, '').replace(/\*\/$/, '').replace(/^\*\s?/, '').trimEnd());
  return lines.join('\n').trim();
}

function cleanDocstring(literal: string): string {
  return literal.replace(/^[rbuRBU]*("""|'''|"|')/, '').replace(/("""|'''|"|')$/, '').trim();
}
