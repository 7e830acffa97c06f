/**
 * Checks that the engine's tokenizer (char-code pre-processing and WordPiece)
 * gives the same ids and truncation flags as the reference string
 * implementation (referenceTokenizer.ts) for every chunk of the speed corpus,
 * as document and as query, and times both; and that the FTS tokens
 * (`lexicalTokens`) equal the regex reference's on the same texts.
 *
 *   node out/bench/speed/checkTokenizer.js [--corpus DIR] [--every N] [--model DIR] [--save-texts FILE | --texts FILE]
 *
 * Prints one JSON line; exits 1 on any difference.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultModelDir } from '../../engine/config/paths.js';
import { readModelManifest } from '../../engine/embedding/manifest.js';
import { TextTokenizer } from '../../engine/embedding/tokenizer.js';
import { chunkCorpus, chunkingFor, DEFAULT_CORPUS } from './corpusChunks.js';
import { lexicalTokens } from '../../engine/text/identifiers.js';
import { ReferenceTokenizer, referenceLexicalTokens } from './referenceTokenizer.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { corpus: { type: 'string', default: DEFAULT_CORPUS }, every: { type: 'string', default: '1' }, model: { type: 'string' }, 'save-texts': { type: 'string' }, texts: { type: 'string' } } });
  const modelDir = values.model ?? defaultModelDir();
  const manifest = readModelManifest(modelDir);
  const tokenizerPath = join(modelDir, manifest.tokenizer);
  let texts: string[];
  if (values.texts) texts = JSON.parse(readFileSync(values.texts, 'utf8')) as string[];
  else {
    texts = [];
    for await (const { chunked } of chunkCorpus(values.corpus!, Number(values.every), chunkingFor(manifest))) for (const chunk of chunked.chunks) texts.push(chunk.text);
    if (values['save-texts']) writeFileSync(values['save-texts'], JSON.stringify(texts));
  }
  const engine = TextTokenizer.load(tokenizerPath, manifest, modelDir);
  const reference = new ReferenceTokenizer(tokenizerPath, manifest);
  const differences: { index: number; role: string; sample: string }[] = [];
  let tokens = 0;
  let truncated = 0;
  let nonAscii = 0;
  let lexicalDifferences = 0;
  for (const [index, text] of texts.entries()) {
    if (/[^\x00-\x7f]/.test(text)) nonAscii++;
    if (lexicalTokens(text).join(' ') !== referenceLexicalTokens(text).join(' ')) lexicalDifferences++;
    for (const role of ['document', 'query'] as const) {
      const expected = reference.encodeDetailed(text, role);
      const actual = engine.encodeDetailed(text, role);
      if (role === 'document') (tokens += expected.ids.length), (truncated += expected.truncated ? 1 : 0);
      const same = actual.truncated === expected.truncated && actual.ids.length === expected.ids.length && actual.ids.every((id, at) => id === expected.ids[at]);
      if (!same) differences.push({ index, role, sample: text.slice(0, 120) });
    }
  }
  const time = (encode: (text: string) => unknown) => {
    const begun = performance.now();
    for (const text of texts) encode(text);
    return performance.now() - begun;
  };
  // Warm both, then time each twice and keep the faster run.
  const referenceMs = Math.min(time((text) => reference.encodeDetailed(text, 'document')), time((text) => reference.encodeDetailed(text, 'document')));
  const engineMs = Math.min(time((text) => engine.encodeDetailed(text, 'document')), time((text) => engine.encodeDetailed(text, 'document')));
  const result = {
    texts: texts.length,
    nonAsciiTexts: nonAscii,
    truncatedTexts: truncated,
    tokens,
    differences: differences.length,
    firstDifferences: differences.slice(0, 5),
    referenceTextsPerSecond: Math.round((texts.length / referenceMs) * 1000),
    engineTextsPerSecond: Math.round((texts.length / engineMs) * 1000),
    lexicalDifferences,
    referenceLexicalTextsPerSecond: Math.round((texts.length / time(referenceLexicalTokens)) * 1000),
    engineLexicalTextsPerSecond: Math.round((texts.length / time(lexicalTokens)) * 1000),
  };
  console.log(JSON.stringify(result));
  if (differences.length > 0 || lexicalDifferences > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
