/**
 * Keeps evaluation code out of the training corpus. The excluded projects come
 * from a list of `name url` lines (bench/semble/exclude-from-training.txt); each
 * is matched, in whatever packaging it arrives, by:
 *   - package names (Debian binary and source names, npm names, crate names)
 *     after stripping packaging prefixes/suffixes (python3-, golang-github-,
 *     librust-, ruby-, php-, node-, lib…-java, -dev, version digits…);
 *   - upstream URLs (Debian Homepage/Vcs-* fields, npm repository/homepage);
 *   - paths of vendored copies (…/github.com/gin-gonic/gin/…, node_modules/axios/,
 *     a `requests/` Python package inside another project, tokio-1.24.2/…).
 * Matching errs on the side of excluding: a false positive loses a little
 * training data, a false negative leaks evaluation data.
 */

export interface ExcludedProject {
  readonly name: string;
  readonly url: string;
}

export interface ExclusionHit {
  readonly project: string;
  readonly reason: string;
}

/** Extra names, homepages and path patterns per project, beyond what its name and URL give. */
interface Extra {
  readonly names?: readonly string[];
  readonly homepages?: readonly string[];
  /** Directory names (one path segment, compared after normalisation) that hold a vendored copy. */
  readonly dirs?: readonly string[];
  /** Substrings of a '/'-joined, lower-cased path. */
  readonly pathParts?: readonly string[];
  /** Restricts `dirs` to files of these extensions (segment names too generic elsewhere). */
  readonly dirExtensions?: readonly string[];
  /** The repository name is a common word (nlohmann/json): it is not used as a package or directory name. */
  readonly genericRepo?: boolean;
}

const C_EXT = ['.c', '.h', '.cc', '.cpp', '.cxx', '.hpp', '.hh', '.hxx', '.ipp', '.inl'];
/** Python projects' directories only count for Python (and extension) files: Ruby's fog has `requests/` too. */
const PY_EXT = ['.py', '.pyi', '.pyx', '.pxd', '.c', '.h'];

