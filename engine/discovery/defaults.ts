/**
 * Built-in exclusions, applied before `.gitignore` and `.codegraphignore`.
 * Grouped by why they are skipped, since the reason is reported to the user.
 */

/** Directories never worth indexing: VCS data, dependencies, build output, caches. */
export const EXCLUDED_DIRECTORIES = [
  '.git', '.hg', '.svn', 'node_modules', 'bower_components', 'jspm_packages',
  'dist', 'build', 'out', 'target', 'obj', '.next', '.nuxt', '.svelte-kit', '.output',
  '__pycache__', '.venv', 'venv', '.tox', '.nox', '.mypy_cache', '.pytest_cache', '.ruff_cache',
  '.gradle', '.idea', '.cache', 'coverage', '.nyc_output', '.terraform', '.codegraph',
  'Pods', 'DerivedData', '.dart_tool', '.stack-work', 'zig-cache', '.zig-cache', 'zig-out',
];

/** Generated files: lockfiles and minified bundles. */
export const GENERATED_PATTERNS = [
  'package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'Cargo.lock', 'poetry.lock', 'Pipfile.lock',
  'Gemfile.lock', 'composer.lock', 'go.sum', 'flake.lock', 'packages.lock.json', 'uv.lock',
  '*.min.js', '*.min.css', '*.min.mjs', '*-min.js', '*.bundle.js', '*.map', '*.chunk.js',
];

/** Files that may hold credentials: never read, never embedded. */
export const SECRET_PATTERNS = [
  '.env', '.env.*', '*.pem', '*.key', '*.p12', '*.pfx', '*.jks', '*.keystore', '*.crt', '*.cer', '*.der',
  'id_rsa*', 'id_dsa*', 'id_ecdsa*', 'id_ed25519*', '.npmrc', '.pypirc', '.netrc', '*.kdbx',
  'credentials.json', 'secrets.json', 'secrets.yaml', 'secrets.yml', '*.tfstate', '*.tfvars',
];

/** Binary formats, recognised by extension before any byte is read. */
export const BINARY_EXTENSIONS = new Set([
  '.png', '.jpg', '.jpeg', '.gif', '.bmp', '.ico', '.icns', '.webp', '.tiff', '.psd', '.svgz',
  '.mp3', '.mp4', '.wav', '.ogg', '.flac', '.mov', '.avi', '.mkv', '.webm',
  '.zip', '.tar', '.gz', '.tgz', '.bz2', '.xz', '.7z', '.rar', '.zst', '.jar', '.war', '.whl', '.deb', '.rpm',
  '.exe', '.dll', '.so', '.dylib', '.a', '.o', '.obj', '.lib', '.class', '.pyc', '.pyo', '.wasm', '.node',
  '.pdf', '.doc', '.docx', '.xls', '.xlsx', '.ppt', '.pptx', '.woff', '.woff2', '.ttf', '.otf', '.eot',
  '.db', '.sqlite', '.sqlite3', '.onnx', '.pt', '.bin', '.npy', '.npz', '.parquet', '.pkl',
]);
