import type { FolderActivity, FolderSnapshot } from '../../extension/core/folderIndex.js';

/** A folder index snapshot for presentation tests: an idle-sized hybrid index unless `extra` says otherwise. */
export function folderSnapshot(name: string, activity: FolderActivity, extra: Partial<FolderSnapshot> = {}): FolderSnapshot {
  return {
    folder: { key: `file:///${name}`, name, root: `/${name}` },
    activity,
    files: 10,
    chunks: 100,
    modelId: 'codegraph-rp-v0@ccedcaac022b',
    serviceLevel: 'hybrid',
    similarityThreshold: 0.5,
    modelError: null,
    modelNotes: [],
    generation: 1,
    lastSummary: null,
    ...extra,
  };
}
