import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError, TokenizationError } from '../errors.js';
import type { ModelManifest } from './manifest.js';
import { preprocessText } from './preprocess.js';
import { FastWordPiece } from './wordpiece.js';

/** Characters kept per token before tokenizing; bounds work on huge inputs without changing results. */
const CHAR_GUARD_PER_TOKEN = 16;

/**
 * `tokenizer.json` through @huggingface/tokenizers, with the manifest's
 * pre-processing and prefixes applied first and truncation to the window.
 */
export class TextTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly fast: FastWordPiece | null,
    private readonly manifest: ModelManifest,
    /** Tokens at the end that truncation keeps: the post-processor's closing special tokens. */
    private readonly keptTail: number,
  ) {}

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
      return new TextTokenizer(new Tokenizer(json as object, configJson), FastWordPiece.fromJson(json), manifest, closingSpecialTokens(json));
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
    const guarded = text.length > this.manifest.maxTokens * CHAR_GUARD_PER_TOKEN ? text.slice(0, this.manifest.maxTokens * CHAR_GUARD_PER_TOKEN) : text;
    const prepared = prefix + preprocessText(guarded, this.manifest.preprocess);
    let ids: number[];
    try {
      ids = this.fast?.handles(prepared) ? this.fast.encode(prepared) : (this.tokenizer.encode(prepared).ids as number[]);
    } catch (error) {
      throw new TokenizationError(`Tokenization failed: ${(error as Error).message}`, { sample: prepared.slice(0, 80) }, { cause: error });
    }
    const guardCut = guarded.length < text.length;
    if (ids.length <= this.manifest.maxTokens) return { ids, truncated: guardCut };
    // Cut the text, not the closing special tokens ([SEP], </s>, an EOS) the model expects.
    const tail = Math.min(this.keptTail, this.manifest.maxTokens - 1);
    return { ids: [...ids.slice(0, this.manifest.maxTokens - tail), ...ids.slice(ids.length - tail)], truncated: true };
  }
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
