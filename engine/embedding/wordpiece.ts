/**
 * A fast path for the tokenizer shape our own models use (no normaliser,
 * `Whitespace` pre-tokenizer, `WordPiece` model, no post-processor). It
 * reproduces @huggingface/tokenizers' results exactly (a parity test checks
 * this) from UTF-16 code units: the pre-tokenizer's runs (`\w+|[^\w\s]+`) are
 * found by a class table, and whole-word lookup and WordPiece's greedy
 * longest match are one walk down a trie of the vocabulary per piece, so no
 * substring, regex match or Map lookup is made per word (the string version
 * was ~60% of the embed path).
 */

interface TokenizerJson {
  normalizer?: unknown;
  pre_tokenizer?: { type?: string } | null;
  post_processor?: unknown;
  added_tokens?: { content: string }[];
  model?: { type?: string; vocab?: Record<string, number>; unk_token?: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number };
}

const OTHER = 0;
const WORD = 1;
const SPACE = 2;

/** The pre-tokenizer's classes of each code unit, from the same regexes it is defined by (`\w`, `\s`). */
const CHAR_CLASS = (() => {
  const table = new Uint8Array(65536);
  for (let code = 0; code < 65536; code++) {
    const char = String.fromCharCode(code);
    table[code] = /\w/.test(char) ? WORD : /\s/.test(char) ? SPACE : OTHER;
  }
  return table;
})();

/**
 * The vocabulary as a trie over UTF-16 code units. Edges live in one
 * open-addressing hash table keyed by (node, code unit); `tokenId[node]` is
 * the id of the vocabulary entry that ends at `node`, or -1.
 *
 * Entries are inserted by group on first need: those starting with a code
 * unit when a walk first leaves the root by it (`fromRoot`), and the
 * continuation entries (`##…`) also by their first unit after the prefix when
 * a walk first leaves the prefix's node by it (`afterPrefix`). A query reads a
 * few groups; building the whole trie was a tenth of a one-off search's start.
 */
class VocabTrie {
  private readonly slotParent: Int32Array;
  private readonly slotCode: Uint16Array;
  private readonly slotChild: Int32Array;
  private readonly mask: number;
  readonly tokenId: Int32Array;
  private nodes = 1;
  /** Node of the continuation prefix, or -1 when no entry starts with it. */
  readonly prefixNode: number;
  /** Entries not inserted yet, by group, and a flag per code unit for a group still pending (checked per word). */
  private readonly fromRoot = new Map<number, string[]>();
  private readonly afterPrefix = new Map<number, string[]>();
  private readonly rootPending = new Uint8Array(65536);
  private readonly prefixPending = new Uint8Array(65536);

