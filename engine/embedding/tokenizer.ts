import { readFileSync } from 'node:fs';
import type { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError, TokenizationError } from '../errors.js';
import type { ModelManifest } from './manifest.js';
import { preprocessIntoCodes, preprocessText } from './preprocess.js';
import { FastWordPiece } from './wordpiece.js';

/** Characters kept per token before tokenizing; bounds work on huge inputs without changing results. */
const CHAR_GUARD_PER_TOKEN = 16;

/**
 * `tokenizer.json` through @huggingface/tokenizers, with the manifest's
 * pre-processing and prefixes applied first and truncation to the window.
 */
export class TextTokenizer {
  /** Scratch for the pre-processed text as UTF-16 code units (one tokenizer per thread). */
  private codes = new Uint16Array(16384);
  /**
   * True when no pre-processed text can hold an added token: each has an ASCII capital, and
   * splitting identifiers or lower-casing leaves none in the text (the prefix is checked apart).
   */
  private readonly addedTokensImpossible: boolean;

  /** The general tokenizer; with a fast path it is built on first need (texts holding an added token), as its library and construction were a twentieth of a one-off search's start. */
  private general: Tokenizer | null;

  private constructor(
    private readonly source: { readonly json: object; readonly config: object },
    private readonly fast: FastWordPiece | null,
    private readonly manifest: ModelManifest,
    /** Tokens at the end that truncation keeps: the post-processor's closing special tokens. */
    private readonly keptTail: number,
  ) {
    const removesCapitals = manifest.preprocess.includes('split-identifiers') || manifest.preprocess.includes('lowercase');
    this.addedTokensImpossible = removesCapitals && (fast?.addedTokens ?? []).every((token) => /[A-Z]/.test(token));
    this.general = fast ? null : generalTokenizer(source);
  }

  private get tokenizer(): Tokenizer {
    return (this.general ??= generalTokenizer(this.source));
  }

  static load(path: string, manifest: ModelManifest, modelDir: string): TextTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new ModelLoadError(`Cannot read tokenizer ${path}`, { modelDir, file: path, hint: 'The model directory needs a valid tokenizer.json.' }, { cause: error });
    }
    let configJson: object = {};
    try {
      configJson = JSON.parse(readFileSync(path.replace(/tokenizer\.json$/, 'tokenizer_config.json'), 'utf8')) as object;
    } catch {
      // tokenizer_config.json is optional.
    }
    try {
      return new TextTokenizer({ json: json as object, config: configJson }, FastWordPiece.fromJson(json), manifest, closingSpecialTokens(json));
    } catch (error) {
      throw new ModelLoadError(`Unsupported tokenizer in ${path}: ${(error as Error).message}`, { modelDir, file: path }, { cause: error });
    }
  }

  /** Token ids of a document or a query, truncated to the model's window. */
  encode(text: string, role: 'query' | 'document'): number[] {
    return this.encodeDetailed(text, role).ids;
  }

  /** `encode`, also saying whether the text was cut to fit the model's window. */
  encodeDetailed(text: string, role: 'query' | 'document'): { ids: number[]; truncated: boolean } {
    const prefix = role === 'query' ? this.manifest.queryPrefix : this.manifest.documentPrefix;
    const guard = this.manifest.maxTokens * CHAR_GUARD_PER_TOKEN;
    const guardCut = text.length > guard;
    const end = guardCut ? guard : text.length;
    const prepare = () => prefix + preprocessText(guardCut ? text.slice(0, guard) : text, this.manifest.preprocess);
    let ids: number[];
    try {
      ids = this.fast ? this.encodeFast(this.fast, prefix, text, end, prepare) : (this.tokenizer.encode(prepare()).ids as number[]);
    } catch (error) {
      throw new TokenizationError(`Tokenization failed: ${(error as Error).message}`, { sample: prepare().slice(0, 80) }, { cause: error });
    }
    if (ids.length <= this.manifest.maxTokens) return { ids, truncated: guardCut };
    // Cut the text, not the closing special tokens ([SEP], </s>, an EOS) the model expects.
    const tail = Math.min(this.keptTail, this.manifest.maxTokens - 1);
    const closing = ids.slice(ids.length - tail);
    ids.length = this.manifest.maxTokens - tail;
    for (const id of closing) ids.push(id);
    return { ids, truncated: true };
  }

  /**
   * The pre-processed text as code units in a reused buffer (ASCII texts are
   * pre-processed there directly; others through the string steps), then the
   * char-code WordPiece; texts holding an added token go to the general tokenizer.
   */
  private encodeFast(fast: FastWordPiece, prefix: string, text: string, end: number, prepare: () => string): number[] {
    const needed = prefix.length + 2 * end;
    if (this.codes.length < needed) this.codes = new Uint16Array(Math.max(needed, this.codes.length * 2));
    let length = preprocessIntoCodes(prefix, text, end, this.manifest.preprocess, this.codes);
    let prepared: string | null = null;
    if (length < 0) {
      prepared = prepare();
      if (this.codes.length < prepared.length) this.codes = new Uint16Array(prepared.length * 2);
      for (let index = 0; index < prepared.length; index++) this.codes[index] = prepared.charCodeAt(index);
      length = prepared.length;
    }
    if (!(this.addedTokensImpossible && prefix === '') && fast.containsAddedToken(this.codes, length)) return this.tokenizer.encode(prepared ?? prepare()).ids as number[];
    return fast.encodeCodes(this.codes, length);
  }
}

function generalTokenizer(source: { readonly json: object; readonly config: object }): Tokenizer {
  const { Tokenizer: GeneralTokenizer } = require('@huggingface/tokenizers') as typeof import('@huggingface/tokenizers');
  return new GeneralTokenizer(source.json, source.config);
}

interface PostProcessorJson {
  type?: string;
  single?: ({ SpecialToken?: { id: string } } | { Sequence?: unknown })[];
  special_tokens?: Record<string, { ids?: unknown[] }>;
  processors?: PostProcessorJson[];
}

/**
 * How many ids a tokenizer's post-processor appends after the text. Without a
 * post-processor the last token is kept, as before: the training code mirrors
 * that rule for our own models.
 */
export function closingSpecialTokens(json: unknown): number {
  const processor = (json as { post_processor?: PostProcessorJson | null }).post_processor;
  if (!processor) return 1;
  const count = (part: PostProcessorJson): number => {
    switch (part.type) {
      case 'BertProcessing':
      case 'RobertaProcessing':
        return 1;
      case 'TemplateProcessing': {
        const single = part.single ?? [];
        const lastSequence = single.map((piece) => 'Sequence' in piece).lastIndexOf(true);
        return single.slice(lastSequence + 1).reduce((sum, piece) => {
          const id = 'SpecialToken' in piece ? piece.SpecialToken?.id : undefined;
          return sum + (id === undefined ? 0 : (part.special_tokens?.[id]?.ids?.length ?? 1));
        }, 0);
      }
      case 'Sequence':
        return (part.processors ?? []).reduce((sum, inner) => sum + count(inner), 0);
      default:
        return 0;
    }
  };
  return count(processor);
}
