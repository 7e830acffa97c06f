import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidationPackage, nearDuplicateKey } from '../../training/corpus/merge.js';
import { cleanDoc, moduleDoc, nameQuery, pathQuery, skipPath, stripDocstring, stripLeadingComments } from '../../training/corpus/mine.js';

describe('corpus mining helpers', () => {
  it('keeps the first paragraph of a doc and strips markup', () => {
    assert.equal(cleanDoc('Parses the {@link Response} body.\n\n@param body the body\n@return the value'), 'Parses the Response body.');
    assert.equal(cleanDoc('Return the frobnicated value.\n:param x: the input\n:returns: int'), 'Return the frobnicated value.');
    assert.equal(cleanDoc('Gets the <see cref="T:System.String"/> name of the widget.'), 'Gets the System.String name of the widget.');
    assert.equal(cleanDoc('Loads files.\nArgs:\n    path: where'), null, 'under three words');
    assert.equal(cleanDoc('Copyright 2020 Someone. All rights reserved.'), null);
  });

  it('splits symbol names and paths into query words', () => {
    assert.equal(nameQuery('parseHttpResponse'), 'parse http response');
    assert.equal(nameQuery('Client::send_request'), 'send request');
    assert.equal(nameQuery('run'), null);
    assert.equal(pathQuery('src/http/client_pool.py'), 'http client pool');
  });

  it('strips doc comments and docstrings from code', () => {
    const go = '// Sum adds numbers.\n// It never fails.\nfunc Sum(a, b int) int {\n\treturn a + b\n}';
    assert.equal(stripLeadingComments(go, 'go').code, 'func Sum(a, b int) int {\n\treturn a + b\n}');
    const rust = '/// Doc.\n#[inline]\nfn f() {}';
    assert.equal(stripLeadingComments(rust, 'rust').code, '#[inline]\nfn f() {}');
    const python = 'def f(x):\n    """Doubles x.\n\n    More.\n    """\n    return 2 * x\n';
    assert.equal(stripDocstring(python), 'def f(x):\n    return 2 * x\n');
  });

  it('finds module docs past license headers', () => {
    const text = '# Copyright 2020 A. Licensed under MIT.\n\n"""Tools for widgets."""\nimport os\n';
    assert.equal(moduleDoc(text, 'python').doc, 'Tools for widgets.');
    const js = '/**\n * @fileoverview Widget helpers for the page.\n */\nexport const a = 1;\n';
    assert.match(moduleDoc(js, 'javascript').doc ?? '', /^Widget helpers for the page\./);
  });

  it('filters tests and generated files by path', () => {
    assert.equal(skipPath('pkg/foo_test.go'), 'test');
    assert.equal(skipPath('src/__tests__/a.ts'), 'test');
    assert.equal(skipPath('dist/app.min.js'), 'generated');
    assert.equal(skipPath('src/app.ts'), null);
  });

  it('treats renamed copies as near duplicates and splits by package deterministically', () => {
    assert.equal(nearDuplicateKey('doc', 'def add(a, b):\n    return a + b'), nearDuplicateKey('doc', 'def plus(x, y):  return x + y'));
    assert.notEqual(nearDuplicateKey('doc', 'def add(a, b):\n    return a + b'), nearDuplicateKey('doc', 'def add(a, b):\n    return a - b'));
    assert.equal(isValidationPackage('deb:python3-widget', 2.5), isValidationPackage('deb:python3-widget', 2.5));
    let valid = 0;
    for (let index = 0; index < 4000; index++) if (isValidationPackage(`pkg-${index}`, 2.5)) valid++;
    assert.ok(valid > 60 && valid < 140, `about 2.5% of packages in validation, got ${valid}`);
  });
});
