/** `codegraph model pull|list`: installing models from the Hugging Face Hub and listing what can be used. */
import { Command } from 'commander';
import type { SingleBar as SingleBarType } from 'cli-progress';
import { listModels, pullModel, userModelsDir, type PullProgress } from '../engine/models/index.js';
import { visible } from './sanitize.js';

interface PullCliOptions {
  revision?: string;
  onnxFile?: string;
  force?: boolean;
  json?: boolean;
}

const megabytes = (bytes: number) => (bytes / 1048576).toFixed(1);

/** A byte progress bar on stderr when it is a terminal; otherwise one line per file. */
function pullReporter(interactive: boolean, quiet: boolean): { update: (progress: PullProgress) => void; stop: () => void } {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  if (!interactive) {
    let lastFiles = -1;
    return {
      update: (progress) => {
        if (progress.phase === 'resolving') process.stderr.write(`codegraph: resolving ${progress.repo}@${progress.revision}\n`);
        if (progress.phase === 'downloading' && progress.filesDone !== lastFiles && progress.filesDone > 0) {
          lastFiles = progress.filesDone;
          process.stderr.write(`codegraph: ${progress.filesDone}/${progress.filesTotal} files verified (${megabytes(progress.bytesDone)}/${megabytes(progress.bytesTotal)} MB)\n`);
        }
      },
      stop: () => undefined,
    };
  }
  const { SingleBar } = require('cli-progress') as { SingleBar: typeof SingleBarType };
  const bar = new SingleBar({ format: 'Pulling [{bar}] {percentage}% | {done}/{all} MB | {file}', hideCursor: true, stream: process.stderr, etaBuffer: 50 });
  let started = false;
  return {
    update: (progress) => {
      if (progress.phase !== 'downloading') return;
      const payload = { done: megabytes(progress.bytesDone), all: megabytes(progress.bytesTotal), file: progress.file };
      if (!started) {
        bar.start(Math.max(progress.bytesTotal, 1), progress.bytesDone, payload);
        started = true;
      }
      bar.update(progress.bytesDone, payload);
    },
    stop: () => started && bar.stop(),
  };
}

export function addModelCommands(program: Command): void {
  const model = program.command('model').description('install and list embedding models');

  model
    .command('pull')
    .argument('<repo>', 'Hugging Face model id, e.g. owner/name')
    .description('download a model (ONNX export + tokenizer) from the Hugging Face Hub into the user model folder (HF_ENDPOINT, HF_TOKEN are honoured)')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--onnx-file <path>', 'the ONNX file to take (default: onnx/model.onnx or model.onnx)')
    .option('--force', 'replace an installed copy of another revision')
    .option('--json', 'machine-readable output on stdout')
    .action(async (repo: string, options: PullCliOptions) => {
      const reporter = pullReporter(process.stderr.isTTY === true, options.json === true);
      const controller = new AbortController();
      const cancel = () => controller.abort();
      process.once('SIGINT', cancel);
      try {
        const result = await pullModel({ repo, revision: options.revision, onnxFile: options.onnxFile, force: options.force, signal: controller.signal, onProgress: reporter.update }).finally(() => reporter.stop());
        const { record } = result;
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ id: result.id, dir: result.dir, downloaded: result.downloaded, ...record }, null, 2)}\n`);
          return;
        }
        const bytes = record.files.reduce((sum, file) => sum + file.size, 0);
        process.stdout.write(
          `${visible(`${result.downloaded ? 'Installed' : 'Already installed:'} ${record.repo}@${record.commit.slice(0, 12)} as '${result.id}' in ${result.dir} (${record.files.length} files, ${megabytes(bytes)} MB, ONNX ${record.onnx}).`)}\n` +
            `Use it with: codegraph index <dir> --model ${result.id}\n`,
        );
      } finally {
        process.removeListener('SIGINT', cancel);
      }
    });

  model
    .command('list')
    .description('list bundled and pulled models; the default is marked')
    .option('--json', 'machine-readable output on stdout')
    .action((options: { json?: boolean }) => {
      const models = listModels();
      if (options.json) {
        const rows = models.map(({ id, dir, source, isDefault, manifestId, pull }) => ({ id, dir, source, isDefault, manifestId, repo: pull?.repo ?? null, revision: pull?.revision ?? null, commit: pull?.commit ?? null }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const width = Math.max(2, ...models.map((entry) => entry.id.length));
      for (const entry of models) {
        const origin = entry.pull ? `${entry.pull.repo}@${entry.pull.commit.slice(0, 12)}` : entry.dir;
        process.stdout.write(`${visible(`${entry.isDefault ? '*' : ' '} ${entry.id.padEnd(width)}  ${entry.source.padEnd(7)}  ${origin}`)}\n`);
      }
      process.stdout.write(`(* default; user models live in ${userModelsDir()})\n`);
    });
}
