import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS, commandId, SEARCH_VIEW_ID, VIEW_CONTAINER_ID, type CommandName } from '../../extension/core/commandIds.js';
import { LANGUAGE_IDS, SECTION, SETTING_KEYS, SETTING_SPECS, type ExtensionSettings } from '../../extension/core/settings.js';
import { REPO_ROOT } from '../helpers.js';

interface Manifest {
  main: string;
  publisher: string;
  engines: { vscode: string };
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] } };
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; category: string }[];
    menus: { commandPalette: { command: string; when: string }[] };
    configuration: { properties: Record<string, Record<string, unknown>> };
    viewsContainers: { activitybar: { id: string; icon: string }[] };
    views: Record<string, { id: string; type: string }[]>;
  };
}

const rawManifest = readFileSync(join(REPO_ROOT, 'package.json'), 'utf8');
/** Contributed strings live in package.nls.json (`%key%` in package.json), so they can be translated. */
const nls = JSON.parse(readFileSync(join(REPO_ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
/** The manifest as VS Code reads it in English: every `%key%` replaced from package.nls.json. */
const manifest = JSON.parse(rawManifest, (_key, value: unknown) => (typeof value === 'string' && /^%[^%]+%$/.test(value) ? (nls[value.slice(1, -1)] ?? value) : value)) as Manifest;

describe('package.json extension manifest', () => {
  it('declares exactly the settings the Config reads, with the same schema', () => {
    const declared = manifest.contributes.configuration.properties;
    const expectedKeys = Object.values(SETTING_KEYS).map((key) => `${SECTION}.${key}`).sort();
    assert.deepEqual(Object.keys(declared).sort(), expectedKeys);
    for (const field of Object.keys(SETTING_SPECS) as (keyof ExtensionSettings)[]) {
      const spec = SETTING_SPECS[field];
      const schema = declared[`${SECTION}.${SETTING_KEYS[field]}`]!;
      assert.deepEqual(schema['default'], spec.default, `${field} default`);
      assert.ok(typeof schema['description'] === 'string' || typeof schema['markdownDescription'] === 'string', `${field} is documented`);
      switch (spec.kind) {
        case 'string':
          assert.equal(schema['type'], 'string');
          break;
        case 'enum':
          assert.equal(schema['type'], 'string');
          assert.deepEqual(schema['enum'], [...spec.values], `${field} enum`);
          assert.equal((schema['enumDescriptions'] as unknown[]).length, spec.values.length, `${field} enum descriptions`);
          break;
        case 'integer':
          assert.equal(schema['type'], 'integer');
          assert.equal(schema['minimum'], spec.minimum, `${field} minimum`);
          assert.equal(schema['maximum'], spec.maximum, `${field} maximum`);
          break;
        case 'boolean':
          assert.equal(schema['type'], 'boolean');
          break;
        case 'stringArray':
          assert.equal(schema['type'], 'array');
          assert.equal((schema['items'] as { type: string }).type, 'string');
          if (spec.itemValues) assert.deepEqual((schema['items'] as { enum: string[] }).enum, [...spec.itemValues], `${field} item enum`);
          break;
      }
    }
  });

  it('offers every engine language in the languages setting', () => {
    const items = manifest.contributes.configuration.properties['codegraph.languages']!['items'] as { enum: string[] };
    assert.deepEqual(items.enum, [...LANGUAGE_IDS]);
  });

  it('contributes every command of the table under the CodeGraph category, and hides internal ones', () => {
    const contributed = new Map(manifest.contributes.commands.map((command) => [command.command, command]));
    assert.equal(contributed.size, Object.keys(COMMANDS).length);
    for (const [name, spec] of Object.entries(COMMANDS) as [CommandName, (typeof COMMANDS)[CommandName]][]) {
      const command = contributed.get(commandId(name));
      assert.ok(command, `${commandId(name)} is contributed`);
      assert.equal(command.title, spec.title);
      assert.equal(command.category, 'CodeGraph');
      const hidden = manifest.contributes.menus.commandPalette.some((entry) => entry.command === commandId(name) && entry.when === 'false');
      assert.equal(hidden, !spec.palette, `${name} palette visibility`);
    }
  });

  it('takes every contributed string from package.nls.json, and package.nls.json holds nothing unused', () => {
    const keys = [...rawManifest.matchAll(/"%([^%"]+)%"/g)].map((match) => match[1]!);
    assert.ok(keys.length >= 35, 'command titles, view names and setting descriptions are localisable');
    for (const key of keys) assert.equal(typeof nls[key], 'string', `package.nls.json lacks ${key}`);
    assert.deepEqual(Object.keys(nls).filter((key) => !keys.includes(key)), []);
    for (const command of (JSON.parse(rawManifest) as Manifest).contributes.commands) assert.match(command.title, /^%.+%$/, `${command.command} title is localisable`);
  });

  it('requires the commands the issue lists', () => {
    const titles = manifest.contributes.commands.map((command) => command.title);
    for (const title of ['Search Code Semantically', 'Find Similar Code', 'Reindex Workspace', 'Pause Indexing', 'Resume Indexing', 'Show Index Status', 'Clear Index', 'Select Embedding Model']) {
      assert.ok(titles.includes(title), title);
    }
  });

  it('activates after startup, never on *', () => {
    assert.ok(manifest.activationEvents.includes('onStartupFinished'));
    assert.ok(!manifest.activationEvents.includes('*'));
  });

  it('supports untrusted workspaces in a limited way and restricts the model path', () => {
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ['codegraph.model', 'codegraph.modelDirectories']);
    // Machine scope: VS Code ignores the setting in workspace and folder settings, so a repository cannot add model folders.
    assert.equal(manifest.contributes.configuration.properties['codegraph.modelDirectories']!['scope'], 'machine');
  });

  it('has its search view in its own activity-bar container with an icon that exists', () => {
    const container = manifest.contributes.viewsContainers.activitybar.find((entry) => entry.id === VIEW_CONTAINER_ID);
    assert.ok(container && existsSync(join(REPO_ROOT, container.icon)), 'container icon exists');
    assert.deepEqual(manifest.contributes.views[VIEW_CONTAINER_ID]?.map((view) => [view.id, view.type]), [[SEARCH_VIEW_ID, 'webview']]);
  });

  it('targets a VS Code no newer than its API typings (vsce requires it) and bundles to dist/', () => {
    const engine = /^\^(\d+)\.(\d+)\./.exec(manifest.engines.vscode);
    const types = /(\d+)\.(\d+)\./.exec(manifest.devDependencies['@types/vscode']!);
    assert.ok(engine && types);
    assert.ok(Number(types[1]) < Number(engine[1]) || (Number(types[1]) === Number(engine[1]) && Number(types[2]) <= Number(engine[2])));
    assert.equal(manifest.main, './dist/extension.js');
  });

  it('packages by whitelist: sources and tests cannot enter the .vsix', () => {
    const lines = readFileSync(join(REPO_ROOT, '.vscodeignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    assert.equal(lines[0], '**', 'everything is excluded first');
    const allowed = lines.filter((line) => line.startsWith('!')).map((line) => line.slice(1));
    for (const pattern of allowed) {
      assert.ok(!/^(engine|cli|test|scripts|webview|training|bench|out)\b/.test(pattern), `${pattern} must not re-include sources`);
      // The one declaration file is the public API's, for other extensions to type against.
      assert.ok((!pattern.endsWith('.ts') || pattern === 'dist/api.d.ts') && !pattern.endsWith('.map'), `${pattern} must not re-include TypeScript or maps`);
    }
  });
});
