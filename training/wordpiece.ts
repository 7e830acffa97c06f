/**
 * Builds a WordPiece vocabulary and `tokenizer.json` from pre-processed text.
 * Pure functions; the caller feeds words and writes files.
 */

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]'] as const;
export const PRETOKENIZE = /\w+|[^\w\s]+/g;

export interface VocabularyOptions {
  readonly size: number;
  /** Share of the vocabulary for `##` continuation pieces, so rare words split into meaningful parts. */
  readonly suffixShare: number;
  readonly minCount: number;
}

/** Whole words by frequency, then frequent suffixes, then every character, within `size`. */
export function buildVocabulary(wordCounts: ReadonlyMap<string, number>, options: VocabularyOptions): string[] {
  const vocabulary: string[] = [...SPECIAL_TOKENS];
  const seen = new Set<string>(vocabulary);
  const add = (token: string) => {
    if (!seen.has(token) && vocabulary.length < options.size) {
      seen.add(token);
      vocabulary.push(token);
    }
  };
  const characters = new Map<string, number>();
  for (const [word, count] of wordCounts) for (const character of word) characters.set(character, (characters.get(character) ?? 0) + count);
  const frequentCharacters = [...characters].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 400).map(([character]) => character);
  for (const character of frequentCharacters) add(character);
  for (const character of frequentCharacters) add(`##${character}`);

  const ranked = [...wordCounts].filter(([, count]) => count >= options.minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const wordBudget = Math.floor((options.size - vocabulary.length) * (1 - options.suffixShare));
  const words = ranked.slice(0, wordBudget);
  for (const [word] of words) add(word);

  // Suffixes of the words that did not make it, weighted by how often those words occur.
  const suffixes = new Map<string, number>();
  for (const [word, count] of ranked.slice(wordBudget)) {
    for (let length = 2; length <= Math.min(6, word.length - 1); length++) {
      const suffix = `##${word.slice(word.length - length)}`;
      suffixes.set(suffix, (suffixes.get(suffix) ?? 0) + count);
    }
  }
  for (const [suffix] of [...suffixes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) add(suffix);
  return vocabulary;
}

/** A `tokenizer.json` for the Hugging Face tokenizers format: no normaliser (pre-processing lives in the manifest). */
export function tokenizerJson(vocabulary: readonly string[]): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocabulary.map((token, id) => [token, id])),
    },
  };
}