  constructor(
    private readonly vocab: Readonly<Record<string, number>>,
    prefix: string,
  ) {
    let units = 1;
    let prefixed = false;
    for (const key in vocab) {
      units += key.length;
      if (key.length === 0) continue;
      VocabTrie.addTo(this.fromRoot, this.rootPending, key.charCodeAt(0), key);
      if (prefix !== '' && key.length > prefix.length && key.startsWith(prefix)) VocabTrie.addTo(this.afterPrefix, this.prefixPending, key.charCodeAt(prefix.length), key);
      if (prefix !== '' && key.startsWith(prefix)) prefixed = true;
    }
    let capacity = 1024;
    while (capacity < units * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.slotParent = new Int32Array(capacity).fill(-1);
    this.slotCode = new Uint16Array(capacity);
    this.slotChild = new Int32Array(capacity);
    this.tokenId = new Int32Array(units).fill(-1);
    if ('' in vocab) this.tokenId[0] = vocab['']!;
    // The prefix's nodes are made now (their own entries, such as '#', come with their group).
    this.prefixNode = prefix === '' ? 0 : prefixed ? this.insertPath(prefix) : -1;
  }

  private static addTo(groups: Map<number, string[]>, pending: Uint8Array, code: number, key: string): void {
    const group = groups.get(code);
    if (group) group.push(key);
    else groups.set(code, [key]);
    pending[code] = 1;
  }

  /** Inserts the group a walk from `node` by `code` needs, if it is still pending; call before `child(node, code)` from the root or the prefix's node. */
  prepare(node: number, code: number): void {
    if (node === 0 && this.rootPending[code]) this.insertGroup(this.fromRoot, this.rootPending, code);
    if (node === this.prefixNode && node > 0 && this.prefixPending[code]) this.insertGroup(this.afterPrefix, this.prefixPending, code);
  }

  private insertGroup(groups: Map<number, string[]>, pending: Uint8Array, code: number): void {
    pending[code] = 0;
    for (const key of groups.get(code)!) this.tokenId[this.insertPath(key)] = this.vocab[key]!;
    groups.delete(code);
  }

  /** The node of `key`, made with its missing edges. */
  private insertPath(key: string): number {
    let node = 0;
    for (let index = 0; index < key.length; index++) {
      const code = key.charCodeAt(index);
      let slot = VocabTrie.hash(node, code) & this.mask;
      while (this.slotParent[slot] !== -1 && !(this.slotParent[slot] === node && this.slotCode[slot] === code)) slot = (slot + 1) & this.mask;
      if (this.slotParent[slot] === -1) {
        this.slotParent[slot] = node;
        this.slotCode[slot] = code;
        this.slotChild[slot] = this.nodes++;
      }
      node = this.slotChild[slot]!;
    }
    return node;
  }

  private static hash(node: number, code: number): number {
    const mixed = Math.imul(node, 0x9e3779b1) ^ Math.imul(code, 0x85ebca6b);
    return mixed ^ (mixed >>> 15);
  }

  /** The node reached from `node` by `code`, or -1 (see `prepare`). */
  child(node: number, code: number): number {
    const mask = this.mask;
    let slot = VocabTrie.hash(node, code) & mask;
    for (;;) {
      const parent = this.slotParent[slot]!;
      if (parent === node && this.slotCode[slot] === code) return this.slotChild[slot]!;
      if (parent === -1) return -1;
      slot = (slot + 1) & mask;
    }
  }
}

/** True when position `at` falls between the halves of a surrogate pair (a piece cannot end there). */
const splitsPair = (codes: Uint16Array, at: number, end: number) => at < end && (codes[at - 1]! & 0xfc00) === 0xd800 && (codes[at]! & 0xfc00) === 0xdc00;

export class FastWordPiece {
  private readonly trie: VocabTrie;
  /** Trie node of the continuing-subword prefix (`##`), or -1 when no entry starts with it. */
  private readonly continuation: number;
  /** First code units of the added tokens, for `containsAddedToken`. */
  private readonly addedStarts: Uint8Array;
  private scratch = new Uint16Array(4096);

  private constructor(
    vocab: Readonly<Record<string, number>>,
    private readonly unkId: number,
    prefix: string,
    private readonly maxChars: number,
    /** Texts containing an added token's content go to the general tokenizer, which splits them out first. */
    readonly addedTokens: readonly string[],
  ) {
    this.trie = new VocabTrie(vocab, prefix);
    this.continuation = this.trie.prefixNode;
    this.addedStarts = new Uint8Array(65536);
    for (const token of addedTokens) if (token.length > 0) this.addedStarts[token.charCodeAt(0)] = 1;
  }

  /** Returns a fast tokenizer when `json` has exactly the supported shape, otherwise null. */
  static fromJson(json: unknown): FastWordPiece | null {
    const config = json as TokenizerJson;
    const model = config.model;
    if (config.normalizer || config.post_processor || config.pre_tokenizer?.type !== 'Whitespace') return null;
    if (model?.type !== 'WordPiece' || !model.vocab || !model.unk_token) return null;
    // The parsed object itself, not a Map of it: copying 32,000 entries cost 20 ms of a one-off search's start.
    const vocab = model.vocab;
    const unkId = Object.prototype.hasOwnProperty.call(vocab, model.unk_token) ? vocab[model.unk_token] : undefined;
    if (unkId === undefined) return null;
    return new FastWordPiece(vocab, unkId, model.continuing_subword_prefix ?? '##', model.max_input_chars_per_word ?? 100, (config.added_tokens ?? []).map((token) => token.content));
  }

