import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FolderActivity, FolderSnapshot } from '../../extension/core/folderIndex.js';
import { presentStatus, summarize } from '../../extension/core/statusModel.js';
import { folderSnapshot } from './snapshots.js';

function snapshot(name: string, activity: FolderActivity, extra: Partial<FolderSnapshot> = {}): FolderSnapshot {
  return folderSnapshot(name, activity, { modelId: 'codegraph-code-v1@38d6c219529b', similarityThreshold: 0.8, ...extra });
}

describe('status bar: the model recovery chain', () => {
  const fallback = { requested: '/models/mine', active: '/ext/models/codegraph-code-v1', reason: 'Cannot load ONNX model /models/mine/model.onnx: Protobuf parsing failed.' };

  it('says when the bundled default model serves instead of the configured one, and why', () => {
    const status = summarize([snapshot('a', { kind: 'idle' }, { modelFallback: fallback })], true);
    assert.deepEqual(status, { kind: 'idle', chunks: 100, files: 10, model: 'codegraph-code-v1', fallback: { requested: '/models/mine', reason: fallback.reason } });
    const shown = presentStatus(status);
    assert.equal(shown.text, '$(warning) CodeGraph: 100 chunks · codegraph-code-v1 (default)');
    assert.equal(shown.background, 'warning');
    assert.match(shown.tooltip, /\*\*Using the default model codegraph-code-v1:\*\* the configured model `\/models\/mine` is not working\. Cannot load ONNX model/);
    assert.match(shown.tooltip, /command:codegraph\.selectModel/);
  });

  it('shows lexical-only when the chain ran out of models', () => {
    const status = summarize(
      [snapshot('a', { kind: 'idle' }, { modelId: null, serviceLevel: 'lexical-only', modelError: 'inference kept failing: Gather', modelFallback: { ...fallback, active: null } })],
      true,
    );
    assert.deepEqual(status, { kind: 'lexicalOnly', reason: 'inference kept failing: Gather', chunks: 100 });
    assert.equal(presentStatus(status).text, '$(warning) CodeGraph: lexical-only');
  });

  it('stays plain when the configured model serves', () => {
    const status = summarize([snapshot('a', { kind: 'idle' }, { modelFallback: null })], true);
    assert.deepEqual(status, { kind: 'idle', chunks: 100, files: 10, model: 'codegraph-code-v1' });
    assert.equal(presentStatus(status).background, null);
  });

  it('lets indexing progress win over the fallback note while it runs', () => {
    const status = summarize([snapshot('a', { kind: 'indexing', phase: 'indexing', filesDone: 1, filesTotal: 4, reason: 'full' }, { modelFallback: fallback })], true);
    assert.equal(status.kind, 'indexing');
  });
});
