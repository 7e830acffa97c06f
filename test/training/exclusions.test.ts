import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExclusionMatcher, nameVariants, normaliseSegment, normaliseUrl } from '../../training/corpus/exclusions.js';

// Made-up projects, plus two real-shaped ones that exercise the per-project extras.
const matcher = ExclusionMatcher.parse(`
# comment lines and blank lines are ignored

widgetkit https://github.com/acme/widgetkit
fastjson https://github.com/Example-Org/FastJSON.git
hammer https://github.com/toolsmith/hammer
nlohmann-json https://github.com/nlohmann/json
tokio https://github.com/tokio-rs/tokio
`);

describe('exclusion matcher', () => {
  it('normalises URLs from Debian and npm metadata', () => {
    assert.equal(normaliseUrl('git+https://github.com/Acme/WidgetKit.git'), 'github.com/acme/widgetkit');
    assert.equal(normaliseUrl('git@github.com:acme/widgetkit.git'), 'github.com/acme/widgetkit');
    assert.equal(normaliseUrl('https://www.github.com/acme/widgetkit/'), 'github.com/acme/widgetkit');
    assert.equal(normaliseUrl('github:acme/widgetkit'), 'github.com/acme/widgetkit');
  });

  it('matches packaging names of an excluded project', () => {
    for (const name of ['python3-widgetkit', 'node-widgetkit', 'ruby-widgetkit', 'php-widgetkit', 'librust-widgetkit-dev', 'librust-widgetkit+std-dev', 'golang-github-acme-widgetkit-dev', 'golang-github-acme-widgetkit-v2-dev', 'libwidgetkit3-java', 'widgetkit', '@widgetkit/core', 'python3-fastjson', 'librust-tokio-util-dev']) {
      assert.ok(matcher.matchName(name), `${name} should be excluded`);
    }
    assert.ok(nameVariants('libfastjson2-java').has('fastjson'));
  });

  it('keeps unrelated packages whose names merely contain an excluded name', () => {
    for (const name of ['python3-widgetkit-extras', 'node-hammerjs', 'golang-github-other-widgetkit2go-dev', 'ruby-jsonpath', 'python3-json-rpc', 'php-json-schema', 'librust-tokio-rustls-dev2']) {
      assert.equal(matcher.matchName(name), null, `${name} should be kept`);
    }
  });

  it('matches Homepage, Vcs and npm repository URLs', () => {
    assert.ok(matcher.matchUrl('https://github.com/acme/widgetkit'));
    assert.ok(matcher.matchUrl('https://github.com/acme/widgetkit/tree/main/packages/core'));
    assert.ok(matcher.matchUrl('git+ssh://git@github.com/Example-Org/fastjson.git'));
    assert.equal(matcher.matchUrl('https://github.com/acme/widgetkit-plugins'), null);
    assert.equal(matcher.matchUrl('https://github.com/someone-else/widgetkit'), null);
    assert.equal(matcher.matchUrl('https://tokio.rs.example.org/'), null);
    assert.ok(matcher.matchUrl('https://tokio.rs/'), 'a known project homepage matches');
  });

  it('checks all metadata of a package, including Debian packaging repositories', () => {
    assert.ok(matcher.matchPackage({ name: 'python3-other', source: 'widgetkit' }));
    assert.ok(matcher.matchPackage({ name: 'python3-other', urls: ['https://salsa.debian.org/python-team/packages/widgetkit'] }));
    assert.equal(matcher.matchPackage({ name: 'python3-other', urls: ['https://example.org/other'] }), null);
  });

  it('finds vendored copies by path', () => {
    assert.ok(matcher.matchPath('usr/share/gocode/src/github.com/acme/widgetkit/router.go'));
    assert.ok(matcher.matchPath('vendor/github.com/Acme/WidgetKit/router.go'));
    assert.ok(matcher.matchPath('package/node_modules/widgetkit/lib/index.js'));
    assert.ok(matcher.matchPath('usr/lib/python3/dist-packages/pip/_vendor/widgetkit/api.py'));
    assert.ok(matcher.matchPath('usr/share/cargo/registry/tokio-1.24.2/src/runtime/mod.rs'));
    assert.ok(matcher.matchPath('third_party/nlohmann/json.hpp'));
    assert.equal(matcher.matchPath('usr/lib/python3/dist-packages/widgetkit_extras/api.py'), null);
    assert.equal(matcher.matchPath('src/widgetkit.py'), null, 'a file named like the project is not a vendored copy');
    // nlohmann/json's repository name is a common word: only C/C++ `json/` directories count.
    assert.equal(matcher.matchPath('usr/lib/python3.11/json/decoder.py'), null);
    assert.equal(matcher.matchName('python3-json'), null);
  });

  it('normalises version and packaging suffixes of path segments', () => {
    assert.equal(normaliseSegment('tokio-1.24.2'), 'tokio');
    assert.equal(normaliseSegment('widgetkit-2.28.1.dist-info'), 'widgetkit');
    assert.equal(normaliseSegment('@widgetkit'), 'widgetkit');
    assert.equal(normaliseSegment('src'), 'src');
  });
});
