import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EngineUnavailableError, InvalidMessageError, NoWorkspaceError, OutsideWorkspaceError, UntrustedWorkspaceError } from '../../extension/core/errors.js';
import * as l10n from '@vscode/l10n';
import { indexStateView } from '../../extension/core/searchResults.js';
import { REPO_ROOT } from '../helpers.js';

describe('user-facing messages', () => {
  it('do not repeat the name that the "CodeGraph: " prefix of every notification adds', () => {
    const errors = [new UntrustedWorkspaceError(), new NoWorkspaceError(), new OutsideWorkspaceError('x'), new InvalidMessageError('x'), new EngineUnavailableError('w', 'starting')];
    for (const error of errors) assert.doesNotMatch(`CodeGraph: ${error.message}`, /CodeGraph: CodeGraph/, error.message);
    assert.match(new UntrustedWorkspaceError().message, /^Untrusted workspaces are not indexed \(Restricted Mode\)\./);
  });

  it('are translatable: the pure modules\' text comes from the loaded bundle, English where it has no entry', () => {
    assert.equal(indexStateView({ kind: 'indexing', phase: 'indexing', filesDone: 3, filesTotal: 7, chunks: 1 }, 0).text, 'Indexing 3/7 files…');
    l10n.config({ contents: { 'Indexing {0}/{1} files…': 'Indiziere {0}/{1} Dateien…' } });
    try {
      assert.equal(indexStateView({ kind: 'indexing', phase: 'indexing', filesDone: 3, filesTotal: 7, chunks: 1 }, 0).text, 'Indiziere 3/7 Dateien…');
      assert.equal(indexStateView({ kind: 'noFolder' }, 0).text, 'Open a folder to search it.');
    } finally {
      l10n.config({ contents: {} });
    }
  });

  it('are all in the l10n bundle that translations start from (npm run l10n regenerates it)', () => {
    const bundle = JSON.parse(readFileSync(join(REPO_ROOT, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
    for (const message of ['Indexing {0}/{1} files…', 'Untrusted workspaces are not indexed (Restricted Mode). Trust this workspace to enable semantic search.', 'Show Log', 'Relevance {0}% of the best result', 'Extension host process: RSS {0} MB, heap {1} MB', '{0} similar']) {
      assert.equal(bundle[message], message, `bundle.l10n.json lacks ${JSON.stringify(message)}`);
    }
  });
});
