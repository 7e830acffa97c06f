import { lexicalTokens, splitIdentifier } from '../text/identifiers.js';

/** Words too common in natural-language questions to help a lexical match. */
const STOPWORDS = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'can', 'do', 'does', 'for', 'from', 'how', 'i', 'if', 'in', 'into', 'is', 'it',
  'its', 'me', 'of', 'on', 'or', 'should', 'so', 'that', 'the', 'their', 'there', 'this', 'to', 'use', 'used', 'using', 'was', 'we',
  'what', 'when', 'where', 'which', 'who', 'why', 'will', 'with', 'you', 'code', 'function', 'find', 'implement', 'implemented', 'implementation', 'handle', 'handled', 'handles', 'get', 'gets',
]);

export interface ParsedQuery {
  readonly text: string;
  /** Distinct lexical tokens, stopwords removed (kept if nothing else is left). */
  readonly terms: readonly string[];
}

export function parseQuery(text: string): ParsedQuery {
  const all = [...new Set(lexicalTokens(text))];
  const content = all.filter((term) => !STOPWORDS.has(term));
  const terms = content.length > 0 ? content : all;
  return { text, terms };
}

/**
 * How well a symbol name matches the query: the share of the symbol's words
 * the query contains, 1 when the query names the symbol outright.
 */
export function symbolMatch(symbol: string | null, query: ParsedQuery): number {
  if (!symbol) return 0;
  const name = symbol.slice(Math.max(symbol.lastIndexOf('.'), symbol.lastIndexOf(':')) + 1);
  const parts = splitIdentifier(name);
  if (parts.length === 0) return 0;
  const queryTerms = new Set(query.terms);
  if (queryTerms.has(parts.join(''))) return 1;
  let hits = 0;
  for (const part of parts) if (queryTerms.has(part)) hits++;
  return hits / parts.length;
}