const EXTRAS: Readonly<Record<string, Extra>> = {
  aiohttp: { dirExtensions: PY_EXT, homepages: ['docs.aiohttp.org'] },
  fastapi: { dirExtensions: PY_EXT, homepages: ['fastapi.tiangolo.com'] },
  flask: { dirExtensions: PY_EXT, homepages: ['flask.palletsprojects.com', 'palletsprojects.com/p/flask'] },
  httpx: { dirExtensions: PY_EXT, homepages: ['www.python-httpx.org', 'python-httpx.org'] },
  pydantic: { dirExtensions: PY_EXT, names: ['pydantic-core', 'pydantic_core'], homepages: ['docs.pydantic.dev', 'pydantic-docs.helpmanual.io'], dirs: ['pydantic_core'] },
  requests: { dirExtensions: PY_EXT, homepages: ['requests.readthedocs.io', 'python-requests.org', 'docs.python-requests.org'] },
  starlette: { dirExtensions: PY_EXT, homepages: ['www.starlette.io', 'starlette.io'] },
  click: { dirExtensions: PY_EXT, names: ['python-click'], homepages: ['click.palletsprojects.com', 'palletsprojects.com/p/click'] },
  axios: { homepages: ['axios-http.com'] },
  express: { homepages: ['expressjs.com'] },
  redux: { homepages: ['redux.js.org'] },
  gin: { homepages: ['gin-gonic.com'], dirExtensions: ['.go'] },
  cobra: { homepages: ['cobra.dev'] },
  chi: { homepages: ['go-chi.io'], dirExtensions: ['.go'] },
  gson: { names: ['google-gson'], pathParts: ['com/google/gson/'] },
  'commons-lang': { names: ['commons-lang', 'commons-lang3', 'apache-commons-lang'], homepages: ['commons.apache.org/lang', 'commons.apache.org/proper/commons-lang'], pathParts: ['org/apache/commons/lang/', 'org/apache/commons/lang3/'] },
  'jackson-databind': { names: ['jackson-databind', 'jackson2-databind'], pathParts: ['com/fasterxml/jackson/databind/'] },
  guzzle: { names: ['guzzlehttp-guzzle', 'guzzlehttp'], homepages: ['guzzlephp.org', 'docs.guzzlephp.org'], dirs: ['guzzlehttp'] },
  monolog: {},
  'laravel-framework': { names: ['laravel', 'illuminate', 'laravel-framework'], homepages: ['laravel.com'], dirs: ['illuminate'], pathParts: ['laravel/framework/'] },
  sinatra: { names: ['sinatra-contrib', 'rack-protection'], homepages: ['sinatrarb.com'], dirs: ['sinatra-contrib', 'rack-protection'], pathParts: ['rack/protection/'] },
  rack: { homepages: ['rack.github.io'], dirExtensions: ['.rb'] },
  rails: {
    names: ['rails', 'railties', 'activesupport', 'activerecord', 'activemodel', 'actionpack', 'actionview', 'actionmailer', 'activejob', 'actioncable', 'activestorage', 'actiontext', 'actionmailbox', 'action-cable', 'active-storage'],
    homepages: ['rubyonrails.org'],
    dirs: ['railties', 'activesupport', 'activerecord', 'activemodel', 'actionpack', 'actionview', 'actionmailer', 'activejob', 'actioncable', 'activestorage', 'actiontext', 'actionmailbox', 'active_support', 'active_record', 'active_model', 'action_controller', 'action_dispatch', 'action_view', 'action_mailer', 'active_job', 'action_cable', 'active_storage'],
  },
  tokio: { names: ['tokio-macros', 'tokio-util', 'tokio-stream', 'tokio-test'], homepages: ['tokio.rs'], dirs: ['tokio-macros', 'tokio-util', 'tokio-stream', 'tokio-test'] },
  axum: { names: ['axum-core', 'axum-macros', 'axum-extra'], dirs: ['axum-core', 'axum-macros', 'axum-extra'] },
  serde: { names: ['serde-derive', 'serde_derive', 'serde-derive-internals', 'serde_derive_internals', 'serde-test', 'serde_test'], homepages: ['serde.rs'], dirs: ['serde_derive', 'serde_derive_internals', 'serde_test', 'serde-derive'] },
  trpc: { homepages: ['trpc.io'] },
  zod: { homepages: ['zod.dev'] },
  vitest: { homepages: ['vitest.dev'] },
  'messagepack-csharp': { names: ['messagepack'], dirs: ['messagepack'], dirExtensions: ['.cs'] },
  'newtonsoft-json': { names: ['newtonsoft.json'], homepages: ['www.newtonsoft.com/json', 'newtonsoft.com/json'], dirs: ['newtonsoft.json', 'newtonsoft-json'] },
  dapper: { dirExtensions: ['.cs'] },
  ktor: { homepages: ['ktor.io'], pathParts: ['io/ktor/'] },
  'kotlinx-coroutines': { names: ['kotlinx.coroutines'], pathParts: ['kotlinx/coroutines/'] },
  exposed: { pathParts: ['org/jetbrains/exposed/'], dirExtensions: ['.kt'] },
  cats: { homepages: ['typelevel.org/cats'], dirExtensions: ['.scala'] },
  circe: { homepages: ['circe.github.io'], pathParts: ['io/circe/'] },
  http4s: { homepages: ['http4s.org'], pathParts: ['org/http4s/'] },
  alamofire: {},
  vapor: { homepages: ['vapor.codes'], dirExtensions: ['.swift'] },
  rxswift: {},
  phoenix: { homepages: ['phoenixframework.org', 'www.phoenixframework.org'], dirExtensions: ['.ex', '.exs'] },
  plug: { dirExtensions: ['.ex', '.exs'] },
  ecto: {},
  'nlohmann-json': { genericRepo: true, dirExtensions: C_EXT, names: ['nlohmann-json', 'nlohmann-json3'], homepages: ['nlohmann.github.io/json', 'json.nlohmann.me'], dirs: ['nlohmann'], pathParts: ['nlohmann/json.hpp', 'single_include/nlohmann/'] },
  'abseil-cpp': { names: ['abseil'], homepages: ['abseil.io'], dirs: ['absl', 'abseil-cpp', 'abseil'] },
  fmtlib: { names: ['fmt', 'fmtlib'], homepages: ['fmt.dev', 'fmtlib.net'], dirs: ['fmt', 'fmtlib'], dirExtensions: C_EXT, pathParts: ['fmt/bundled/'] },
  curl: { names: ['curl', 'libcurl'], homepages: ['curl.se', 'curl.haxx.se'], dirs: ['curl', 'libcurl', 'cmcurl'], dirExtensions: C_EXT },
  redis: { homepages: ['redis.io'], dirExtensions: C_EXT },
  libuv: { names: ['libuv', 'libuv1', 'uv'], homepages: ['libuv.org'], dirs: ['libuv', 'uv', 'cmlibuv'], dirExtensions: C_EXT },
  'bats-core': { names: ['bats'], dirs: ['bats', 'bats-core'], dirExtensions: ['.bash', '.sh', '.bats'] },
  nvm: { dirExtensions: ['.sh', '.bash'] },
  'bash-it': { names: ['bash_it'], dirs: ['bash_it'] },
  aeson: { dirExtensions: ['.hs'] },
  pandoc: { homepages: ['pandoc.org'], dirExtensions: ['.hs'] },
  xmonad: { homepages: ['xmonad.org'], dirExtensions: ['.hs'] },
  zig: { homepages: ['ziglang.org'], dirExtensions: ['.zig'] },
  zls: { dirExtensions: ['.zig'] },
};

