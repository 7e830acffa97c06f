/**
 * One end-to-end session: a fresh temporary workspace (a copy of the fixture),
 * user settings, the .vsix installed into an empty extensions folder,
 * code-server started on it, and Chromium showing the workbench. Closing keeps
 * VS Code's logs (including the CodeGraph log channel) as artefacts.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_WORKSPACE, FIXTURES, REPO_ROOT } from '../../helpers.js';
import { installExtension, locateTools, startCodeServer, type RunningCodeServer } from './codeServer.js';
import { Workbench } from './workbench.js';

export const ARTIFACTS_ROOT = join(REPO_ROOT, 'test-artifacts', 'e2e');

const TOOLS_DIR =
  process.env['CODEGRAPH_E2E_TOOLS'] ?? join(process.env['CODEGRAPH_E2E_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'codegraph-e2e'), 'code-server-4.139.1');

/** Settings every session starts from: quiet, deterministic, one indexing worker (CI has two cores). */
export const BASE_SETTINGS: Readonly<Record<string, unknown>> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'editor.codeLens': true,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  'codegraph.workers': 1,
  // The test models live in the repository: a folder the user allows models from (user settings only).
  'codegraph.modelDirectories': [join(FIXTURES, 'models')],
};

/** The newest packaged extension in the repository root, unless CODEGRAPH_VSIX names one. */
export function findVsix(): string {
  const named = process.env['CODEGRAPH_VSIX'];
  if (named) return named;
  const candidates = readdirSync(REPO_ROOT)
    .filter((name) => /^codegraph-.*\.vsix$/.test(name))
    .map((name) => join(REPO_ROOT, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!candidates[0]) throw new Error('No codegraph-*.vsix in the repository root: run `npm run package` first');
  return candidates[0];
}

export interface Session {
  readonly workspace: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly artifacts: string;
  readonly workbench: Workbench;
  writeSettings(settings: Record<string, unknown>): void;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Further .vsix files to install beside CodeGraph's (test-only extensions). */
  readonly extraExtensions?: readonly string[];
}

export async function openSession(name: string, settings: Record<string, unknown>, options: SessionOptions = {}): Promise<Session> {
  const artifacts = join(ARTIFACTS_ROOT, name);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const temp = mkdtempSync(join(tmpdir(), `codegraph-e2e-${name}-`));
  const workspace = join(temp, 'workspace');
  const userDataDir = join(temp, 'user-data');
  const extensionsDir = join(temp, 'extensions');
  const writeSettings = (values: Record<string, unknown>) => {
    writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(values, null, 2));
    // code-server's window is a remote one: VS Code takes machine-scoped settings only from the
    // remote user settings (Machine/settings.json) and ignores them in User/settings.json.
    const codegraph = Object.fromEntries(Object.entries(values).filter(([key]) => key.startsWith('codegraph.')));
    writeFileSync(join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(codegraph, null, 2));
  };
  cpSync(FIXTURE_WORKSPACE, workspace, { recursive: true });
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeSettings(settings);
  const tools = locateTools(TOOLS_DIR);
  installExtension(tools, findVsix(), extensionsDir, userDataDir);
  for (const vsix of options.extraExtensions ?? []) installExtension(tools, vsix, extensionsDir, userDataDir);
  let server: RunningCodeServer | undefined;
  let workbench: Workbench | undefined;
  const close = async () => {
    await workbench?.close().catch(() => undefined);
    await server?.stop();
    if (existsSync(join(userDataDir, 'logs'))) cpSync(join(userDataDir, 'logs'), join(artifacts, 'vscode-logs'), { recursive: true });
    rmSync(temp, { recursive: true, force: true });
  };
  try {
    server = await startCodeServer(tools, {
      extensionsDir,
      userDataDir,
      workspace,
      logFile: join(artifacts, 'code-server.log'),
      // A private index cache, so sessions never share or leave indexes behind.
      env: { ...process.env, CODEGRAPH_CACHE_HOME: join(temp, 'index-cache') },
    });
    workbench = await Workbench.open(server.url, workspace, artifacts);
  } catch (error) {
    await close();
    throw error;
  }
  return { workspace, userDataDir, extensionsDir, artifacts, workbench, writeSettings, close };
}
