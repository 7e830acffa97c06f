/**
 * The parse floor: web-tree-sitter parsing alone (read, decode, parse, free the
 * tree; no walk, no chunking, no embedding, no writes) over the same files with
 * the same number of threads as the cold index. A cold index cannot beat it;
 * the benchmark reports the index's files/s as a share of it.
 *
 * Run by run.ts in a child process: node parseFloor.js <files.json> <threads> <grammarsDir>
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Language, Parser } from 'web-tree-sitter';
import { languageById } from '../../engine/parsing/languages.js';

interface FloorTask {
  readonly files: readonly { absolutePath: string; language: string }[];
  readonly grammarsDir: string;
}

export interface ParseFloor {
  readonly files: number;
  readonly parsed: number;
  readonly threads: number;
  readonly ms: number;
  /** CPU time of the parsing threads' process over the timed part (all threads). */
  readonly cpuMs: number;
  readonly filesPerSecond: number;
  readonly megabytesPerSecond: number;
}

async function parseShare(task: FloorTask, ready: () => void, start: Promise<void>): Promise<{ parsed: number; bytes: number }> {
  await Parser.init({ locateFile: (file: string, prefix: string) => (existsSync(join(task.grammarsDir, file)) ? join(task.grammarsDir, file) : prefix + file) });
  const parser = new Parser();
  const languages = new Map<string, Language | null>();
  // Grammars load before the clock starts, as the index's workers keep theirs loaded.
  for (const file of task.files) {
    const grammar = languageById(file.language)?.grammar;
    if (!grammar || languages.has(grammar)) continue;
    const path = join(task.grammarsDir, grammar);
    languages.set(grammar, existsSync(path) ? await Language.load(path).catch(() => null) : null);
  }
  ready();
  await start;
  let parsed = 0;
  let bytes = 0;
  for (const file of task.files) {
    const content = readFileSync(file.absolutePath);
    bytes += content.length;
    const grammar = languageById(file.language)?.grammar;
    const language = grammar ? languages.get(grammar) : null;
    if (!language) continue;
    parser.setLanguage(language);
    const tree = parser.parse(content.toString('utf8'));
    tree?.delete();
    parsed++;
  }
  parser.delete();
  return { parsed, bytes };
}

if (!isMainThread) {
  let release!: () => void;
  const start = new Promise<void>((resolve) => (release = resolve));
  parentPort!.on('message', () => release());
  void parseShare(workerData as FloorTask, () => parentPort!.postMessage({ ready: true }), start).then((result) => parentPort!.postMessage(result));
} else if (require.main === module) {
  const [filesJson, threadsArg, grammarsDir] = process.argv.slice(2);
  const files = JSON.parse(readFileSync(filesJson!, 'utf8')) as { absolutePath: string; language: string; size: number }[];
  const threads = Number(threadsArg);
  // Round-robin by size so that every thread gets about the same work.
  const shares: { absolutePath: string; language: string }[][] = Array.from({ length: threads }, () => []);
  const totals = new Array<number>(threads).fill(0);
  for (const file of [...files].sort((a, b) => b.size - a.size)) {
    const lightest = totals.indexOf(Math.min(...totals));
    shares[lightest]!.push(file);
    totals[lightest]! += file.size;
  }
  const workers = shares.map((share) => new Worker(__filename, { workerData: { files: share, grammarsDir } satisfies FloorTask }));
  let readyCount = 0;
  let started = 0;
  let cpuAtStart = process.cpuUsage();
  const results = workers.map((worker) => new Promise<{ parsed: number; bytes: number }>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (message: { ready?: true; parsed?: number; bytes?: number }) => {
      if (message.ready) {
        if (++readyCount === workers.length) {
          started = performance.now();
          cpuAtStart = process.cpuUsage();
          for (const each of workers) each.postMessage('start');
        }
      } else {
        resolve(message as { parsed: number; bytes: number });
      }
    });
  }));
  void Promise.all(results).then(async (done) => {
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuAtStart);
    await Promise.all(workers.map((worker) => worker.terminate()));
    const bytes = done.reduce((sum, share) => sum + share.bytes, 0);
    const floor: ParseFloor = {
      files: files.length,
      parsed: done.reduce((sum, share) => sum + share.parsed, 0),
      threads,
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      filesPerSecond: (files.length / ms) * 1000,
      megabytesPerSecond: (bytes / 1e6 / ms) * 1000,
    };
    console.log(JSON.stringify(floor));
  });
}
