/**
 * Corpus builder: downloads code from Debian (apt-get download / apt-get source)
 * and npm (npm pack), mines (query, code) pairs with the engine's chunker, dedupes,
 * splits by package and checks the result against the evaluation exclusions.
 *
 *   node out/training/corpus/build.js [--out DIR] [--languages python,go,...]
 *        [--max-packages-per-language N] [--max-files-per-package N] [--steps fetch,mine,merge,check]
 *
 * Resumable: downloads, and each package's mined pairs (state/ + mined/), are kept
 * and skipped on the next run; merge and check are re-run over everything selected.
 * See training/corpus/README.md.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { decodeSourceText } from '../../engine/discovery/index.js';
import { CodeParser, languageForPath } from '../../engine/parsing/index.js';
import { runCheck } from './check.js';
import { ExclusionMatcher, type ExclusionHit } from './exclusions.js';
import { merge } from './merge.js';
import { cosqaKey, emptyStats, MINED_LANGUAGES, minePairs, skipContent, skipPath, type MineStats, type Pair } from './mine.js';

const REPO = resolve(__dirname, '..', '..', '..');
const CORPUS_SRC = join(REPO, 'training', 'corpus');
export const LISTS = ['python', 'go', 'rust', 'javascript', 'npm', 'java', 'c', 'cpp', 'csharp', 'ruby', 'php'] as const;

export interface Options {
  out: string;
  lists: string[];
  maxPackages: number;
  /** Per-list overrides of maxPackages (`--max-packages-per-language 1000,java=40`). */
  maxPackagesByList: Record<string, number>;
  maxFiles: number;
  maxChars: number;
  maxFileBytes: number;
  validPercent: number;
  excludeLists: string[];
  cosqa: string | null;
  steps: Set<string>;
  keepExtracted: boolean;
}

export interface Entry {
  readonly list: string;
  readonly type: 'deb' | 'src' | 'npm';
  readonly name: string;
  readonly version: string | null;
  /** Per-entry file cap (`files=N` in the list), for large single packages such as a language's standard library. */
  readonly maxFiles: number | null;
}

export interface PackageState {
  list: string;
  type: Entry['type'];
  name: string;
  version: string | null;
  source: string | null;
  urls: string[];
  archives: string[];
  sha256: Record<string, string>;
  status: 'mined' | 'excluded' | 'failed';
  reason?: string;
  files: number;
  filesSkipped: Record<string, number>;
  excludedPaths: string[];
  pairs: number;
  stats: MineStats;
  seconds: number;
}

function usage(): never {
  console.log(`usage: node out/training/corpus/build.js [options]
  --out DIR                      corpus directory (default $CODEGRAPH_CORPUS_DIR or ~/.cache/codegraph/corpus)
  --languages a,b,...            package lists to use (default all: ${LISTS.join(',')})
  --max-packages-per-language N[,LIST=N...]  first N entries of each list (lists are in a fixed hash
                                 order; default all); LIST=N overrides one list, N may be 'all'
  --max-files-per-package N      files mined per package, a fixed hash sample (default 3000)
  --max-chars N                  chunk size, as the engine's chunker (default 2048)
  --valid-percent P              share of packages in the validation split (default 2.5)
  --exclude-list PATH            exclusion list(s), repeatable (default the committed copy + ../shared/bench/semble/exclude-from-training.txt)
  --cosqa PATH|none              CoSQA dev file whose code must stay out (default ../shared/eval/cosqa-dev.json beside the repository)
  --steps fetch,mine,merge,check which steps to run (default all)
  --keep-extracted               keep extracted package trees (default: removed after mining)`);
  process.exit(0);
}

