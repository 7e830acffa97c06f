import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineUnavailableError, InvalidMessageError, NoWorkspaceError, OutsideWorkspaceError, UntrustedWorkspaceError } from '../../extension/core/errors.js';
import { l10n, useTranslator } from '../../extension/core/l10n.js';

describe('user-facing messages', () => {
  it('do not repeat the name that the "CodeGraph: " prefix of every notification adds', () => {
    const errors = [new UntrustedWorkspaceError(), new NoWorkspaceError(), new OutsideWorkspaceError('x'), new InvalidMessageError('x'), new EngineUnavailableError('w', 'starting')];
    for (const error of errors) assert.doesNotMatch(`CodeGraph: ${error.message}`, /CodeGraph: CodeGraph/, error.message);
    assert.match(new UntrustedWorkspaceError().message, /^Untrusted workspaces are not indexed \(Restricted Mode\)\./);
  });

  it('fill placeholders in English until VS Code\'s translator is installed, then go through it', () => {
    assert.equal(l10n.t('Indexing {0}/{1} files…', 3, 7), 'Indexing 3/7 files…');
    assert.equal(l10n.t('{0} and {2}', 'a'), 'a and {2}');
    const seen: unknown[][] = [];
    useTranslator((message, ...args) => {
      seen.push([message, ...args]);
      return `«${message}»`;
    });
    try {
      assert.equal(l10n.t('Open a folder to search it.'), '«Open a folder to search it.»');
      assert.deepEqual(seen, [['Open a folder to search it.']]);
    } finally {
      useTranslator((message, ...args) => message.replace(/\{(\d+)\}/g, (whole, index: string) => (Number(index) < args.length ? String(args[Number(index)]) : whole)));
    }
  });
});
