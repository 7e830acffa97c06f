import { UnsupportedLanguageError } from '../errors.js';
import type { CodeToken } from './graph.js';
import { dataFlowRules } from './rules.js';
import type { DataFlowSyntaxNode as Node } from './syntax.js';

/**
 * The code tokens GraphCodeBERT reads: the tree's leaves in order, a string
 * literal as one token, comments left out (as in the paper's pre-processing). Pure.
 */
export function codeTokens(root: Node, language: string): CodeToken[] {
  const rules = dataFlowRules(language);
  if (!rules) throw new UnsupportedLanguageError(language, { reason: 'no data-flow extractor' });
  const tokens: CodeToken[] = [];
  const walk = (node: Node) => {
    if (rules.comments.includes(node.type)) return;
    if (node.childCount === 0 || rules.literals.includes(node.type)) {
      // Zero-width leaves are tree-sitter's MISSING placeholders and layout markers.
      if (node.endIndex > node.startIndex) tokens.push({ text: node.text, start: node.startIndex, end: node.endIndex });
      return;
    }
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i);
      if (child) walk(child);
    }
  };
  walk(root);
  return tokens;
}

/** Sub-word ids with the character span of the code token each came from. */
export interface SubwordTokens {
  readonly ids: readonly number[];
  readonly spans: readonly (readonly [start: number, end: number])[];
}

/**
 * Tokenizes code token by code token, so each sub-word knows its source span.
 * `tokenize(text, first)` gives the ids of one code token; GraphCodeBERT
 * tokenizes all but the first as if preceded by a space.
 */
export function subwordTokens(tokens: readonly CodeToken[], tokenize: (text: string, first: boolean) => readonly number[]): SubwordTokens {
  const ids: number[] = [];
  const spans: (readonly [number, number])[] = [];
  tokens.forEach((token, index) => {
    for (const id of tokenize(token.text, index === 0)) {
      ids.push(id);
      spans.push([token.start, token.end]);
    }
  });
  return { ids, spans };
}