export function parseOptions(argv: string[]): Options {
  const options: Options = {
    out: process.env.CODEGRAPH_CORPUS_DIR ?? join(homedir(), '.cache', 'codegraph', 'corpus'),
    lists: [...LISTS],
    maxPackages: Infinity,
    maxPackagesByList: {},
    maxFiles: 3000,
    maxChars: 2048,
    maxFileBytes: 256 * 1024,
    validPercent: 2.5,
    excludeLists: [],
    cosqa: join(REPO, '..', 'shared', 'eval', 'cosqa-dev.json'),
    steps: new Set(['fetch', 'mine', 'merge', 'check']),
    keepExtracted: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]!;
    const value = () => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--out': options.out = value(); break;
      case '--languages': options.lists = value().split(',').map((item) => item.trim()).filter(Boolean); break;
      case '--max-packages-per-language':
        for (const part of value().split(',')) {
          const [list, count] = part.includes('=') ? part.split('=') : [null, part];
          const number = count === 'all' ? Infinity : Number(count);
          if (!Number.isFinite(number) && count !== 'all') throw new Error(`bad --max-packages-per-language part ${part}`);
          if (list) options.maxPackagesByList[list] = number;
          else options.maxPackages = number;
        }
        break;
      case '--max-files-per-package': options.maxFiles = Number(value()); break;
      case '--max-chars': options.maxChars = Number(value()); break;
      case '--valid-percent': options.validPercent = Number(value()); break;
      case '--exclude-list': options.excludeLists.push(value()); break;
      case '--cosqa': { const path = value(); options.cosqa = path === 'none' ? null : path; break; }
      case '--steps': options.steps = new Set(value().split(',')); break;
      case '--keep-extracted': options.keepExtracted = true; break;
      case '-h': case '--help': usage();
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  for (const list of options.lists) if (!(LISTS as readonly string[]).includes(list)) throw new Error(`unknown language list ${list}; known: ${LISTS.join(', ')}`);
  if (options.excludeLists.length === 0) {
    options.excludeLists.push(join(CORPUS_SRC, 'exclude-from-training.txt'));
    const shared = join(REPO, '..', 'shared', 'bench', 'semble', 'exclude-from-training.txt');
    if (existsSync(shared)) options.excludeLists.push(shared);
  }
  options.out = resolve(options.out.replace(/^~(?=\/|$)/, homedir()));
  return options;
}

export function loadMatcher(paths: readonly string[]): ExclusionMatcher {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const path of paths) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const key = line.replace(/#.*$/, '').trim();
      if (key && !seen.has(key)) {
        seen.add(key);
        lines.push(key);
      }
    }
  }
  return ExclusionMatcher.parse(lines.join('\n'));
}

export function loadCosqa(path: string | null): Set<string> {
  if (path === null) return new Set();
  if (!existsSync(path)) throw new Error(`CoSQA file ${path} not found: pass --cosqa PATH, or --cosqa none to build without the CoSQA filter`);
  const entries = JSON.parse(readFileSync(path, 'utf8')) as { code: string }[];
  return new Set(entries.map((entry) => cosqaKey(entry.code)));
}

export function readEntries(list: string): Entry[] {
  const file = join(CORPUS_SRC, 'packages', `${list}.txt`);
  const entries: Entry[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const [type, spec, ...attributes] = line.split(/\s+/);
    const filesAttribute = attributes.find((attribute) => attribute.startsWith('files='));
    const maxFiles = filesAttribute ? Number(filesAttribute.slice('files='.length)) : null;
    if ((type !== 'deb' && type !== 'src' && type !== 'npm') || !spec) throw new Error(`${file}: bad line ${raw}`);
    if (type === 'npm') {
      const at = spec.lastIndexOf('@');
      if (at <= 0) throw new Error(`${file}: npm entries need NAME@VERSION: ${raw}`);
      entries.push({ list, type, name: spec.slice(0, at), version: spec.slice(at + 1), maxFiles });
    } else entries.push({ list, type, name: spec, version: null, maxFiles });
  }
  return entries;
}

function run(command: string, args: string[], cwd?: string, timeoutMs = 600_000): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs });
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: (result.stderr ?? '') + (result.error ? String(result.error) : '') };
}

const safeName = (name: string) => name.replace(/[^A-Za-z0-9._+-]/g, '_');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

class Builder {
  private readonly dirs;
  private parser!: CodeParser;

  constructor(private readonly options: Options, private readonly matcher: ExclusionMatcher, private readonly cosqa: ReadonlySet<string>) {
    const out = options.out;
    this.dirs = { deb: join(out, 'downloads', 'deb'), src: join(out, 'downloads', 'src'), npm: join(out, 'downloads', 'npm'), extract: join(out, 'extract'), state: join(out, 'state'), mined: join(out, 'mined'), pairs: join(out, 'pairs') };
    for (const dir of Object.values(this.dirs)) mkdirSync(dir, { recursive: true });
  }

  statePath(entry: Entry): string {
    return join(this.dirs.state, entry.list, `${safeName(entry.name)}.json`);
  }

  minedPath(entry: Entry): string {
    return join(this.dirs.mined, entry.list, `${safeName(entry.name)}.jsonl`);
  }

