/**
 * A deterministic hostile workspace, generated at test time (the 50 MB file
 * and the 100,000 tiny files are never committed). Every file comes with what
 * indexing must do with it: index it, or skip it with a specific reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SkipReason } from '../../engine/discovery/types.js';
import { seededRandom } from '../../engine/random/index.js';

/** What a hostile path must end as: in the index, or skipped for this reason. */
export type Expectation = 'indexed' | SkipReason;

export interface HostileEntry {
  /** Workspace-relative, `/`-separated. */
  readonly path: string;
  readonly expect: Expectation;
  /** Fault id it belongs to (one row of docs/reliability.md). */
  readonly fault: string;
}

/** A small seeded PRNG: the same corpus on every run and machine. */
export { seededRandom };

/** The size limit the hostile-input tests index with (the engine's default, 1 MiB). */
export const HOSTILE_MAX_FILE_BYTES = 1024 * 1024;

/** The 50 MB file: refused from its size alone, never read. */
const HUGE_FILE_BYTES = 50 * 1024 * 1024;

/** File names hostile to shells, option parsers, globs, SQL and naive path handling. */
export const WEIRD_NAMES: readonly string[] = [
  'my file with spaces.py',
  `it's "quoted".py`,
  'ünïcødé_日本語_файл.py',
  '-rf.py',
  '--help.py',
  '$(touch pwned).py',
  '`backtick`.py',
  'glob[*]?.py',
  '#hash !bang.py',
  'new\nline.py',
  "'; DROP TABLE files; --.py",
  '" OR 1=1 --.py',
];

/** A small Python function that lexical search finds by its tag alone (`weird_path_probe_<tag>`). */
function tagged(tag: string): string {
  return `def weird_path_probe_${tag}():\n    """A probe function: found by its name, wherever its file lives."""\n    return "${tag}"\n`;
}

