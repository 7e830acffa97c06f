import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { UnsupportedLanguageError } from '../errors.js';
import type { ChunkedFile, ChunkingOptions } from './chunk.js';
import type { LanguageSpec } from './languages.js';
import { chunkByLines } from './lineChunker.js';
import type { SyntaxNode } from './syntax.js';
import { chunkSyntaxTree } from './syntaxChunker.js';
import { syntaxMarks } from './syntaxMarks.js';

/** Past this share of the file inside ERROR nodes, syntax chunks would be noise: use line windows. */
const MAX_ERROR_SHARE = 0.5;
/** A parse that runs longer than this is abandoned for line windows (pathological input). */
const PARSE_BUDGET_MS = 3000;

let runtimeReady: Promise<void> | undefined;

/**
 * Parses files with the WASM grammars in `grammarsDir` and chunks them. Each
 * file is parsed once and its tree freed before returning. One instance per
 * thread: web-tree-sitter state is not shared across workers.
 */
export class CodeParser {
  private readonly parser: Parser;
  private readonly languages = new Map<string, Promise<Language>>();

  private constructor(private readonly grammarsDir: string) {
    this.parser = new Parser();
  }

  static async create(grammarsDir: string): Promise<CodeParser> {
    runtimeReady ??= Parser.init({
      locateFile: (file: string, prefix: string) => {
        const local = join(grammarsDir, file);
        return existsSync(local) ? local : prefix + file;
      },
    });
    await runtimeReady;
    return new CodeParser(grammarsDir);
  }

  hasGrammar(spec: LanguageSpec): boolean {
    return spec.grammar !== undefined && existsSync(join(this.grammarsDir, spec.grammar));
  }

  /** Chunks `source`: by syntax where a grammar loads and parses it, else by line windows. */
  async chunk(source: string, spec: LanguageSpec | undefined, options: ChunkingOptions): Promise<ChunkedFile> {
    if (!spec?.grammar || !this.hasGrammar(spec)) return chunkByLines(source, options, 'lines');
    let language: Language;
    try {
      language = await this.language(spec);
    } catch {
      return chunkByLines(source, options, 'fallback');
    }
    this.parser.setLanguage(language);
    const deadline = Date.now() + PARSE_BUDGET_MS;
    let tree: ReturnType<Parser['parse']> = null;
    try {
      tree = this.parser.parse(source, null, { progressCallback: () => Date.now() > deadline });
    } catch {
      tree = null;
    }
    if (!tree) {
      this.parser.reset();
      return chunkByLines(source, options, 'fallback');
    }
    try {
      const root = tree.rootNode as unknown as SyntaxNode;
      if (tree.rootNode.hasError && errorShare(root, source.length) > MAX_ERROR_SHARE) {
        return chunkByLines(source, options, 'fallback');
      }
      return chunkSyntaxTree(root, source, spec, options, syntaxMarks(root, spec));
    } finally {
      tree.delete();
    }
  }

  async language(spec: LanguageSpec): Promise<Language> {
    if (!spec.grammar) throw new UnsupportedLanguageError(spec.id);
    let loaded = this.languages.get(spec.grammar);
    if (!loaded) {
      const path = join(this.grammarsDir, spec.grammar);
      loaded = Language.load(path).catch((error: unknown) => {
        this.languages.delete(spec.grammar!);
        throw new UnsupportedLanguageError(spec.id, { grammar: path, reason: String(error) });
      });
      this.languages.set(spec.grammar, loaded);
    }
    return loaded;
  }

  dispose(): void {
    this.parser.delete();
  }
}

/**
 * Share of the source covered by ERROR nodes at any depth (outermost ones
 * counted, not their insides). Only subtrees that hold an error are entered:
 * the others cannot contain an ERROR node, and skipping them keeps this walk
 * to the paths down to the errors instead of a second pass over every node.
 */
function errorShare(root: SyntaxNode, length: number): number {
  if (length === 0) return 0;
  let errorChars = 0;
  const cursor = root.walk();
  try {
    let depth = 0;
    for (;;) {
      const isError = cursor.nodeType === 'ERROR';
      if (isError) errorChars += cursor.endIndex - cursor.startIndex;
      if (!isError && (depth === 0 || cursor.currentNode.hasError) && cursor.gotoFirstChild()) {
        depth++;
        continue;
      }
      while (depth > 0 && !cursor.gotoNextSibling()) {
        cursor.gotoParent();
        depth--;
      }
      if (depth === 0) break;
    }
  } finally {
    cursor.delete();
  }
  return errorChars / length;
}
