import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { Parser } from 'web-tree-sitter';
import { defaultGrammarsDir } from '../config/paths.js';
import type { PreprocessStep } from '../embedding/manifest.js';
import { preprocessText } from '../embedding/preprocess.js';
import { ModelLoadError, TokenizationError } from '../errors.js';
import { languageById } from '../parsing/languages.js';
import { CodeParser } from '../parsing/parser.js';
import { extractDataFlow } from './extract.js';
import { buildGraphCodeBertInputs, buildTokenOnlyInputs, type GraphCodeBertInput, type SpecialTokenIds } from './inputs.js';
import { dataFlowRules } from './rules.js';
import type { DataFlowSyntaxNode } from './syntax.js';
import { codeTokens, subwordTokens } from './tokens.js';

export { readModelInputConfig, type DataFlowInputConfig, type ModelInputFormat } from './inputConfig.js';

const CODE_TOKEN_CACHE_LIMIT = 100_000;
const CHAR_GUARD_PER_TOKEN = 16;

export interface GraphCodeBertEncoderOptions {
  readonly modelDir: string;
  readonly tokenizerPath: string;
  /** The whole window: code, separators and nodes. */
  readonly maxTokens: number;
  readonly dataFlowLength: number;
  readonly preprocess: readonly PreprocessStep[];
  readonly queryPrefix: string;
  readonly documentPrefix: string;
  readonly grammarsDir?: string;
}

/**
 * Builds GraphCodeBERT inputs from text: documents in a language with an
 * extractor are parsed, split into code tokens and given their data-flow
 * graph; queries and other documents get code tokens only. One per thread.
 */
export class GraphCodeBertEncoder {
  private readonly parser = new Parser();
  private readonly codeTokenIds = new Map<string, readonly number[]>();

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly special: SpecialTokenIds,
    private readonly prefixLength: number,
    private readonly codeParser: CodeParser,
    private readonly options: GraphCodeBertEncoderOptions,
  ) {}

  static async create(options: GraphCodeBertEncoderOptions): Promise<GraphCodeBertEncoder> {
    const { modelDir, tokenizerPath } = options;
    if (options.maxTokens - options.dataFlowLength < 3) {
      throw new ModelLoadError(`Model window of ${options.maxTokens} tokens leaves no room for code beside ${options.dataFlowLength} data-flow nodes`, { modelDir, hint: "Lower 'dataFlowLength' or raise 'maxTokens'." });
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(JSON.parse(readFileSync(tokenizerPath, 'utf8')) as object, {});
    } catch (error) {
      throw new ModelLoadError(`Cannot load tokenizer ${tokenizerPath}: ${(error as Error).message}`, { modelDir, file: tokenizerPath }, { cause: error });
    }
    const find = (role: string, candidates: readonly string[]): number => {
      for (const token of candidates) {
        const id = tokenizer.token_to_id(token);
        if (id !== undefined) return id;
      }
      throw new ModelLoadError(`Tokenizer ${tokenizerPath} has no ${role} token (looked for ${candidates.join(', ')}), which GraphCodeBERT input needs`, { modelDir, file: tokenizerPath });
    };
    const special = { cls: find('classifier', ['<s>', '[CLS]']), sep: find('separator', ['</s>', '[SEP]']), pad: find('padding', ['<pad>', '[PAD]']), unk: find('unknown', ['<unk>', '[UNK]']) };
    const prefixLength = tokenizer.encode('@', { add_special_tokens: false }).ids.length;
    const codeParser = await CodeParser.create(options.grammarsDir ?? defaultGrammarsDir());
    return new GraphCodeBertEncoder(tokenizer, special, prefixLength, codeParser, options);
  }

  get specialTokens(): SpecialTokenIds {
    return this.special;
  }

  async encode(text: string, role: 'query' | 'document', language: string | null): Promise<GraphCodeBertInput> {
    const { options } = this;
    if (role === 'document' && language && dataFlowRules(language)) {
      const parsed = await this.encodeCode(text, language);
      if (parsed) return parsed;
    }
    const prefix = role === 'query' ? options.queryPrefix : options.documentPrefix;
    // Characters past a generous per-token guard cannot reach the window; dropping them bounds the work.
    const guarded = text.slice(0, options.maxTokens * CHAR_GUARD_PER_TOKEN);
    return buildTokenOnlyInputs(this.tokenize(prefix + preprocessText(guarded, options.preprocess)), options.maxTokens, this.special);
  }

  /** `languages[i]` is the language of `texts[i]` (null or absent: unknown). */
  async encodeAll(texts: readonly string[], role: 'query' | 'document', languages: readonly (string | null)[] = []): Promise<GraphCodeBertInput[]> {
    const inputs: GraphCodeBertInput[] = [];
    for (let i = 0; i < texts.length; i++) inputs.push(await this.encode(texts[i]!, role, languages[i] ?? null));
    return inputs;
  }

  dispose(): void {
    this.parser.delete();
  }

  private async encodeCode(text: string, language: string): Promise<GraphCodeBertInput | null> {
    const spec = languageById(language);
    if (!spec || !this.codeParser.hasGrammar(spec)) return null;
    this.parser.setLanguage(await this.codeParser.language(spec));
    const tree = this.parser.parse(text);
    if (!tree) return null;
    try {
      const root = tree.rootNode as unknown as DataFlowSyntaxNode;
      const tokens = subwordTokens(codeTokens(root, language), (token, first) => this.tokenizeCodeToken(token, first));
      const { maxTokens, dataFlowLength } = this.options;
      return buildGraphCodeBertInputs(tokens, extractDataFlow(root, language), maxTokens - dataFlowLength, dataFlowLength, this.special);
    } catch (error) {
      // Nesting deep enough to exhaust the stack (generated or minified code): embed the text as plain tokens.
      if (error instanceof RangeError) return null;
      throw error;
    } finally {
      tree.delete();
    }
  }

  /** GraphCodeBERT tokenizes every code token but the first as `'@ ' + token` minus the `@`: as if after a space. */
  private tokenizeCodeToken(token: string, first: boolean): readonly number[] {
    const key = `${first ? 1 : 0}${token}`;
    let ids = this.codeTokenIds.get(key);
    if (!ids) {
      const prepared = preprocessText(token, this.options.preprocess);
      ids = first ? this.tokenize(prepared) : this.tokenize(`@ ${prepared}`).slice(this.prefixLength);
      if (this.codeTokenIds.size >= CODE_TOKEN_CACHE_LIMIT) this.codeTokenIds.clear();
      this.codeTokenIds.set(key, ids);
    }
    return ids;
  }

  private tokenize(text: string): number[] {
    try {
      return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    } catch (error) {
      throw new TokenizationError(`Tokenization failed: ${(error as Error).message}`, { sample: text.slice(0, 80) }, { cause: error });
    }
  }
}
