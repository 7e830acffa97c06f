/**
 * The synthetic-tree benchmark (issue 12, goal 8): a generated tree of many
 * small source files in five languages, indexed cold in a fresh process that
 * samples its own RSS as the files are written, so that "flat memory" is a
 * measured curve rather than one peak. Nothing of the tree is committed: it is
 * generated from a seed under the benchmark's work dir and removed afterwards.
 *
 *   node out/bench/speed/syntheticTree.js [--files 5000] [--model DIR]   # alone
 *   npm run bench:speed -- --synthetic-files 100000                     # in the full run (0 skips)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CodeGraph } from '../../engine/codegraph.js';
import { seededRandom } from '../../engine/random/index.js';
import { boundHeapGrowthForIndexing } from '../../cli/heapGrowth.js';

export type SyntheticGoalRow = readonly [goal: string, met: boolean, figure: string];

export interface SyntheticFile {
  readonly path: string;
  readonly language: SyntheticLanguage;
  readonly text: string;
}

export const SYNTHETIC_LANGUAGES = ['python', 'typescript', 'go', 'java', 'rust'] as const;
export type SyntheticLanguage = (typeof SYNTHETIC_LANGUAGES)[number];

/** Files per leaf directory: 100,000 files make 100 directories of 1,000, ten to a parent. */
const FILES_PER_DIRECTORY = 1000;

const VERBS = ['parse', 'load', 'merge', 'compute', 'validate', 'render', 'flush', 'resolve', 'encode', 'fetch', 'sort', 'filter', 'apply', 'build', 'scan', 'collect', 'normalize', 'schedule', 'retry', 'index'];
const ADJECTIVES = ['pending', 'active', 'stale', 'remote', 'local', 'cached', 'raw', 'signed', 'partial', 'nested', 'shared', 'primary', 'expired', 'dirty', 'frozen'];
const NOUNS = ['order', 'invoice', 'token', 'session', 'buffer', 'ledger', 'route', 'packet', 'record', 'account', 'metric', 'shard', 'queue', 'bucket', 'schema', 'config', 'report', 'stream', 'segment', 'lease', 'window', 'cursor', 'payload', 'tenant', 'snapshot'];
const PURPOSES = [
  'so that callers never see a half-built value',
  'keeping the original order of the input',
  'skipping entries that are already expired',
  'and reports how many were dropped',
  'before the next batch is committed',
  'using the limit configured for the tenant',
  'without allocating when the input is empty',
  'retrying once when the backend is busy',
  'as the wire format expects it',
  'grouped by their owner',
];

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const camel = (words: readonly string[]) => words[0]! + words.slice(1).map(capitalize).join('');
const pascal = (words: readonly string[]) => words.map(capitalize).join('');
const snake = (words: readonly string[]) => words.join('_');
/** "flush" → "flushes", "apply" → "applies", "parse" → "parses". */
const thirdPerson = (verb: string) => (/(sh|ch|s|x)$/.test(verb) ? `${verb}es` : /[^aeiou]y$/.test(verb) ? `${verb.slice(0, -1)}ies` : `${verb}s`);

interface FunctionParts {
  readonly words: string[];
  readonly subject: string;
  readonly field: string;
  readonly doc: string;
  readonly limit: number;
  readonly factor: number;
  readonly shape: number;
}

function functionParts(random: () => number, serial: number): FunctionParts {
  const verb = pick(random, VERBS);
  const adjective = pick(random, ADJECTIVES);
  const noun = pick(random, NOUNS);
  const field = pick(random, NOUNS.filter((other) => other !== noun));
  return {
    words: [verb, adjective, noun],
    subject: noun,
    field,
    doc: `${capitalize(thirdPerson(verb))} the ${adjective} ${noun} entries by ${field}, ${pick(random, PURPOSES)}.`,
    // The serial makes every function's constants, and so its chunk, differ from every other's.
    limit: 8 + serial,
    factor: 2 + Math.floor(random() * 97),
    shape: Math.floor(random() * 3),
  };
}

