// Copies the WASM grammars listed in grammars/grammars.json from their npm
// packages into grammars/, plus web-tree-sitter's runtime. Run on install.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const grammarsDir = join(root, 'grammars');
const manifest = JSON.parse(readFileSync(join(grammarsDir, 'grammars.json'), 'utf8'));
mkdirSync(grammarsDir, { recursive: true });

let copied = 0;
const missing = [];
for (const entry of manifest.grammars) {
  let source;
  try {
    source = join(dirname(require.resolve(`${entry.package}/package.json`)), entry.path);
  } catch {
    missing.push(`${entry.file} (package ${entry.package} not installed)`);
    continue;
  }
  if (!existsSync(source)) {
    missing.push(`${entry.file} (not found at ${source})`);
    continue;
  }
  copyFileSync(source, join(grammarsDir, entry.file));
  copied++;
}
const runtime = join(dirname(require.resolve('web-tree-sitter')), 'web-tree-sitter.wasm');
copyFileSync(runtime, join(grammarsDir, 'web-tree-sitter.wasm'));
console.log(`grammars: copied ${copied} of ${manifest.grammars.length} into ${grammarsDir}`);
if (missing.length > 0) {
  console.error(`grammars: missing ${missing.join(', ')}`);
  process.exitCode = 1;
}