/** Lower-cased host + path of a URL, without scheme, user, `www.`, `.git` or trailing slashes. */
export function normaliseUrl(url: string): string {
  let text = url.trim().toLowerCase();
  text = text.replace(/^git\+/, '').replace(/^[a-z]+:\/\//, '').replace(/^[^@/]+@/, '');
  text = text.replace(/^github\.com:/, 'github.com/').replace(/^www\./, '');
  text = text.replace(/[?#].*$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
  // npm shorthand `owner/repo` or `github:owner/repo`.
  if (/^github:/.test(text)) text = 'github.com/' + text.slice('github:'.length);
  return text;
}

/** Names a package name may stand for once its packaging is stripped: `golang-github-gin-gonic-gin-dev` → gin-gonic-gin, … */
export function nameVariants(packageName: string): Set<string> {
  const variants = new Set<string>();
  const base = packageName.toLowerCase().replace(/\+[^/]*$/, '');
  const queue = [base];
  const prefixes = [/^python3?-/, /^pypy3?-/, /^node-/, /^golang-github-/, /^golang-gitlab-/, /^golang-gopkg-/, /^golang-/, /^librust-/, /^rust-/, /^ruby-/, /^php-/, /^haskell-/, /^libghc-/, /^elpa-/, /^lua-/, /^lib/, /^@[^/]+\//, /^@/];
  const suffixes = [/-dev$/, /-doc$/, /-java$/, /-cil$/, /-perl$/, /-prof$/, /-common$/, /-dfsg$/, /-v\d+$/, /\d+$/, /-go$/, /-js$/, /\.js$/, /-rs$/, /-py$/, /-php$/, /-rb$/, /-sharp$/];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (!name || variants.has(name)) continue;
    variants.add(name);
    // npm scopes: @trpc/server stands for trpc as well as server.
    const scope = name.match(/^@([^/]+)\/(.+)$/);
    if (scope) queue.push(scope[1]!, scope[2]!);
    for (const prefix of prefixes) if (prefix.test(name)) queue.push(name.replace(prefix, ''));
    for (const suffix of suffixes) if (suffix.test(name)) queue.push(name.replace(suffix, ''));
    // Version digits glued to a word: jackson2-databind → jackson-databind, commons-lang3 → commons-lang.
    const undigited = name.replace(/([a-z])\d+(?=-|$)/g, '$1');
    if (undigited !== name) queue.push(undigited);
    queue.push(name.replace(/[._]/g, '-'));
  }
  return variants;
}

/** Lower-cased path segment without version or packaging suffixes: `tokio-1.24.2` → tokio, `requests-2.28.1.dist-info` → requests. */
export function normaliseSegment(segment: string): string {
  return segment
    .toLowerCase()
    .replace(/^@/, '')
    .replace(/\.(dist-info|egg-info|egg)$/, '')
    .replace(/[-_]v?\d+(\.\d+)*([-+~._][0-9a-z.+~-]*)?$/, '');
}

interface CompiledProject {
  readonly name: string;
  readonly names: ReadonlySet<string>;
  readonly urls: readonly string[];
  readonly dirs: ReadonlySet<string>;
  readonly dirExtensions: readonly string[] | null;
  readonly pathParts: readonly string[];
}

export class ExclusionMatcher {
  private readonly projects: CompiledProject[];

  constructor(projects: readonly ExcludedProject[]) {
    this.projects = projects.map((project) => compile(project));
  }

  static parse(listText: string): ExclusionMatcher {
    return new ExclusionMatcher(parseExclusionList(listText));
  }

  get size(): number {
    return this.projects.length;
  }

  /** Does a package name (Debian binary or source, npm, crate) stand for an excluded project? */
  matchName(packageName: string): ExclusionHit | null {
    const variants = nameVariants(packageName);
    for (const project of this.projects) {
      for (const variant of variants) {
        if (project.names.has(variant)) return { project: project.name, reason: `package name ${packageName} ~ ${variant}` };
      }
    }
    return null;
  }

  /** Does a URL (Homepage, Vcs-Git, Vcs-Browser, npm repository) point at an excluded project? */
  matchUrl(url: string): ExclusionHit | null {
    const normal = normaliseUrl(url);
    if (!normal) return null;
    for (const project of this.projects) {
      for (const excluded of project.urls) {
        if (normal === excluded || normal.startsWith(excluded + '/')) return { project: project.name, reason: `url ${url} ~ ${excluded}` };
      }
    }
    return null;
  }

  /** Is this file (a path inside a package) part of a vendored copy of an excluded project? */
  matchPath(path: string): ExclusionHit | null {
    const lower = path.toLowerCase().replace(/\\/g, '/');
    const segments = lower.split('/');
    const directories = segments.slice(0, -1).map(normaliseSegment);
    const dot = lower.lastIndexOf('.');
    const extension = dot > lower.lastIndexOf('/') ? lower.slice(dot) : '';
    for (const project of this.projects) {
      for (const part of project.pathParts) if (lower.includes(part)) return { project: project.name, reason: `path ${path} contains ${part}` };
      if (project.dirExtensions && !project.dirExtensions.includes(extension)) continue;
      for (const directory of directories) {
        if (project.dirs.has(directory)) return { project: project.name, reason: `path ${path} has directory ${directory}/` };
      }
    }
    return null;
  }

  /** All checks for one package's metadata. */
  matchPackage(meta: { name: string; source?: string; urls?: readonly string[] }): ExclusionHit | null {
    const byName = this.matchName(meta.name) ?? (meta.source ? this.matchName(meta.source) : null);
    if (byName) return byName;
    for (const url of meta.urls ?? []) {
      const hit = this.matchUrl(url);
      if (hit) return hit;
      // Debian's packaging repositories are named after the package: salsa.debian.org/python-team/packages/requests.
      const salsa = normaliseUrl(url).match(/^salsa\.debian\.org\/.*\/([^/]+)$/);
      const bySalsa = salsa ? this.matchName(salsa[1]!) : null;
      if (bySalsa) return { project: bySalsa.project, reason: `packaging repository ${url} (${bySalsa.reason})` };
    }
    return null;
  }
}

export function parseExclusionList(text: string): ExcludedProject[] {
  const projects: ExcludedProject[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const [name, url] = line.split(/\s+/);
    if (!name || !url) throw new Error(`exclusion list: expected "name url", got: ${raw}`);
    projects.push({ name, url });
  }
  return projects;
}

function compile(project: ExcludedProject): CompiledProject {
  const extra = EXTRAS[project.name] ?? {};
  const url = normaliseUrl(project.url);
  const match = url.match(/^github\.com\/([^/]+)\/([^/]+)/);
  const owner = match?.[1] ?? '';
  const repo = match?.[2] ?? '';
  const names = new Set<string>();
  const add = (value: string) => {
    const lower = value.toLowerCase();
    names.add(lower);
    names.add(lower.replace(/[._]/g, '-'));
  };
  add(project.name);
  if (repo) {
    if (!extra.genericRepo) add(repo);
    // Debian Go packages: golang-github-OWNER-REPO(-dev).
    add(`${owner}-${repo}`);
  }
  for (const name of extra.names ?? []) add(name);
  const dirs = new Set<string>([project.name.toLowerCase(), ...(repo && !extra.genericRepo ? [repo.toLowerCase()] : []), ...(extra.dirs ?? []).map((dir) => dir.toLowerCase())]);
  // Names like `telescope.nvim` or `mini.nvim` are directory names as they stand; generic short
  // words stay restricted by dirExtensions.
  return {
    name: project.name,
    names,
    urls: [url, ...(extra.homepages ?? []).map(normaliseUrl)],
    dirs,
    dirExtensions: extra.dirExtensions ?? null,
    // Go modules vendored or installed under gocode keep their import path.
    pathParts: [...(match ? [`${match[0]}/`] : []), ...(extra.pathParts ?? [])],
  };
}