function pythonFunction(part: FunctionParts): string {
  const name = snake(part.words);
  const bodies = [
    `    total = 0\n    for ${part.subject} in items:\n        if ${part.subject}.${part.field} is None:\n            continue\n        total += ${part.subject}.${part.field} * ${part.factor}\n        if total > ${part.limit}:\n            break\n    return total`,
    `    seen = {}\n    for ${part.subject} in items:\n        key = ${part.subject}.${part.field}\n        seen.setdefault(key, []).append(${part.subject})\n    return [group for group in seen.values() if len(group) <= ${part.limit}]`,
    `    try:\n        result = [item for item in items if item.${part.field} % ${part.factor} != 0]\n    except AttributeError as error:\n        raise ValueError("${part.subject} without ${part.field}") from error\n    return result[:${part.limit}]`,
  ];
  return `def ${name}(items, limit=${part.limit}):\n    """${part.doc}"""\n${bodies[part.shape]}\n`;
}

function typescriptFunction(part: FunctionParts): string {
  const name = camel(part.words);
  const type = pascal([part.subject]);
  const bodies = [
    `  let total = 0;\n  for (const ${part.subject} of items) {\n    if (${part.subject}.${part.field} === undefined) continue;\n    total += ${part.subject}.${part.field} * ${part.factor};\n    if (total > ${part.limit}) break;\n  }\n  return total;`,
    `  const groups = new Map<number, ${type}[]>();\n  for (const ${part.subject} of items) {\n    const key = ${part.subject}.${part.field} ?? 0;\n    groups.set(key, [...(groups.get(key) ?? []), ${part.subject}]);\n  }\n  return [...groups.values()].filter((group) => group.length <= ${part.limit}).length;`,
    `  const kept = items.filter((item) => (item.${part.field} ?? 0) % ${part.factor} !== 0);\n  if (kept.length === 0) throw new Error('no ${part.subject} with a ${part.field}');\n  return kept.slice(0, ${part.limit}).length;`,
  ];
  return `/** ${part.doc} */\nexport function ${name}(items: readonly ${type}[]): number {\n${bodies[part.shape]}\n}\n`;
}

function goFunction(part: FunctionParts): string {
  const name = pascal(part.words);
  const type = pascal([part.subject]);
  const field = pascal([part.field]);
  const bodies = [
    `\ttotal := 0\n\tfor _, item := range items {\n\t\tif item.${field} == 0 {\n\t\t\tcontinue\n\t\t}\n\t\ttotal += item.${field} * ${part.factor}\n\t\tif total > ${part.limit} {\n\t\t\tbreak\n\t\t}\n\t}\n\treturn total, nil`,
    `\tgroups := make(map[int][]${type})\n\tfor _, item := range items {\n\t\tgroups[item.${field}] = append(groups[item.${field}], item)\n\t}\n\tcount := 0\n\tfor _, group := range groups {\n\t\tif len(group) <= ${part.limit} {\n\t\t\tcount++\n\t\t}\n\t}\n\treturn count, nil`,
    `\tif len(items) == 0 {\n\t\treturn 0, fmt.Errorf("no ${part.subject} with a ${part.field}")\n\t}\n\tkept := 0\n\tfor _, item := range items {\n\t\tif item.${field}%${part.factor} != 0 && kept < ${part.limit} {\n\t\t\tkept++\n\t\t}\n\t}\n\treturn kept, nil`,
  ];
  return `// ${name} ${part.doc.charAt(0).toLowerCase()}${part.doc.slice(1)}\nfunc ${name}(items []${type}) (int, error) {\n${bodies[part.shape]}\n}\n`;
}

function javaMethod(part: FunctionParts): string {
  const name = camel(part.words);
  const type = pascal([part.subject]);
  const getter = `get${pascal([part.field])}()`;
  const bodies = [
    `        int total = 0;\n        for (${type} item : items) {\n            if (item.${getter} == 0) {\n                continue;\n            }\n            total += item.${getter} * ${part.factor};\n            if (total > ${part.limit}) {\n                break;\n            }\n        }\n        return total;`,
    `        Map<Integer, List<${type}>> groups = new HashMap<>();\n        for (${type} item : items) {\n            groups.computeIfAbsent(item.${getter}, key -> new ArrayList<>()).add(item);\n        }\n        return (int) groups.values().stream().filter(group -> group.size() <= ${part.limit}).count();`,
    `        if (items.isEmpty()) {\n            throw new IllegalArgumentException("no ${part.subject} with a ${part.field}");\n        }\n        return (int) items.stream().filter(item -> item.${getter} % ${part.factor} != 0).limit(${part.limit}).count();`,
  ];
  return `    /** ${part.doc} */\n    public static int ${name}(List<${type}> items) {\n${bodies[part.shape]}\n    }\n`;
}

