import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DiscoveryOptions } from '../engine/discovery/types.js';

/** The symlink options of `index` and `watch`, as commander parses them. */
export interface SymlinkFlags {
  followSymlinks?: boolean;
  followSymlinksOutside?: string[];
}

/** Adds the symlink options: links are followed inside the workspace by default; outside only into named roots. */
export function addSymlinkOptions(command: Command): Command {
  return command
    .option('--follow-symlinks', 'follow symbolic links that stay inside the workspace (the default; loops and duplicates are detected)')
    .option('--no-follow-symlinks', 'follow no symbolic link at all')
    .option(
      '--follow-symlinks-outside <dir>',
      'also follow links whose target lies in this directory outside the workspace (repeatable); secret and ignore rules still apply',
      (value: string, previous: string[] = []) => [...previous, value],
    );
}

/** The discovery settings the symlink options ask for (none when not given). */
export function symlinkDiscovery(flags: SymlinkFlags): Partial<DiscoveryOptions> {
  return {
    ...(flags.followSymlinks !== undefined ? { followSymlinks: flags.followSymlinks } : {}),
    ...(flags.followSymlinksOutside ? { allowedSymlinkRoots: flags.followSymlinksOutside.map((dir) => resolve(dir)) } : {}),
  };
}