export function buildHostileCorpus(root: string): HostileEntry[] {
  const entries: HostileEntry[] = [];
  const put = (path: string, content: string | Buffer, expect: Expectation, fault: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    entries.push({ path, expect, fault });
  };
  const random = seededRandom(6);

  // Binary content, with and without a telling extension.
  put('binary/blob.py', Buffer.concat([Buffer.from('def f():\n'), Buffer.from([0, 1, 2, 3, 0xff, 0]), Buffer.alloc(4096, 7)]), 'binary', 'hostile-binary');
  put('binary/elf-named.c', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(2048)]), 'binary', 'hostile-binary');
  put('binary/image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'binary-extension', 'hostile-binary');
  put('binary/utf16.py', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('def utf16():\n    return 1\n', 'utf16le')]), 'binary', 'hostile-binary');

  // Size: a 50 MB file is refused from its stat alone; one just under the limit is indexed.
  const line = 'HUGE_TABLE_ROW = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]  # filler\n';
  put('large/huge.py', Buffer.alloc(HUGE_FILE_BYTES, line), 'too-large', 'hostile-too-large');
  const nearLimit = `def near_limit_table():\n    return [\n${'        "row",\n'.repeat(Math.floor((HOSTILE_MAX_FILE_BYTES - 200) / 15))}    ]\n`;
  put('large/near-limit.py', nearLimit, 'indexed', 'hostile-too-large');

  // Minified bundles: by name they are generated; unnamed, one 512 KiB line must still index.
  const minified = Array.from({ length: 6000 }, (_, index) => `function m${index}(a,b){return a*${index}+b}var v${index}=m${index}(1,2);`).join('');
  put('vendor/lib.min.js', minified, 'generated', 'hostile-minified');
  put('bundle/app.js', minified.slice(0, 512 * 1024), 'indexed', 'hostile-minified');

  // Encodings: invalid UTF-8 is refused, a UTF-8 BOM is fine.
  put('encoding/latin1.py', Buffer.from('def caf\xe9():\n    return "caf\xe9"\n', 'latin1'), 'invalid-utf8', 'hostile-invalid-utf8');
  put('encoding/overlong.ts', Buffer.concat([Buffer.from('export const slash = "'), Buffer.from([0xc0, 0xaf]), Buffer.from('";\n')]), 'invalid-utf8', 'hostile-invalid-utf8');
  put('encoding/surrogate.js', Buffer.concat([Buffer.from('const s = "'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('";\n')]), 'invalid-utf8', 'hostile-invalid-utf8');
  put('encoding/truncated.go', Buffer.concat([Buffer.from('package main\n// '), Buffer.from([0xe2, 0x82])]), 'invalid-utf8', 'hostile-invalid-utf8');
  put('encoding/bom.py', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('def with_bom():\n    return "ok"\n')]), 'indexed', 'hostile-invalid-utf8');

  // Deep nesting: parsers and chunkers must not overflow the stack.
  put('nesting/arrays.js', `const deep = ${'['.repeat(100_000)}${']'.repeat(100_000)};\n`, 'indexed', 'hostile-deep-nesting');
  put('nesting/functions.js', `${Array.from({ length: 2000 }, (_, i) => `function level${i}() {`).join('\n')}\n${'}\n'.repeat(2000)}`, 'indexed', 'hostile-deep-nesting');
  put('nesting/classes.py', Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}class Level${i}:`).join('\n') + `\n${' '.repeat(400)}pass\n`, 'indexed', 'hostile-deep-nesting');
  put('nesting/calls.rs', `fn main() { let x = ${'f('.repeat(20_000)}0${')'.repeat(20_000)}; }\n`, 'indexed', 'hostile-deep-nesting');
  put('nesting/blocks.c', `int main(void) {\n${'{'.repeat(50_000)}\n${'}'.repeat(50_000)}\nreturn 0; }\n`, 'indexed', 'hostile-deep-nesting');
  put('nesting/data.json', `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}\n`, 'indexed', 'hostile-deep-nesting');

  // Syntax errors everywhere: seeded token soup in every grammar family.
  const tokens = ['def', 'class', 'fn', 'func', '{', '}', '(', ')', '[', ']', ':', ';', '=>', '->', '"', "'", '/*', '*/', '#', 'if', 'else', 'return', 'x', '42', '\n', '\t', '<', '>', '@', '\\'];
  for (const extension of ['py', 'ts', 'tsx', 'js', 'go', 'rs', 'java', 'c', 'cpp', 'cs', 'rb', 'php', 'kt', 'swift', 'lua', 'sh']) {
    const soup = Array.from({ length: 3000 }, () => tokens[Math.floor(random() * tokens.length)]).join(' ');
    put(`broken/soup.${extension}`, soup, 'indexed', 'hostile-syntax-errors');
  }
  put('broken/unterminated.py', 'def unterminated(:\n    s = """never closed\n' + 'x = 1\n'.repeat(500), 'indexed', 'hostile-syntax-errors');

  // Paths hostile to shells, option parsers, globs and SQL; each file is findable by its tag.
  WEIRD_NAMES.forEach((name, index) => put(`weird/${name}`, tagged(`n${index}`), 'indexed', 'hostile-weird-paths'));
  put('weird/-dash dir/ünï code.py', tagged('nested'), 'indexed', 'hostile-weird-paths');

  // Symlink loops: a directory linking to its ancestor, and two links pointing at each other.
  put('links/real/code.py', 'def linked_code():\n    return 1\n', 'indexed', 'hostile-symlink-loop');
  symlinkSync('..', join(root, 'links', 'real', 'up'));
  entries.push({ path: 'links/real/up', expect: 'symlink-loop', fault: 'hostile-symlink-loop' });
  symlinkSync('ping.py', join(root, 'links', 'pong.py'));
  symlinkSync('pong.py', join(root, 'links', 'ping.py'));
  entries.push({ path: 'links/ping.py', expect: 'symlink-loop', fault: 'hostile-symlink-loop' });
  entries.push({ path: 'links/pong.py', expect: 'symlink-loop', fault: 'hostile-symlink-loop' });

  // Special files: reading a FIFO blocks forever, so one must be reported and never opened.
  mkdirSync(join(root, 'special'), { recursive: true });
  execFileSync('mkfifo', [join(root, 'special', 'pipe.py')]);
  entries.push({ path: 'special/pipe.py', expect: 'special-file', fault: 'hostile-special-file' });
  symlinkSync('pipe.py', join(root, 'special', 'pipe-link.py'));
  entries.push({ path: 'special/pipe-link.py', expect: 'special-file', fault: 'hostile-special-file' });

  // Plain code beside all of it, which must be indexed as usual.
  put('ok/normal.py', 'def ordinary_function(a, b):\n    """Adds two numbers."""\n    return a + b\n', 'indexed', 'hostile-baseline');
  return entries;
}

/** `count` tiny files in directories of 1,000, as a monorepo or a generated tree would have. */
export function buildTinyFiles(root: string, count: number): void {
  for (let start = 0; start < count; start += 1000) {
    const dir = join(root, `pkg${String(start / 1000).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let index = start; index < Math.min(count, start + 1000); index++) {
      writeFileSync(join(dir, `m${index}.py`), `def tiny_${index}(x):\n    return x + ${index}\n`);
    }
  }
}