function rustFunction(part: FunctionParts): string {
  const name = snake(part.words);
  const type = pascal([part.subject]);
  const bodies = [
    `    let mut total = 0;\n    for item in items {\n        if item.${part.field} == 0 {\n            continue;\n        }\n        total += item.${part.field} * ${part.factor};\n        if total > ${part.limit} {\n            break;\n        }\n    }\n    Ok(total)`,
    `    let mut groups: HashMap<u64, Vec<&${type}>> = HashMap::new();\n    for item in items {\n        groups.entry(item.${part.field}).or_default().push(item);\n    }\n    Ok(groups.values().filter(|group| group.len() <= ${part.limit}).count() as u64)`,
    `    if items.is_empty() {\n        return Err(format!("no ${part.subject} with a ${part.field}"));\n    }\n    Ok(items.iter().filter(|item| item.${part.field} % ${part.factor} != 0).take(${part.limit}).count() as u64)`,
  ];
  return `/// ${part.doc}\npub fn ${name}(items: &[${type}]) -> Result<u64, String> {\n${bodies[part.shape]}\n}\n`;
}

const EXTENSIONS: Record<SyntheticLanguage, string> = { python: 'py', typescript: 'ts', go: 'go', java: 'java', rust: 'rs' };

function fileText(language: SyntheticLanguage, module: string[], parts: FunctionParts[], serial: number, directory: string): string {
  const header = `${capitalize(module.join(' '))} helpers (generated file ${serial}).`;
  // Each type's fields, and a doc line naming its file, so no type definition repeats across files.
  const types = [...new Set(parts.map((part) => part.subject))].map((type) => ({
    name: pascal([type]),
    fields: [...new Set(parts.filter((part) => part.subject === type).map((part) => part.field))],
    doc: `${/^[aeiou]/.test(type) ? 'An' : 'A'} ${type} as the ${module.join(' ')} helpers of file ${serial} read it.`,
  }));
  switch (language) {
    case 'python':
      return `"""${header}"""\nfrom dataclasses import dataclass\n\n${types.map((type) => `@dataclass\nclass ${type.name}:\n    """${type.doc}"""\n\n    ${type.fields.map((field) => `${field}: int = 0`).join('\n    ')}\n`).join('\n')}\n${parts.map(pythonFunction).join('\n\n')}`;
    case 'typescript':
      return `// ${header}\n${types.map((type) => `/** ${type.doc} */\nexport interface ${type.name} {\n  ${type.fields.map((field) => `readonly ${field}?: number;`).join('\n  ')}\n}\n`).join('\n')}\n${parts.map(typescriptFunction).join('\n')}`;
    case 'go':
      return `// Package ${directory} holds ${header.charAt(0).toLowerCase()}${header.slice(1)}\npackage ${directory}\n\nimport "fmt"\n\n${types.map((type) => `// ${type.name} is ${type.doc.charAt(0).toLowerCase()}${type.doc.slice(1)}\ntype ${type.name} struct {\n\t${type.fields.map((field) => `${pascal([field])} int`).join('\n\t')}\n}\n`).join('\n')}\n${parts.map(goFunction).join('\n')}`;
    case 'java':
      return `/* ${header} */\npackage ${directory};\n\nimport java.util.ArrayList;\nimport java.util.HashMap;\nimport java.util.List;\nimport java.util.Map;\n\n/** ${header} */\npublic final class ${pascal(module)}${serial} {\n    private ${pascal(module)}${serial}() {}\n\n${parts.map(javaMethod).join('\n')}}\n`;
    case 'rust':
      return `//! ${header}\nuse std::collections::HashMap;\n\n${types.map((type) => `/// ${type.doc}\npub struct ${type.name} {\n    ${type.fields.map((field) => `pub ${field}: u64,`).join('\n    ')}\n}\n`).join('\n')}\n${parts.map(rustFunction).join('\n')}`;
  }
}

