import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { ModelLoadError } from '../errors.js';

/**
 * The folders a model may be read from, by their real paths (symbolic links
 * resolved), so that neither a linked folder nor a linked or `../` file name
 * can reach outside them.
 */
export class ModelRoots {
  private constructor(private readonly roots: readonly string[]) {}

  /** Roots that do not exist are dropped: nothing can be loaded from them. */
  static of(dirs: readonly string[]): ModelRoots {
    return new ModelRoots([...new Set(dirs.flatMap((dir) => {
      try {
        return [realpathSync(dir)];
      } catch {
        return [];
      }
    }))]);
  }

  /**
   * The real path of `path` (the path itself when it does not exist yet:
   * loading reports that), refused unless it lies inside a root.
   */
  check(path: string, what: string, modelDir: string): string {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      real = resolve(path);
    }
    if (this.roots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) return real;
    throw new ModelLoadError(`Refusing to load ${what} ${path}${real !== resolve(path) ? ` (really ${real})` : ''}: it is outside the configured model folders`, {
      modelDir,
      file: path,
      hint: `Models load only from ${this.roots.length > 0 ? this.roots.join(', ') : '(no existing folder)'}. Move the model into one of them, or add its folder to the model folders (docs/models.md).`,
    });
  }
}
