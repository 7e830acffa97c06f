import { readFile } from 'node:fs/promises';
import { fileContentHash } from '../hashing/hash.js';

/** A file that kept killing workers, and the content that did it. */
export interface QuarantineEntry {
  readonly contentHash: string;
  readonly detail: string;
  readonly since: string;
}

/** Where the store keeps quarantined files: one `meta` row of JSON, so no schema change is needed. */
export const QUARANTINE_META_KEY = 'quarantine';

interface MetaStore {
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}

export async function readQuarantine(store: MetaStore): Promise<Map<string, QuarantineEntry>> {
  const raw = await store.getMeta(QUARANTINE_META_KEY);
  if (!raw) return new Map();
  try {
    return new Map(Object.entries(JSON.parse(raw) as Record<string, QuarantineEntry>));
  } catch {
    // An unreadable record only costs one more crash per file before it is quarantined again.
    return new Map();
  }
}

export async function writeQuarantine(store: MetaStore, entries: ReadonlyMap<string, QuarantineEntry>): Promise<void> {
  await store.setMeta(QUARANTINE_META_KEY, JSON.stringify(Object.fromEntries(entries)));
}

/** Whether a quarantined file still has the content that crashed; a changed (or unreadable) file gets another chance. */
export async function stillQuarantined(absolutePath: string, entry: QuarantineEntry): Promise<boolean> {
  try {
    return fileContentHash(await readFile(absolutePath)) === entry.contentHash;
  } catch {
    return false;
  }
}