/**
 * The tree's files, in order, from the seed alone: the languages take turns,
 * each file has 3–5 functions with their own names, docstrings, shapes and
 * constants, and FILES_PER_DIRECTORY files share a leaf directory.
 */
export function* syntheticFiles(count: number, seed = 8): Generator<SyntheticFile> {
  const random = seededRandom(seed);
  let serial = 0;
  for (let index = 0; index < count; index++) {
    const language = SYNTHETIC_LANGUAGES[index % SYNTHETIC_LANGUAGES.length]!;
    const leaf = Math.floor(index / FILES_PER_DIRECTORY);
    const directory = `pkg${leaf}`;
    const module = [pick(random, ADJECTIVES), pick(random, NOUNS)];
    const parts = Array.from({ length: 3 + Math.floor(random() * 3) }, () => functionParts(random, serial++));
    const base = language === 'java' ? `${pascal(module)}${index}` : language === 'typescript' ? `${camel(module)}${index}` : `${snake(module)}_${index}`;
    const path = `area${leaf % 10}/${directory}/${base}.${EXTENSIONS[language]}`;
    yield { path, language, text: fileText(language, module, parts, index, directory) };
  }
}

/** Writes the tree under `root`; returns the file count and total bytes. */
export function writeSyntheticTree(root: string, count: number, seed?: number): { files: number; bytes: number } {
  let bytes = 0;
  let files = 0;
  const made = new Set<string>();
  for (const file of syntheticFiles(count, seed)) {
    const target = join(root, file.path);
    const directory = dirname(target);
    if (!made.has(directory)) {
      mkdirSync(directory, { recursive: true });
      made.add(directory);
    }
    writeFileSync(target, file.text);
    bytes += Buffer.byteLength(file.text);
    files++;
  }
  return { files, bytes };
}

/** One RSS sample of the indexing process, with how far the run was. */
export interface RssSample {
  readonly ms: number;
  /** `dispose`: taken after the index run returned, while the engine closed (it writes the vector file then). */
  readonly phase: 'index' | 'dispose';
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
  readonly filesDone: number;
}

interface SampledIndex {
  readonly ms: number;
  readonly files: number;
  readonly filesTotal: number;
  readonly chunks: number;
  readonly chunksEmbedded: number;
  readonly peakRssMb: number;
  readonly cpuPercent: number;
  readonly phaseMs: Record<string, number>;
  readonly disposeMs: number;
  readonly samples: RssSample[];
}

export interface SyntheticTreeReport {
  readonly files: number;
  readonly megabytes: number;
  readonly generateMs: number;
  readonly ms: number;
  readonly filesPerSecond: number;
  readonly chunks: number;
  readonly chunksEmbedded: number;
  readonly peakRssMb: number;
  readonly cpuPercent: number;
  readonly phaseMs: Record<string, number>;
  /** RSS (and V8 heap) at the first sample at or past each share of the files written; 100% is the run's end, before dispose. */
  readonly byFilesDone: Record<'25%' | '50%' | '75%' | '100%', { ms: number; rssMb: number; heapUsedMb: number; externalMb: number; filesDone: number }>;
  /** Files/s within each quarter of the files: whether writing slows as the index grows. */
  readonly filesPerSecondByQuarter: number[];
  readonly samples: number;
  readonly flat: boolean;
  /** The engine's close after the run: its time and the largest RSS sampled during it (the vector file is written then). */
  readonly dispose: { readonly ms: number; readonly rssMb: number };
}

const round = (value: number) => Math.round(value * 100) / 100;
const megabytes = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/**
 * The index-phase sample at or past `share` of the files; for 100%, the last one, taken as the run returned. Dispose
 * samples are not part of the curve: what a close costs is not memory that grows with the files written.
 */
export function sampleAtShare(samples: readonly RssSample[], total: number, share: number): RssSample {
  const indexing = samples.filter((sample) => sample.phase === 'index');
  if (share >= 1) return indexing[indexing.length - 1]!;
  return indexing.find((sample) => sample.filesDone >= total * share) ?? indexing[indexing.length - 1]!;
}

/** The largest RSS sampled while the engine closed (0 when no sample fell there). */
export function disposePeakRssMb(samples: readonly RssSample[]): number {
  return Math.max(0, ...samples.filter((sample) => sample.phase === 'dispose').map((sample) => sample.rssMb));
}

