import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  autoWorkers,
  engineSettingsChanged,
  isInsideModelRoots,
  modelRootsOf,
  parseModelSetting,
  parseSettings,
  resolveModel,
  SETTING_KEYS,
  SETTING_SPECS,
  toEngineInput,
  type ExtensionSettings,
} from '../../extension/core/settings.js';

const read = (values: Record<string, unknown>) => (key: string) => values[key];
const defaults = (): ExtensionSettings => parseSettings(read({})).settings;

describe('extension settings', () => {
  it('uses the declared defaults when nothing is set, with no problems', () => {
    const { settings, problems } = parseSettings(read({}));
    assert.deepEqual(problems, []);
    for (const field of Object.keys(SETTING_SPECS) as (keyof ExtensionSettings)[]) assert.deepEqual(settings[field], SETTING_SPECS[field].default, field);
  });

  it('keeps valid values', () => {
    const { settings, problems } = parseSettings(
      read({ model: ' none ', device: 'auto', workers: 3, languages: ['python', 'go'], excludeGlobs: ['generated/'], 'similar.codeLens': false, maxFileSizeKb: 2048 }),
    );
    assert.deepEqual(problems, []);
    assert.equal(settings.model, 'none');
    assert.equal(settings.device, 'auto');
    assert.equal(settings.workers, 3);
    assert.deepEqual(settings.languages, ['python', 'go']);
    assert.deepEqual(settings.excludeGlobs, ['generated/']);
    assert.equal(settings.codeLens, false);
    assert.equal(settings.maxFileSizeKb, 2048);
  });

  it('repairs invalid values and names the setting in each problem', () => {
    const { settings, problems } = parseSettings(
      read({ device: 'tpu', workers: 500, batchSize: 2.5, cacheSizeMb: 'big', languages: ['python', 'klingon', 7], 'similar.hover': 'yes', dimensions: -4 }),
    );
    assert.equal(settings.device, 'cpu');
    assert.equal(settings.workers, 64, 'clamped to the maximum');
    assert.equal(settings.batchSize, 256);
    assert.equal(settings.cacheSizeMb, 64);
    assert.deepEqual(settings.languages, ['python']);
    assert.equal(settings.hover, true);
    assert.equal(settings.dimensions, 0);
    const byKey = (key: string) => problems.filter((problem) => problem.key === key).map((problem) => problem.message);
    assert.match(byKey('codegraph.device')[0]!, /must be one of cpu, cuda, auto; got "tpu"/);
    assert.match(byKey('codegraph.workers')[0]!, /from 0 to 64; got 500\. Using 64/);
    assert.match(byKey('codegraph.batchSize')[0]!, /must be an integer/);
    assert.match(byKey('codegraph.cacheSizeMb')[0]!, /must be an integer/);
    assert.equal(byKey('codegraph.languages').length, 2);
    assert.match(byKey('codegraph.languages').join(' '), /unknown item 'klingon'/);
    assert.match(byKey('codegraph.similar.hover')[0]!, /true or false/);
    assert.match(byKey('codegraph.dimensions')[0]!, /Using 0/);
  });

  it('asks for an engine restart only for engine settings', () => {
    const base = defaults();
    assert.equal(engineSettingsChanged(base, { ...base }), false);
    assert.equal(engineSettingsChanged(base, { ...base, codeLens: false, hover: false }), false);
    assert.equal(engineSettingsChanged(base, { ...base, model: 'none' }), true);
    assert.equal(engineSettingsChanged(base, { ...base, languages: ['go'] }), true);
    assert.equal(engineSettingsChanged(base, { ...base, workers: 2 }), true);
    assert.equal(engineSettingsChanged(base, { ...base, modelDirectories: ['/models'] }), true);
  });

  it('maps settings to the engine configuration', () => {
    const settings = { ...defaults(), device: 'cuda' as const, dimensions: 128, workers: 2, batchSize: 64, cacheSizeMb: 32, languages: ['rust'], excludeGlobs: ['vendor/'], maxFileSizeKb: 10 };
    const input = toEngineInput(settings, '/work/repo', '/models/m', ['/ext/models', '/models']);
    assert.deepEqual(input, {
      root: '/work/repo',
      modelDir: '/models/m',
      modelRoots: ['/ext/models', '/models'],
      device: 'cuda',
      dimensions: 128,
      embedBatchSize: 64,
      cacheBudgetMb: 32,
      workers: 2,
      discovery: { languages: ['rust'], excludeGlobs: ['vendor/'], maxFileBytes: 10240 },
    });
    assert.equal(toEngineInput(defaults(), '/r', null, []).workers, autoWorkers());
  });

  it('chooses cores − 1 workers, between 1 and 4', () => {
    assert.equal(autoWorkers(1), 1);
    assert.equal(autoWorkers(2), 1);
    assert.equal(autoWorkers(4), 3);
    assert.equal(autoWorkers(32), 4);
  });

  it('has one setting key per field', () => {
    assert.equal(new Set(Object.values(SETTING_KEYS)).size, Object.keys(SETTING_SPECS).length);
  });
});

