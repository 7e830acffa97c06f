// node examples/library.mjs <workspace>
import { CodeEmbedder, CodeGraph } from 'codegraph';

// Vectors without an index: the model is loaded, no cache file is written.
const embedder = await CodeEmbedder.open();
const vector = await embedder.embedCode('def add(a, b):\n    return a + b', 'python');
console.log(`${embedder.modelId}: ${vector.length} dimensions`);
const score = await embedder.similarity('def add(a, b): return a + b', 'function sum(x, y) { return x + y; }');
console.log(`similarity ${score.toFixed(3)}`);
const [result] = await embedder.embedBatch([{ code: 'qapla = 1', language: 'klingon' }]);
console.log(`embedded as ${result.language}, fallback ${result.languageFallback}, truncated ${result.truncated}`);
await embedder.dispose();

// Index a workspace, follow its events, search it.
const graph = await CodeGraph.open({ root: process.argv[2] ?? '.' });
graph.events.on('index-settled', ({ summary }) => console.log(`indexed ${summary.filesChanged} files`));
await graph.index();
for (const hit of await graph.search('token bucket rate limiter', { limit: 3 })) {
  console.log(`${hit.path}:${hit.startLine}-${hit.endLine} ${hit.symbol ?? hit.kind}`);
}
console.log(`errors: ${graph.metrics().errors}`);
await graph.dispose();