/** RSS at the end within 1.25 × RSS at a quarter of the files: memory does not grow with files done. */
export function isFlat(atQuarter: number, atEnd: number): boolean {
  return atEnd <= atQuarter * 1.25;
}

/** In the child: a cold index of `root` with RSS sampled every 500 ms and at each progress report. */
async function sampledIndex(root: string, cache: string, model: string | undefined): Promise<SampledIndex> {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const samples: RssSample[] = [];
  let filesDone = 0;
  let filesTotal = 0;
  let lastSample = -Infinity;
  let phase: RssSample['phase'] = 'index';
  const sample = () => {
    const memory = process.memoryUsage();
    lastSample = performance.now();
    samples.push({ ms: round(lastSample - started), phase, rssMb: megabytes(memory.rss), heapUsedMb: megabytes(memory.heapUsed), externalMb: megabytes(memory.external + memory.arrayBuffers), filesDone });
  };
  const timer = setInterval(sample, 500);
  try {
    const graph = await CodeGraph.open({ root, cacheDir: cache, ...(model ? { modelDir: model } : {}) });
    const summary = await graph.index({
      onProgress: (progress) => {
        filesDone = progress.filesDone;
        filesTotal = progress.filesTotal;
        // Progress arrives per committed batch; sample there too, so each quarter has a sample at its boundary.
        if (performance.now() - lastSample >= 100) sample();
      },
    });
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuAtStart);
    sample();
    phase = 'dispose';
    const disposeStarted = performance.now();
    await graph.dispose();
    sample();
    return {
      ms,
      disposeMs: performance.now() - disposeStarted,
      files: summary.filesDiscovered,
      filesTotal,
      chunks: summary.chunksTotal,
      chunksEmbedded: summary.chunksEmbedded,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      cpuPercent: ((cpu.user + cpu.system) / 1000 / ms) * 100,
      phaseMs: summary.phaseMs as unknown as Record<string, number>,
      samples,
    };
  } finally {
    clearInterval(timer);
  }
}

export interface SyntheticTreeInputs {
  readonly work: string;
  readonly count: number;
  readonly modelArgs: readonly string[];
  readonly seed?: number;
}

/**
 * Generates the tree, indexes it cold in a fresh process, removes both, and
 * returns the report with its goal rows and table lines (none when count is 0).
 */
