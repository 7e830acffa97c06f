// Copies the latest benchmark tables (bench-results/*-latest.md, written by the
// benchmark commands) into the README between their markers, verbatim.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readmePath = join(root, 'README.md');
let readme = readFileSync(readmePath, 'utf8');
for (const kind of ['quality', 'speed']) {
  const file = join(root, 'bench-results', `${kind}-latest.md`);
  if (!existsSync(file)) continue;
  const start = `<!-- ${kind}:start -->`;
  const end = `<!-- ${kind}:end -->`;
  const before = readme.slice(0, readme.indexOf(start) + start.length);
  const after = readme.slice(readme.indexOf(end));
  readme = `${before}\n${readFileSync(file, 'utf8').trim()}\n${after}`;
}
writeFileSync(readmePath, readme);
console.log('README benchmark sections updated from bench-results/*-latest.md');
