/**
 * Fits the tokenizer on the training pairs and writes them, tokenised, as flat
 * binary arrays for the trainer (training/train.py):
 *
 *   node out/training/prepare.js --pairs <corpus>/pairs --out <work>/prepared [--vocab-size 40000]
 *
 * Tokenisation happens here, with the engine's own pre-processing and
 * tokenizer, so the ids the model is trained on are the ids it sees in use.
 * Only the train split feeds the vocabulary; validation stays unseen.
 */
import { createReadStream, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import type { PreprocessStep } from '../engine/embedding/manifest.js';
import { preprocessText } from '../engine/embedding/preprocess.js';
import { FastWordPiece } from '../engine/embedding/wordpiece.js';
import { buildVocabulary, PRETOKENIZE, tokenizerJson } from './wordpiece.js';

export const PREPROCESS: PreprocessStep[] = ['split-identifiers', 'lowercase'];

export interface Pair {
  readonly query: string;
  readonly code: string;
  readonly language: string;
  readonly package: string;
  readonly kind: string;
}

export async function* readPairs(dir: string, split: 'train' | 'valid'): AsyncGenerator<Pair> {
  const files = readdirSync(dir).filter((name) => name.startsWith(`${split}`) && name.endsWith('.jsonl')).sort();
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(join(dir, file)), crlfDelay: Infinity });
    for await (const line of lines) if (line.trim()) yield JSON.parse(line) as Pair;
  }
}

/** FNV-1a, for deterministic sampling. */
function sampleHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Growable int32 buffer with row offsets: the flat layout numpy reads with fromfile. */
class RaggedInt32 {
  private data = new Int32Array(1 << 20);
  private length = 0;
  readonly offsets: number[] = [0];

  push(ids: readonly number[]): void {
    while (this.length + ids.length > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(ids, this.length);
    this.length += ids.length;
    this.offsets.push(this.length);
  }

  write(prefix: string): void {
    writeFileSync(`${prefix}.ids.i32`, Buffer.from(this.data.buffer, 0, this.length * 4));
    writeFileSync(`${prefix}.offsets.i64`, Buffer.from(BigInt64Array.from(this.offsets.map(BigInt)).buffer));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string' },
      out: { type: 'string' },
      'vocab-size': { type: 'string', default: '40000' },
      'max-code-tokens': { type: 'string', default: '256' },
      'max-query-tokens': { type: 'string', default: '48' },
      'max-per-language': { type: 'string', default: '200000' },
    },
  });
  if (!values.pairs || !values.out) throw new Error('--pairs <dir> and --out <dir> are required');
  mkdirSync(values.out, { recursive: true });
  const maxCode = Number(values['max-code-tokens']);
  const maxQuery = Number(values['max-query-tokens']);

  // A deterministic per-language sample keeps one large ecosystem from dominating the model.
  const cap = Number(values['max-per-language']);
  const available = new Map<string, number>();
  for await (const pair of readPairs(values.pairs, 'train')) available.set(pair.language, (available.get(pair.language) ?? 0) + 1);
  const keep = (pair: Pair) => {
    const total = available.get(pair.language) ?? 0;
    return total <= cap || (sampleHash(`${pair.package}\u0000${pair.query}\u0000${pair.code}`) / 4294967296) < cap / total;
  };

  const wordCounts = new Map<string, number>();
  let trainPairs = 0;
  for await (const pair of readPairs(values.pairs, 'train')) {
    if (!keep(pair)) continue;
    for (const text of [pair.query, pair.code]) {
      for (const word of preprocessText(text, PREPROCESS).match(PRETOKENIZE) ?? []) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    }
    trainPairs++;
  }
  const vocabulary = buildVocabulary(wordCounts, { size: Number(values['vocab-size']), suffixShare: 0.15, minCount: 3 });
  const tokenizerConfig = tokenizerJson(vocabulary);
  writeFileSync(join(values.out, 'tokenizer.json'), JSON.stringify(tokenizerConfig));
  const fast = FastWordPiece.fromJson(tokenizerConfig)!;
  const reference = new Tokenizer(tokenizerConfig, {});
  const encode = (text: string, limit: number) => {
    const prepared = preprocessText(text.slice(0, limit * 16), PREPROCESS);
    const ids = fast.handles(prepared) ? fast.encode(prepared) : (reference.encode(prepared).ids as number[]);
    return ids.slice(0, limit);
  };

  const languages: string[] = [];
  const summary: Record<string, unknown> = { vocabulary: vocabulary.length, trainPairs, preprocess: PREPROCESS, maxCode, maxQuery, maxPerLanguage: cap, availablePerLanguage: Object.fromEntries(available) };
  for (const split of ['train', 'valid'] as const) {
    const queries = new RaggedInt32();
    const codes = new RaggedInt32();
    const languageIds: number[] = [];
    const documentFrequency = new Float64Array(vocabulary.length);
    const perLanguage: Record<string, number> = {};
    for await (const pair of readPairs(values.pairs, split)) {
      if (split === 'train' && !keep(pair)) continue;
      const queryIds = encode(pair.query, maxQuery);
      const codeIds = encode(pair.code, maxCode);
      if (queryIds.length === 0 || codeIds.length === 0) continue;
      queries.push(queryIds);
      codes.push(codeIds);
      let language = languages.indexOf(pair.language);
      if (language < 0) language = languages.push(pair.language) - 1;
      languageIds.push(language);
      perLanguage[pair.language] = (perLanguage[pair.language] ?? 0) + 1;
      if (split === 'train') for (const id of new Set(codeIds)) documentFrequency[id]!++;
    }
    queries.write(join(values.out, `${split}.queries`));
    codes.write(join(values.out, `${split}.codes`));
    writeFileSync(join(values.out, `${split}.languages.u8`), Uint8Array.from(languageIds));
    if (split === 'train') writeFileSync(join(values.out, 'document_frequency.json'), JSON.stringify(Array.from(documentFrequency)));
    summary[split] = { pairs: languageIds.length, perLanguage };
  }
  summary['languages'] = languages;
  writeFileSync(join(values.out, 'prepared.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