export function measureSyntheticTree(input: SyntheticTreeInputs, log: (message: string) => void): { report: SyntheticTreeReport | null; rows: SyntheticGoalRow[]; lines: string[] } {
  if (input.count <= 0) return { report: null, rows: [], lines: [] };
  const base = join(input.work, 'synthetic-tree');
  const root = join(base, 'tree');
  const cache = join(base, 'cache');
  rmSync(base, { recursive: true, force: true });
  try {
    const generateStarted = performance.now();
    const written = writeSyntheticTree(root, input.count, input.seed);
    const generateMs = performance.now() - generateStarted;
    log(`synthetic tree: ${written.files} files, ${(written.bytes / 1e6).toFixed(1)} MB written in ${Math.round(generateMs)} ms`);
    const run = spawnSync(process.execPath, ['--max-old-space-size=4096', __filename, 'index-sampled', '--root', root, '--cache', cache, ...input.modelArgs], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (run.status !== 0) throw new Error(`synthetic tree index failed: ${run.stderr}`);
    const measured = JSON.parse(run.stdout.trim().split('\n').pop()!) as SampledIndex;
    const total = measured.filesTotal || measured.files;
    const at = (share: number) => {
      const sample = sampleAtShare(measured.samples, total, share);
      return { ms: sample.ms, rssMb: sample.rssMb, heapUsedMb: sample.heapUsedMb, externalMb: sample.externalMb, filesDone: sample.filesDone };
    };
    const byFilesDone = { '25%': at(0.25), '50%': at(0.5), '75%': at(0.75), '100%': at(1) };
    const filesPerSecond = round((measured.files / measured.ms) * 1000);
    const quarters = [{ ms: 0, filesDone: 0 }, ...(['25%', '50%', '75%', '100%'] as const).map((share) => byFilesDone[share])];
    const filesPerSecondByQuarter = quarters.slice(1).map((end, at) => round(((end.filesDone - quarters[at]!.filesDone) / Math.max(1, end.ms - quarters[at]!.ms)) * 1000));
    const report: SyntheticTreeReport = {
      files: measured.files,
      megabytes: round(written.bytes / 1e6),
      generateMs: round(generateMs),
      ms: round(measured.ms),
      filesPerSecond,
      chunks: measured.chunks,
      chunksEmbedded: measured.chunksEmbedded,
      peakRssMb: measured.peakRssMb,
      cpuPercent: round(measured.cpuPercent),
      phaseMs: measured.phaseMs,
      byFilesDone,
      filesPerSecondByQuarter,
      samples: measured.samples.length,
      flat: isFlat(byFilesDone['25%'].rssMb, byFilesDone['100%'].rssMb),
      dispose: { ms: round(measured.disposeMs), rssMb: disposePeakRssMb(measured.samples) },
    };
    log(`synthetic tree indexed: ${filesPerSecond} files/s, peak RSS ${report.peakRssMb} MB`);
    const count = report.files.toLocaleString('en');
    const curve = (['25%', '50%', '75%', '100%'] as const).map((share) => `${share} ${byFilesDone[share].rssMb}`).join(', ');
    const heap = (['25%', '50%', '75%', '100%'] as const).map((share) => `${share} ${byFilesDone[share].heapUsedMb}`).join(', ');
    const phases = Object.entries(report.phaseMs).map(([phase, ms]) => `${phase} ${round(ms / 1000)} s`).join(', ');
    const rows: SyntheticGoalRow[] = [
      [`${count}-file synthetic tree indexes with flat memory (RSS at the end ≤ 1.25 × RSS at a quarter of the files)`, report.flat, `RSS MB at ${curve} of the files; peak ${report.peakRssMb} MB`],
      [`${count}-file synthetic tree: files/s reported`, true, `${filesPerSecond} files/s`],
    ];
    const lines = [
      '',
      `Synthetic tree (generated from a seed, ${SYNTHETIC_LANGUAGES.join('/')}, ${count} files, ${report.megabytes} MB), cold index:`,
      '',
      '| measure | result |',
      '|---|---|',
      `| cold index | ${filesPerSecond} files/s, ${report.chunks} chunks (${report.chunksEmbedded} embedded) in ${round(report.ms / 1000)} s, ${report.cpuPercent}% CPU |`,
      `| RSS by files written (MB) | ${curve}; peak ${report.peakRssMb} MB (${report.samples} samples) |`,
      `| engine close after the run (writes the vector file) | ${round(report.dispose.ms / 1000)} s, RSS up to ${report.dispose.rssMb} MB |`,
      `| V8 heap used by files written (MB) | ${heap} |`,
      `| files/s within each quarter of the files (first quarter includes start-up) | ${filesPerSecondByQuarter.join(', ')} |`,
      `| phases (coordinator wait per phase; phases overlap) | ${phases} |`,
    ];
    return { report, rows, lines };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { root: { type: 'string' }, cache: { type: 'string' }, model: { type: 'string' }, files: { type: 'string', default: '5000' }, seed: { type: 'string' } } });
  if (positionals[0] === 'index-sampled') {
    // A cold index as `codegraph index` runs it (cli/heapGrowth.ts).
    boundHeapGrowthForIndexing();
    process.stdout.write(`${JSON.stringify(await sampledIndex(values.root!, values.cache!, values.model))}\n`);
    return;
  }
  // Alone: the same measurement as in the full benchmark, printed as its table.
  const work = join(tmpdir(), `codegraph-synthetic-${process.pid}`);
  try {
    const measured = measureSyntheticTree({ work, count: Number(values.files), modelArgs: values.model ? ['--model', values.model] : [], ...(values.seed ? { seed: Number(values.seed) } : {}) }, (message) => process.stderr.write(`speed: ${message}\n`));
    console.log([...measured.lines, '', '| goal | met? | figure |', '|---|---|---|', ...measured.rows.map(([goal, met, figure]) => `| ${goal} | ${met ? 'met' : 'not met'} | ${figure} |`)].join('\n'));
    console.log(JSON.stringify(measured.report));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
