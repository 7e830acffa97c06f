/**
 * Every command the extension contributes, in one table: ids are built from
 * one prefix, and a unit test checks the table against package.json.
 */
export const COMMAND_PREFIX = 'codegraph';

export const COMMANDS = {
  search: { title: 'Search Code Semantically', palette: true },
  openSearchEditor: { title: 'Open Search in Editor Area', palette: true },
  findSimilar: { title: 'Find Similar Code', palette: true },
  reindex: { title: 'Reindex Workspace', palette: true },
  pause: { title: 'Pause Indexing', palette: true },
  resume: { title: 'Resume Indexing', palette: true },
  showStatus: { title: 'Show Index Status', palette: true },
  clearIndex: { title: 'Clear Index', palette: true },
  selectModel: { title: 'Select Embedding Model', palette: true },
  healthCheck: { title: 'Run Health Check', palette: true },
  showLog: { title: 'Show Log', palette: true },
  /** Opens a location from a hover or quick pick; arguments are validated. */
  openLocation: { title: 'Open Code Location', palette: false },
  /** Shows a similar-code list in the peek view; used by CodeLens and hovers. */
  showSimilar: { title: 'Show Similar Code', palette: false },
} as const;

export type CommandName = keyof typeof COMMANDS;

export function commandId(name: CommandName): string {
  return `${COMMAND_PREFIX}.${name}`;
}

/** Context keys the extension sets for `when` clauses; reset on deactivate. */
export const CONTEXT_KEYS = {
  active: 'codegraph.active',
  paused: 'codegraph.paused',
  trusted: 'codegraph.trusted',
} as const;

export const VIEW_CONTAINER_ID = 'codegraph';
export const SEARCH_VIEW_ID = 'codegraph.searchView';
export const SEARCH_PANEL_TYPE = 'codegraph.searchPanel';
export const OUTPUT_CHANNEL_NAME = 'CodeGraph';
