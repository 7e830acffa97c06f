// npm pack hooks. prepack: put the lockfile into the tarball as npm-shrinkwrap.json,
// so `npm install -g codegraph-<version>.tgz` installs the exact dependency versions
// this repository tests, by their locked URLs: from npm's cache alone (offline) after
// `npm ci`, where a plain install would need the registry's package metadata.
// postpack: remove it again, so the clone keeps package-lock.json as its only lock.
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shrinkwrap = join(root, 'npm-shrinkwrap.json');
if (process.argv[2] === 'prepack') copyFileSync(join(root, 'package-lock.json'), shrinkwrap);
else if (process.argv[2] === 'postpack') rmSync(shrinkwrap, { force: true });
else throw new Error('usage: pack-shrinkwrap.mjs prepack|postpack');
