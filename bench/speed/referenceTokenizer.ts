/**
 * The tokeniser as it was before the char-code scanner (issue 12): the
 * manifest's pre-processing as string passes, the `\w+|[^\w\s]+` pre-tokenizer
 * regex, then Map lookups per word with greedy longest-match WordPiece over
 * substrings. Kept only as the reference that checkTokenizer.ts and the unit
 * tests compare the engine's tokenizer against; the engine does not use it.
 * Likewise the regex version of the FTS tokens (`referenceLexicalTokens`).
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import type { ModelManifest } from '../../engine/embedding/manifest.js';
import { preprocessText } from '../../engine/embedding/preprocess.js';
import { closingSpecialTokens } from '../../engine/embedding/tokenizer.js';
import { splitIdentifier } from '../../engine/text/identifiers.js';

/** `lexicalTokens` as it was (regex words, `splitIdentifier` per word): the reference for the char-class version. */
export function referenceLexicalTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.match(/[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+/g) ?? []) {
    const parts = splitIdentifier(word);
    for (const part of parts) tokens.push(part);
    if (parts.length > 1) tokens.push(parts.join(''));
  }
  return tokens;
}

const PRE_TOKENIZE = /\w+|[^\w\s]+/g;
const CHAR_GUARD_PER_TOKEN = 16;

interface TokenizerJson {
  added_tokens?: { content: string }[];
  model?: { vocab?: Record<string, number>; unk_token?: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number };
}

export class ReferenceTokenizer {
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly unkId: number;
  private readonly prefix: string;
  private readonly maxChars: number;
  private readonly addedTokens: readonly string[];
  private readonly general: Tokenizer;
  private readonly keptTail: number;

  constructor(tokenizerPath: string, private readonly manifest: ModelManifest) {
    const json = JSON.parse(readFileSync(tokenizerPath, 'utf8')) as TokenizerJson;
    const model = json.model!;
    this.vocab = new Map(Object.entries(model.vocab!));
    this.unkId = this.vocab.get(model.unk_token!)!;
    this.prefix = model.continuing_subword_prefix ?? '##';
    this.maxChars = model.max_input_chars_per_word ?? 100;
    this.addedTokens = (json.added_tokens ?? []).map((token) => token.content);
    let config: object = {};
    try {
      config = JSON.parse(readFileSync(tokenizerPath.replace(/tokenizer\.json$/, 'tokenizer_config.json'), 'utf8')) as object;
    } catch {
      // tokenizer_config.json is optional.
    }
    this.general = new Tokenizer(json as object, config);
    this.keptTail = closingSpecialTokens(json);
  }

  /** WordPiece ids of an already pre-processed text (the old `FastWordPiece.encode`). */
  encodePrepared(text: string): number[] {
    if (this.addedTokens.some((token) => text.includes(token))) return this.general.encode(text).ids as number[];
    const ids: number[] = [];
    for (const word of text.match(PRE_TOKENIZE) ?? []) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) ids.push(whole);
      else for (const piece of this.pieces(word)) ids.push(piece);
    }
    return ids;
  }

  /** The old `TextTokenizer.encodeDetailed`. */
  encodeDetailed(text: string, role: 'query' | 'document'): { ids: number[]; truncated: boolean } {
    const prefix = role === 'query' ? this.manifest.queryPrefix : this.manifest.documentPrefix;
    const limit = this.manifest.maxTokens * CHAR_GUARD_PER_TOKEN;
    const guarded = text.length > limit ? text.slice(0, limit) : text;
    const ids = this.encodePrepared(prefix + preprocessText(guarded, this.manifest.preprocess));
    const guardCut = guarded.length < text.length;
    if (ids.length <= this.manifest.maxTokens) return { ids, truncated: guardCut };
    const tail = Math.min(this.keptTail, this.manifest.maxTokens - 1);
    return { ids: [...ids.slice(0, this.manifest.maxTokens - tail), ...ids.slice(ids.length - tail)], truncated: true };
  }

  private pieces(word: string): readonly number[] {
    const chars = [...word];
    if (chars.length > this.maxChars) return [this.unkId];
    const ids: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        found = this.vocab.get((start > 0 ? this.prefix : '') + chars.slice(start, end).join(''));
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [this.unkId];
      ids.push(found);
      start = end;
    }
    return ids;
  }
}