const VERBS = ['parse', 'render', 'validate', 'fetch', 'merge', 'sort', 'encode', 'decode', 'retry', 'cache', 'index', 'compress', 'schedule', 'route', 'hash'];
const NOUNS = ['token', 'request', 'matrix', 'invoice', 'session', 'graph', 'buffer', 'payload', 'config', 'message', 'record', 'stream', 'queue', 'window', 'path'];

/**
 * `count` small source files across Python, TypeScript and Go, each with two
 * functions whose names and bodies depend on `variant`: writing another
 * variant rewrites every file in place, as a branch switch would.
 */
export function buildCodeCorpus(root: string, count: number, variant = 0, first = 0): string[] {
  const paths: string[] = [];
  for (let index = first; index < first + count; index++) {
    const verb = VERBS[(index + variant) % VERBS.length]!;
    // Paths depend on the index only, contents on the variant too.
    const noun = NOUNS[Math.floor(index / VERBS.length) % NOUNS.length]!;
    const dir = `src/area${String(Math.floor(index / 100)).padStart(3, '0')}`;
    mkdirSync(join(root, dir), { recursive: true });
    let path: string;
    let text: string;
    switch (index % 3) {
      case 0:
        path = `${dir}/${noun}_${index}.py`;
        text = `def ${verb}_${noun}_${index}(items, limit=${variant + 1}):\n    """${verb} each ${noun} up to the limit (variant ${variant})."""\n    out = []\n    for item in items[:limit]:\n        out.append(item * ${index})\n    return out\n\n\ndef helper_${index}_${variant}(value):\n    return ${verb}_${noun}_${index}([value])\n`;
        break;
      case 1:
        path = `${dir}/${noun}${index}.ts`;
        text = `/** ${verb} a ${noun} (variant ${variant}). */\nexport function ${verb}${noun[0]!.toUpperCase()}${noun.slice(1)}${index}(input: number[]): number {\n  let total = ${variant};\n  for (const value of input) total += value * ${index};\n  return total;\n}\n\nexport const helper${index}v${variant} = (x: number) => x + ${index};\n`;
        break;
      default:
        path = `${dir}/${noun}_${index}.go`;
        text = `package area\n\n// ${verb}${noun}${index} handles a ${noun} (variant ${variant}).\nfunc ${verb}${noun}${index}(values []int) int {\n\ttotal := ${variant}\n\tfor _, v := range values {\n\t\ttotal += v * ${index}\n\t}\n\treturn total\n}\n`;
    }
    writeFileSync(join(root, path), text);
    paths.push(path);
  }
  return paths;
}