  /** The entries a run uses: each list's first N entries whose names are not excluded. */
  select(): { selected: Entry[]; excludedByName: { entry: Entry; hit: ExclusionHit }[] } {
    const selected: Entry[] = [];
    const excludedByName: { entry: Entry; hit: ExclusionHit }[] = [];
    for (const list of this.options.lists) {
      let taken = 0;
      for (const entry of readEntries(list)) {
        if (taken >= (this.options.maxPackagesByList[list] ?? this.options.maxPackages)) break;
        const hit = this.matcher.matchName(entry.name);
        if (hit) {
          excludedByName.push({ entry, hit });
          continue;
        }
        selected.push(entry);
        taken++;
      }
    }
    return { selected, excludedByName };
  }

  async build(): Promise<void> {
    const started = Date.now();
    const { selected, excludedByName } = this.select();
    log(`${selected.length} packages selected from ${this.options.lists.join(', ')}; ${excludedByName.length} excluded by name before download`);
    for (const { entry, hit } of excludedByName) log(`  excluded ${entry.list}/${entry.name}: ${hit.project} (${hit.reason})`);
    if (this.options.steps.has('fetch') || this.options.steps.has('mine')) {
      this.parser = await CodeParser.create(join(REPO, 'grammars'));
      for (const list of this.options.lists) {
        const entries = selected.filter((entry) => entry.list === list && !existsSync(this.statePath(entry)));
        if (entries.length === 0) continue;
        mkdirSync(join(this.dirs.state, list), { recursive: true });
        mkdirSync(join(this.dirs.mined, list), { recursive: true });
        log(`${list}: ${entries.length} packages to fetch and mine`);
        this.prefetchDebs(entries.filter((entry) => entry.type === 'deb'));
        let done = 0;
        let pairs = 0;
        for (const entry of entries) {
          const state = await this.processPackage(entry);
          writeJson(this.statePath(entry), state);
          done++;
          pairs += state.pairs;
          if (state.status !== 'mined') log(`  ${list}/${entry.name}: ${state.status}${state.reason ? ` (${state.reason})` : ''}`);
          if (done % 50 === 0 || done === entries.length) log(`  ${list}: ${done}/${entries.length} packages, ${pairs} raw pairs this run`);
        }
      }
    }
    const states = selected.map((entry) => (existsSync(this.statePath(entry)) ? (JSON.parse(readFileSync(this.statePath(entry), 'utf8')) as PackageState) : null));
    if (this.options.steps.has('merge')) {
      log('merging, deduplicating and splitting');
      const minedFiles = selected.filter((_entry, index) => states[index]?.status === 'mined').map((entry) => this.minedPath(entry));
      const summary = await merge(minedFiles, this.dirs.pairs, this.options.validPercent);
      const manifest = {
        generated: new Date().toISOString(),
        builder: 'training/corpus/build.ts',
        options: { ...this.options, steps: [...this.options.steps], maxPackages: Number.isFinite(this.options.maxPackages) ? this.options.maxPackages : null },
        debian: debianRelease(),
        excludedByName: excludedByName.map(({ entry, hit }) => ({ list: entry.list, type: entry.type, name: entry.name, project: hit.project, reason: hit.reason })),
        packages: states.filter((state): state is PackageState => state !== null),
        missing: selected.filter((_entry, index) => states[index] === null).map((entry) => `${entry.list}/${entry.name}`),
        summary,
      };
      writeJson(join(this.options.out, 'manifest.json'), manifest);
      writeJson(join(this.options.out, 'stats.json'), summary);
      log(`pairs: ${summary.train} train + ${summary.valid} valid (${summary.droppedExact} exact and ${summary.droppedNear} near duplicates dropped)`);
      log(`per language: ${JSON.stringify(summary.byLanguage)}`);
      log(`per kind: ${JSON.stringify(summary.byKind)}`);
    }
    log(`artefacts: downloads ${join(this.options.out, 'downloads')}; per-package pairs ${this.dirs.mined}; shards ${this.dirs.pairs}; manifest ${join(this.options.out, 'manifest.json')}; stats ${join(this.options.out, 'stats.json')}`);
    if (this.options.steps.has('check')) {
      const report = await runCheck(this.options.out, this.matcher, this.cosqa);
      writeJson(join(this.options.out, 'check-report.json'), report);
      log(`exclusion check: ${report.packagesChecked} packages, ${report.pairsChecked} pairs checked; report ${join(this.options.out, 'check-report.json')}`);
      if (report.offences.length > 0) {
        for (const offence of report.offences.slice(0, 50)) console.error(`EXCLUSION CHECK FAILED: ${offence}`);
        console.error(`EXCLUSION CHECK FAILED: ${report.offences.length} offences; the corpus must not be used`);
        process.exitCode = 2;
      } else log('exclusion check passed');
    }
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }

