/**
 * The exclusion check over a finished corpus: every mined package's metadata,
 * every pair's package and path, and every Python pair's code against CoSQA.
 * Exits non-zero, naming the offending package/path, if anything slipped through.
 *
 *   node out/training/corpus/check.js [--out DIR] [--exclude-list PATH] [--cosqa PATH|none]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExclusionMatcher } from './exclusions.js';
import { cosqaKey, type Pair } from './mine.js';

export interface CheckReport {
  packagesChecked: number;
  pairsChecked: number;
  offences: string[];
  /** What the build kept out, for the record: package → reason. */
  excludedPackages: string[];
  excludedVendoredFiles: number;
  droppedCosqa: number;
}

interface ManifestPackage {
  list: string;
  type: string;
  name: string;
  source: string | null;
  urls: string[];
  status: string;
  reason?: string;
  filesSkipped?: Record<string, number>;
  stats?: { droppedCosqa?: number };
}

export async function runCheck(outDir: string, matcher: ExclusionMatcher, cosqa: ReadonlySet<string>): Promise<CheckReport> {
  const report: CheckReport = { packagesChecked: 0, pairsChecked: 0, offences: [], excludedPackages: [], excludedVendoredFiles: 0, droppedCosqa: 0 };
  const manifestPath = join(outDir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    report.offences.push(`no manifest at ${manifestPath}: run the merge step first`);
    return report;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { packages: ManifestPackage[]; excludedByName: { list: string; name: string; project: string }[] };
  const mined = new Set<string>();
  for (const entry of manifest.excludedByName) report.excludedPackages.push(`${entry.list}/${entry.name}: ${entry.project} (by name, not downloaded)`);
  for (const pkg of manifest.packages) {
    report.excludedVendoredFiles += pkg.filesSkipped?.['excluded-vendored'] ?? 0;
    report.droppedCosqa += pkg.stats?.droppedCosqa ?? 0;
    if (pkg.status === 'excluded') report.excludedPackages.push(`${pkg.list}/${pkg.name}: ${pkg.reason}`);
    if (pkg.status !== 'mined') continue;
    report.packagesChecked++;
    mined.add(`${pkg.type}:${pkg.name}`);
    const hit = matcher.matchPackage({ name: pkg.name, source: pkg.source ?? undefined, urls: pkg.urls });
    if (hit) report.offences.push(`package ${pkg.list}/${pkg.name} is excluded project ${hit.project}: ${hit.reason}`);
  }
  const pairsDir = join(outDir, 'pairs');
  const shards = existsSync(pairsDir) ? readdirSync(pairsDir).filter((name) => name.endsWith('.jsonl')).sort() : [];
  if (shards.length === 0) report.offences.push(`no pair shards in ${pairsDir}`);
  const reported = new Set<string>();
  const offend = (key: string, message: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    report.offences.push(message);
  };
  for (const shard of shards) {
    for (const line of readFileSync(join(pairsDir, shard), 'utf8').split('\n')) {
      if (!line) continue;
      const pair = JSON.parse(line) as Pair;
      report.pairsChecked++;
      const name = pair.package.replace(/^(deb|src|npm):/, '');
      if (!mined.has(pair.package)) offend(`unknown:${pair.package}`, `pair from ${pair.package} (${shard}) which the manifest does not list as mined`);
      const byName = matcher.matchName(name);
      if (byName) offend(`name:${pair.package}`, `package ${pair.package} (${shard}) is excluded project ${byName.project}: ${byName.reason}`);
      const byPath = matcher.matchPath(pair.path);
      if (byPath) offend(`path:${pair.package}:${pair.path}`, `${pair.package}: ${pair.path} (${shard}) is a vendored copy of ${byPath.project}: ${byPath.reason}`);
      if (pair.language === 'python' && cosqa.size > 0 && cosqa.has(cosqaKey(pair.code))) offend(`cosqa:${pair.package}:${pair.path}:${pair.query}`, `${pair.package}: ${pair.path} (${shard}) holds a CoSQA dev function (query: ${pair.query.slice(0, 60)})`);
    }
  }
  return report;
}

async function main(): Promise<void> {
  const { parseOptions, loadMatcher, loadCosqa } = await import('./build.js');
  const options = parseOptions(process.argv.slice(2));
  const report = await runCheck(options.out, loadMatcher(options.excludeLists), loadCosqa(options.cosqa));
  console.log(`checked ${report.packagesChecked} packages and ${report.pairsChecked} pairs in ${options.out}`);
  console.log(`kept out: ${report.excludedPackages.length} packages, ${report.excludedVendoredFiles} vendored files, ${report.droppedCosqa} CoSQA functions`);
  for (const offence of report.offences) console.error(`EXCLUSION CHECK FAILED: ${offence}`);
  if (report.offences.length > 0) process.exit(2);
  console.log('exclusion check passed');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack ?? error.message : error);
    process.exit(1);
  });
}
