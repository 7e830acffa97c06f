/**
 * Starting and stopping a real VS Code (code-server from npm, on Node 24) for
 * the end-to-end tests, and installing a .vsix into its extensions folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Where scripts/e2e/setup.sh installed Node 24 and code-server. */
export interface CodeServerTools {
  readonly node: string;
  readonly entry: string;
}

export class E2eSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'E2eSetupError';
  }
}

export function locateTools(toolsDir: string): CodeServerTools {
  const marker = join(toolsDir, '.complete');
  if (!existsSync(marker)) throw new E2eSetupError(`code-server is not installed in ${toolsDir}; run scripts/e2e/setup.sh`);
  const node = /^node=(.*)$/m.exec(readFileSync(marker, 'utf8'))?.[1];
  const entry = join(toolsDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!node || !existsSync(node) || !existsSync(entry)) throw new E2eSetupError(`incomplete code-server install in ${toolsDir}; delete it and run scripts/e2e/setup.sh`);
  return { node, entry };
}

/** Installs a .vsix with code-server's own CLI, as a user would. */
export function installExtension(tools: CodeServerTools, vsix: string, extensionsDir: string, userDataDir: string): string {
  const result = spawnSync(tools.node, [tools.entry, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix], { encoding: 'utf8', timeout: 180_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0 || !/successfully installed/i.test(output)) throw new E2eSetupError(`installing ${vsix} failed (exit ${result.status}):\n${output}`);
  return output;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningCodeServer {
  readonly url: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly extensionsDir: string;
  readonly userDataDir: string;
  readonly workspace: string;
  readonly logFile: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Starts code-server on a free loopback port and resolves once it answers HTTP. */
export async function startCodeServer(tools: CodeServerTools, options: StartOptions): Promise<RunningCodeServer> {
  const port = await freePort();
  const log = createWriteStream(options.logFile);
  const child: ChildProcess = spawn(
    tools.node,
    [
      tools.entry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--extensions-dir',
      options.extensionsDir,
      '--user-data-dir',
      options.userDataDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      options.workspace,
    ],
    // Its own process group, so stopping it also stops the extension host and language servers it forks.
    { env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new E2eSetupError(`code-server exited with ${child.exitCode}; see ${options.logFile}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new E2eSetupError(`code-server did not answer on ${url} within 60 s; see ${options.logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    logFile: options.logFile,
    stop: async () => {
      const signal = (name: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, name);
        } catch {
          // already gone
        }
      };
      signal('SIGTERM');
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000));
      if ((await Promise.race([exited, timeout])) === 'timeout') signal('SIGKILL');
      // Children outlive the main process's exit: give the group the same signal again.
      signal('SIGKILL');
      log.end();
    },
  };
}