  /** apt-get download in batches; a batch that fails is retried package by package. */
  private prefetchDebs(entries: readonly Entry[]): void {
    const missing = entries.filter((entry) => !this.debFile(entry.name));
    for (let start = 0; start < missing.length; start += 100) {
      const batch = missing.slice(start, start + 100).map((entry) => entry.name);
      if (!run('apt-get', ['download', '-q', ...batch], this.dirs.deb).ok) for (const name of batch) run('apt-get', ['download', '-q', name], this.dirs.deb);
    }
  }

  private debFile(name: string): string | null {
    const files = readdirSync(this.dirs.deb).filter((file) => file.endsWith('.deb') && file.split('_')[0] === name).sort();
    return files.length > 0 ? join(this.dirs.deb, files[files.length - 1]!) : null;
  }

  private async processPackage(entry: Entry): Promise<PackageState> {
    const started = Date.now();
    const state: PackageState = { list: entry.list, type: entry.type, name: entry.name, version: entry.version, source: null, urls: [], archives: [], sha256: {}, status: 'failed', files: 0, filesSkipped: {}, excludedPaths: [], pairs: 0, stats: emptyStats(), seconds: 0 };
    const root = join(this.dirs.extract, safeName(entry.name));
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    try {
      const fetched = this.fetchAndExtract(entry, state, root);
      if (!fetched) return state;
      const hit = this.matcher.matchPackage({ name: entry.name, source: state.source ?? undefined, urls: state.urls });
      if (hit) {
        state.status = 'excluded';
        state.reason = `${hit.project}: ${hit.reason}`;
        return state;
      }
      await this.minePackage(entry, state, root);
      state.status = 'mined';
      return state;
    } catch (error) {
      state.status = 'failed';
      state.reason = String(error instanceof Error ? error.message : error).slice(0, 500);
      return state;
    } finally {
      if (!this.options.keepExtracted) rmSync(root, { recursive: true, force: true });
      state.seconds = (Date.now() - started) / 1000;
    }
  }