  handles(text: string): boolean {
    return !this.addedTokens.some((token) => text.includes(token));
  }

  /** `!handles` over code units: whether `codes[0, length)` contains an added token's content. */
  containsAddedToken(codes: Uint16Array, length: number): boolean {
    if (this.addedTokens.length === 0) return false;
    const starts = this.addedStarts;
    for (let index = 0; index < length; index++) {
      if (starts[codes[index]!] === 0) continue;
      for (const token of this.addedTokens) {
        if (token.length === 0 || index + token.length > length) continue;
        let offset = 0;
        while (offset < token.length && codes[index + offset] === token.charCodeAt(offset)) offset++;
        if (offset === token.length) return true;
      }
    }
    return this.addedTokens.includes('');
  }

  encode(text: string): number[] {
    if (this.scratch.length < text.length) this.scratch = new Uint16Array(text.length * 2);
    const codes = this.scratch;
    for (let index = 0; index < text.length; index++) codes[index] = text.charCodeAt(index);
    return this.encodeCodes(codes, text.length);
  }

  /** Ids of the text held in `codes[0, length)`: runs of word or other characters, each a vocabulary word or its WordPiece pieces. */
  encodeCodes(codes: Uint16Array, length: number): number[] {
    const ids: number[] = [];
    let start = 0;
    while (start < length) {
      const kind = CHAR_CLASS[codes[start]!]!;
      if (kind === SPACE) {
        start++;
        continue;
      }
      let end = start + 1;
      while (end < length && CHAR_CLASS[codes[end]!] === kind) end++;
      this.word(codes, start, end, ids);
      start = end;
    }
    return ids;
  }

  /**
   * One pre-token: the whole word when the vocabulary has it, else [UNK] past
   * `maxChars` code points, else greedy longest-match-first pieces (BERT's
   * WordPiece) over whole code points, or [UNK] for the word when a piece is missing.
   */
  private word(codes: Uint16Array, start: number, end: number, ids: number[]): void {
    const trie = this.trie;
    const tokenId = trie.tokenId;
    let node = 0;
    let matchEnd = -1;
    let matchId = -1;
    trie.prepare(0, codes[start]!);
    for (let at = start; at < end; ) {
      node = trie.child(node, codes[at]!);
      if (node < 0) break;
      at++;
      const id = tokenId[node]!;
      if (id >= 0 && !splitsPair(codes, at, end)) {
        matchEnd = at;
        matchId = id;
      }
    }
    if (matchEnd === end) {
      ids.push(matchId);
      return;
    }
    if (end - start > this.maxChars && codePoints(codes, start, end) > this.maxChars) {
      ids.push(this.unkId);
      return;
    }
    const mark = ids.length;
    while (matchEnd >= 0) {
      ids.push(matchId);
      if (matchEnd === end) return;
      const from = matchEnd;
      matchEnd = -1;
      node = this.continuation;
      if (node >= 0 && from < end) trie.prepare(node, codes[from]!);
      for (let at = from; at < end && node >= 0; ) {
        node = trie.child(node, codes[at]!);
        if (node < 0) break;
        at++;
        const id = tokenId[node]!;
        if (id >= 0 && !splitsPair(codes, at, end)) {
          matchEnd = at;
          matchId = id;
        }
      }
    }
    ids.length = mark;
    ids.push(this.unkId);
  }
}

/** Code points in `codes[start, end)`: surrogate pairs count once, lone surrogates once each (as `[...string]`). */
function codePoints(codes: Uint16Array, start: number, end: number): number {
  let count = end - start;
  for (let at = start + 1; at < end; at++) if ((codes[at - 1]! & 0xfc00) === 0xd800 && (codes[at]! & 0xfc00) === 0xdc00) count--, at++;
  return count;
}