describe('model setting', () => {
  const models = '/ext/models';
  const user = '/home/me/.local/share/codegraph/models';
  const existing = new Set([join(models, 'codegraph-rp-v0'), join(models, 'small'), join(models, 'small-int8'), join(user, 'org--pulled'), '/work/repo/local-model', '/opt/m', '/opt/m-int8']);
  const env = {
    bundledModelsDir: models,
    userModelsDir: user,
    defaultModelDir: join(models, 'codegraph-rp-v0'),
    modelRoots: [models, user, '/opt/m', '/home/me/m', '/work/repo/models'],
    folderRoot: '/work/repo',
    isModelDir: (dir: string) => existing.has(dir),
    homeDir: '/home/me',
  };

  it('classifies the setting', () => {
    assert.deepEqual(parseModelSetting(''), { kind: 'default' });
    assert.deepEqual(parseModelSetting('default'), { kind: 'default' });
    assert.deepEqual(parseModelSetting('none'), { kind: 'none' });
    assert.deepEqual(parseModelSetting('small'), { kind: 'bundled', id: 'small' });
    assert.deepEqual(parseModelSetting('/opt/model'), { kind: 'path', path: '/opt/model' });
    assert.deepEqual(parseModelSetting('../model'), { kind: 'path', path: '../model' });
  });

  it('resolves the default, none, bundled and pulled ids and paths inside the model folders', () => {
    assert.deepEqual(resolveModel('', 'auto', env), { modelDir: join(models, 'codegraph-rp-v0'), notes: [], refused: null });
    assert.deepEqual(resolveModel('none', 'int8', env), { modelDir: null, notes: [], refused: null });
    assert.deepEqual(resolveModel('small', 'auto', env), { modelDir: join(models, 'small'), notes: [], refused: null });
    assert.deepEqual(resolveModel('org--pulled', 'auto', env), { modelDir: join(user, 'org--pulled'), notes: [], refused: null });
    assert.deepEqual(resolveModel('/opt/m', 'auto', env).modelDir, '/opt/m');
    assert.deepEqual(resolveModel('~/m', 'auto', env).modelDir, '/home/me/m');
    assert.deepEqual(resolveModel('models/x', 'auto', env).modelDir, '/work/repo/models/x');
  });

  it('explains an unknown id', () => {
    const resolved = resolveModel('missing', 'auto', env);
    assert.equal(resolved.modelDir, join(models, 'missing'));
    assert.match(resolved.notes[0]!, /No model named 'missing'/);
  });

  it('selects a precision build when there is one, and says when there is not', () => {
    assert.deepEqual(resolveModel('small', 'int8', env), { modelDir: join(models, 'small-int8'), notes: [], refused: null });
    const fallback = resolveModel('small', 'fp16', env);
    assert.equal(fallback.modelDir, join(models, 'small'));
    assert.match(fallback.notes[0]!, /No fp16 build of the model/);
  });

  it('refuses a folder outside the model folders, names the setting to change, and uses the default model', () => {
    for (const setting of ['/tmp/evil', 'local-model', './local-model', '~/elsewhere', '/opt/m/../other', '/ext/models-evil']) {
      const resolved = resolveModel(setting, 'auto', env);
      assert.equal(resolved.modelDir, join(models, 'codegraph-rp-v0'), setting);
      assert.ok(resolved.refused, setting);
      assert.equal(resolved.notes.length, 1, setting);
      assert.equal(resolved.notes[0], resolved.refused.message);
      assert.match(resolved.refused.message, /"codegraph\.modelDirectories" in your User settings/);
      assert.match(resolved.refused.message, /using the default model/);
    }
    assert.equal(resolveModel('local-model', 'auto', env).refused?.dir, '/work/repo/local-model');
  });

  it('refuses a precision build outside the model folders even when its base is inside', () => {
    // /opt/m is a model folder of its own; its sibling /opt/m-int8 is not in any model folder.
    const resolved = resolveModel('/opt/m', 'int8', env);
    assert.equal(resolved.modelDir, '/opt/m');
    assert.match(resolved.notes[0]!, /No int8 build/);
  });

  it('compares real paths, so a link inside a model folder cannot lead outside', () => {
    const links: Record<string, string> = { '/opt/m/link': '/tmp/evil', '/work/repo/allowed': '/opt/m' };
    const realPath = (path: string) => links[path] ?? path;
    const withLinks = { ...env, realPath };
    assert.ok(resolveModel('/opt/m/link', 'auto', withLinks).refused);
    assert.equal(resolveModel('/work/repo/allowed', 'auto', withLinks).refused, null);
    assert.equal(resolveModel('/work/repo/allowed', 'auto', withLinks).modelDir, '/work/repo/allowed');
  });

  it('builds the model folders from the bundled, user and configured folders', () => {
    assert.deepEqual(modelRootsOf({ modelDirectories: ['/data/models', '~/m', '/data/models/'] }, models, user, '/home/me'), [models, user, '/data/models', '/home/me/m']);
    assert.equal(isInsideModelRoots('/data/models/a/b', ['/data/models']), true);
    assert.equal(isInsideModelRoots('/data/models', ['/data/models']), true);
    assert.equal(isInsideModelRoots('/data/models2', ['/data/models']), false);
    assert.equal(isInsideModelRoots('/data', ['/data/models']), false);
    assert.equal(isInsideModelRoots('/data/models/..', ['/data/models']), false);
  });

  it('keeps only absolute (or ~/) model folders and says which it dropped', () => {
    const { settings, problems } = parseSettings(read({ modelDirectories: ['/data/models', '~/m', 'relative/models', '../up'] }));
    assert.deepEqual(settings.modelDirectories, ['/data/models', '~/m']);
    assert.deepEqual(
      problems.map((problem) => problem.key),
      ['codegraph.modelDirectories', 'codegraph.modelDirectories'],
    );
    assert.match(problems[0]!.message, /'relative\/models': it must be an absolute path/);
  });
});