  /** Downloads (if needed) and extracts one package; fills version, source and URLs. */
  private fetchAndExtract(entry: Entry, state: PackageState, root: string): boolean {
    if (entry.type === 'deb') {
      let deb = this.debFile(entry.name);
      if (!deb && this.options.steps.has('fetch')) {
        run('apt-get', ['download', '-q', entry.name], this.dirs.deb);
        deb = this.debFile(entry.name);
      }
      if (!deb) {
        state.reason = 'apt-get download failed (virtual or removed package?)';
        return false;
      }
      const fields = parseControl(run('dpkg-deb', ['-f', deb]).stdout);
      state.version = fields.Version ?? null;
      state.source = (fields.Source ?? entry.name).split(' ')[0]!;
      state.urls = ['Homepage', 'Vcs-Git', 'Vcs-Browser'].map((key) => fields[key]).filter((url): url is string => Boolean(url));
      state.archives = [relative(this.options.out, deb)];
      state.sha256[state.archives[0]!] = sha256(deb);
      const extracted = run('dpkg-deb', ['-x', deb, root]);
      if (!extracted.ok) throw new Error(`dpkg-deb -x failed: ${extracted.stderr.slice(0, 200)}`);
      // The JDK's class library ships as src.zip.
      for (const zip of findFiles(root, (name) => name === 'src.zip')) {
        run('unzip', ['-q', '-o', zip, '-d', join(root, 'src-zip')]);
        rmSync(zip, { force: true });
      }
      return true;
    }
    if (entry.type === 'src') {
      const dir = join(this.dirs.src, safeName(entry.name));
      mkdirSync(dir, { recursive: true });
      let dsc = readdirSync(dir).find((file) => file.endsWith('.dsc'));
      if (!dsc && this.options.steps.has('fetch')) {
        const fetched = run('apt-get', ['source', '--download-only', '-q', entry.name], dir, 1_800_000);
        dsc = readdirSync(dir).find((file) => file.endsWith('.dsc'));
        if (!dsc && /deb-src|source URIs/i.test(fetched.stderr)) throw new Error('apt-get source needs deb-src in /etc/apt/sources.list.d/debian.sources: run bash training/corpus/enable-deb-src.sh');
      }
      if (!dsc) {
        state.reason = 'apt-get source --download-only failed';
        return false;
      }
      const fields = parseControl(readFileSync(join(dir, dsc), 'utf8').replace(/^-----BEGIN PGP SIGNED MESSAGE-----\n(Hash:.*\n)?\n?/, ''));
      state.version = fields.Version ?? null;
      state.source = fields.Source ?? entry.name;
      state.urls = ['Homepage', 'Vcs-Git', 'Vcs-Browser'].map((key) => fields[key]).filter((url): url is string => Boolean(url));
      const tarballs = readdirSync(dir).filter((file) => /\.tar\.(gz|xz|bz2|lzma|zst)$|\.tgz$/.test(file) && !/\.debian\.tar\./.test(file)).sort();
      for (const tarball of tarballs) {
        const path = join(dir, tarball);
        state.archives.push(relative(this.options.out, path));
        state.sha256[relative(this.options.out, path)] = sha256(path);
        const extracted = run('tar', ['-xf', path, '-C', root, '--no-same-owner', '--no-same-permissions']);
        if (!extracted.ok) throw new Error(`tar -xf ${tarball} failed: ${extracted.stderr.slice(0, 200)}`);
      }
      if (tarballs.length === 0) state.reason = 'source tarball not downloadable (404 from the mirror)';
      return tarballs.length > 0;
    }
    // npm
    const tgzName = `${entry.name.replace(/^@/, '').replace('/', '-')}-${entry.version}.tgz`;
    let tgz = join(this.dirs.npm, tgzName);
    if (!existsSync(tgz) && this.options.steps.has('fetch')) {
      const packed = run('npm', ['pack', `${entry.name}@${entry.version}`, '--pack-destination', this.dirs.npm, '--silent'], this.dirs.npm);
      const printed = packed.stdout.trim().split('\n').pop();
      if (printed && existsSync(join(this.dirs.npm, printed))) tgz = join(this.dirs.npm, printed);
    }
    if (!existsSync(tgz)) {
      state.reason = 'npm pack failed';
      return false;
    }
    state.archives = [relative(this.options.out, tgz)];
    state.sha256[state.archives[0]!] = sha256(tgz);
    const extracted = run('tar', ['-xzf', tgz, '-C', root, '--no-same-owner']);
    if (!extracted.ok) throw new Error(`tar -xzf failed: ${extracted.stderr.slice(0, 200)}`);
    const manifestPath = findFiles(root, (name) => name === 'package.json', 2)[0];
    if (manifestPath) {
      const json = JSON.parse(readFileSync(manifestPath, 'utf8')) as { repository?: string | { url?: string }; homepage?: string; bugs?: string | { url?: string }; version?: string };
      const urls = [typeof json.repository === 'string' ? json.repository : json.repository?.url, json.homepage, typeof json.bugs === 'string' ? json.bugs : json.bugs?.url];
      state.urls = urls.filter((url): url is string => typeof url === 'string' && url.length > 0);
      state.version = json.version ?? entry.version;
    }
    return true;
  }

  private async minePackage(entry: Entry, state: PackageState, root: string): Promise<void> {
    const candidates: { path: string; rel: string }[] = [];
    for (const path of findFiles(root, () => true)) {
      const rel = relative(root, path);
      const spec = languageForPath(rel);
      if (!spec || !MINED_LANGUAGES.has(spec.id)) continue;
      candidates.push({ path, rel });
    }
    // A fixed sample where a package is huge: the same files on every run.
    // npm tarballs that ship their TypeScript sources also ship compiled copies of them: keep the sources.
    if (entry.type === 'npm' && candidates.some(({ rel }) => /^[^/]+\/src\/.*\.tsx?$/.test(rel))) {
      const before = candidates.length;
      candidates.splice(0, candidates.length, ...candidates.filter(({ rel }) => !BUILD_OUTPUT.test(rel)));
      if (candidates.length < before) state.filesSkipped.buildOutput = before - candidates.length;
    }
    const maxFiles = entry.maxFiles ?? this.options.maxFiles;
    const sampled = candidates.length > maxFiles ? candidates.map((file) => ({ file, key: createHash('sha1').update(file.rel).digest('hex') })).sort((a, b) => (a.key < b.key ? -1 : 1)).slice(0, maxFiles).map(({ file }) => file) : candidates;
    if (sampled.length < candidates.length) state.filesSkipped.sampledOut = candidates.length - sampled.length;
    const skip = (reason: string) => {
      state.filesSkipped[reason] = (state.filesSkipped[reason] ?? 0) + 1;
    };
    const lines: string[] = [];
    for (const { path, rel } of sampled.sort((a, b) => (a.rel < b.rel ? -1 : 1))) {
      const hit = this.matcher.matchPath(rel);
      if (hit) {
        skip('excluded-vendored');
        if (state.excludedPaths.length < 20) state.excludedPaths.push(`${rel} (${hit.project})`);
        continue;
      }
      const pathReason = skipPath(rel);
      if (pathReason) {
        skip(pathReason);
        continue;
      }
      const size = statSync(path).size;
      if (size > this.options.maxFileBytes || size === 0) {
        skip(size === 0 ? 'empty' : 'too-large');
        continue;
      }
      const decoded = decodeSourceText(readFileSync(path));
      if (!decoded.ok) {
        skip(decoded.reason);
        continue;
      }
      const contentReason = skipContent(decoded.text);
      if (contentReason) {
        skip(contentReason);
        continue;
      }
      const spec = languageForPath(rel)!;
      const chunked = await this.parser.chunk(decoded.text, spec, { maxChars: this.options.maxChars, windowLines: 40, windowOverlap: 5 });
      if (chunked.method !== 'syntax') {
        skip('no-syntax-parse');
        continue;
      }
      state.files++;
      const pairs: Pair[] = minePairs({ text: decoded.text, lines: decoded.text.split('\n'), chunks: chunked.chunks, language: spec.id, packageName: `${entry.type}:${entry.name}`, path: packagePath(entry, rel), maxChars: this.options.maxChars, cosqa: this.cosqa }, state.stats);
      for (const pair of pairs) lines.push(JSON.stringify(pair));
    }
    state.pairs = lines.length;
    const target = this.minedPath(entry);
    writeFileSync(`${target}.tmp`, lines.length > 0 ? lines.join('\n') + '\n' : '');
    renameSync(`${target}.tmp`, target);
  }
}

/** Compiled output directories of an npm tarball (relative to its top directory). */
const BUILD_OUTPUT = /^[^/]+\/(dist|lib|build|esm|cjs|_esm|_cjs|_types|es|umd|bundles|fesm\d*|out)\//;

const INSTALL_PREFIXES = [/^usr\/lib\/python3\/dist-packages\//, /^usr\/lib\/python3\.\d+\//, /^usr\/share\/gocode\/src\//, /^usr\/lib\/go-[\d.]+\/src\//, /^usr\/share\/go-[\d.]+\/src\//, /^usr\/share\/cargo\/registry\//, /^usr\/share\/nodejs\//, /^usr\/lib\/nodejs\//, /^usr\/share\/javascript\//, /^usr\/lib\/ruby\/vendor_ruby\//, /^usr\/share\/rubygems-integration\/all\/gems\//, /^usr\/lib\/ruby\/[\d.]+\//, /^usr\/share\/php\//, /^usr\/include\//, /^src-zip\//];

/** The path recorded in pairs: inside the package, without install prefixes or the source tree's top directory. */
export function packagePath(entry: Pick<Entry, 'type'>, rel: string): string {
  if (entry.type === 'deb') {
    for (const prefix of INSTALL_PREFIXES) if (prefix.test(rel)) return rel.replace(prefix, '');
    return rel;
  }
  return rel.split('/').slice(1).join('/') || rel;
}

function parseControl(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = line.match(/^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/);
    if (match && !(match[1]! in fields)) fields[match[1]!] = match[2]!.trim();
  }
  return fields;
}

function findFiles(root: string, accept: (name: string) => boolean, maxDepth = 64): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const item of entries) {
      const path = join(dir, item.name);
      if (item.isDirectory()) {
        if (depth < maxDepth) walk(path, depth + 1);
      } else if (item.isFile() && accept(item.name)) found.push(path);
    }
  };
  walk(root, 0);
  return found;
}

function debianRelease(): string {
  try {
    return readFileSync('/etc/debian_version', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 1) + '\n');
  renameSync(`${path}.tmp`, path);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const matcher = loadMatcher(options.excludeLists);
  const cosqa = loadCosqa(options.cosqa);
  mkdirSync(options.out, { recursive: true });
  log(`corpus directory ${options.out}; ${matcher.size} excluded projects from ${options.excludeLists.join(', ')}; ${cosqa.size} CoSQA code hashes`);
  await new Builder(options, matcher, cosqa).build();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack ?? error.message : error);
    process.exit(1);
  });
}
