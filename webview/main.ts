/**
 * The search panel's script. It only renders what the host sends and posts
 * typed requests; every string from the index is inserted as a text node, so
 * no code or path can become markup.
 */
import { fillPlaceholders, type HostToWebview, type IndexStateView, type PanelStrings, type SearchResultView, type WebviewToHost } from '../extension/shared/protocol.js';
import { baseName, isNavigationKey, kindIcon, moveSelection } from './navigation.js';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): PersistedState | undefined;
  setState(state: PersistedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** What survives the view being hidden or the window reloading. */
interface PersistedState {
  readonly query: string;
  readonly language: string;
  readonly paths: string;
  readonly filtersOpen: boolean;
}

const vscode = acquireVsCodeApi();
const SEARCH_DEBOUNCE_MS = 180;

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`Search panel markup lacks #${id}`);
  return found as T;
};

const queryInput = element<HTMLInputElement>('query');
const languageSelect = element<HTMLSelectElement>('language');
const pathsInput = element<HTMLInputElement>('paths');
const filters = element<HTMLDetailsElement>('filters');
const stateLine = element<HTMLDivElement>('state');
const resultList = element<HTMLUListElement>('results');

let items: readonly SearchResultView[] = [];
let selected = -1;
let requestId = 0;
let debounce: number | undefined;
let indexState: IndexStateView = { text: '', busy: false, ready: false, generation: -1 };
let resultText = '';
let multiRoot = false;
/** English until the host's translated strings arrive with `init`. */
let strings: PanelStrings = {
  allLanguages: 'All languages',
  noResults: 'No results',
  oneResult: '1 result',
  manyResults: '{0} results',
  resultsIn: '{0} in {1} ms',
  keywordOnly: '(keyword search only)',
  searchFailed: 'Search failed: {0}',
  relevanceEngine: 'Relevance {0}%',
  relevanceRelative: 'Relevance {0}% of the best result',
  linesAbove: 'more lines above',
  linesBelow: 'more lines below',
};
/** The index generation the shown results come from. */
let searchedGeneration = -1;

function post(message: WebviewToHost): void {
  vscode.postMessage(message);
}

function saveState(): void {
  vscode.setState({ query: queryInput.value, language: languageSelect.value, paths: pathsInput.value, filtersOpen: filters.open });
}

function renderState(): void {
  const parts = [resultText, indexState.text].filter((part) => part !== '');
  stateLine.textContent = parts.join(' · ');
  stateLine.classList.toggle('busy', indexState.busy);
}

function runSearch(): void {
  saveState();
  searchedGeneration = indexState.generation;
  const paths = pathsInput.value
    .split(',')
    .map((glob) => glob.trim())
    .filter((glob) => glob !== '');
  post({ type: 'search', requestId: ++requestId, query: queryInput.value, filters: { languages: languageSelect.value ? [languageSelect.value] : [], paths } });
}

function scheduleSearch(): void {
  window.clearTimeout(debounce);
  debounce = window.setTimeout(runSearch, SEARCH_DEBOUNCE_MS);
}

function span(className: string, text: string): HTMLSpanElement {
  const node = document.createElement('span');
  node.className = className;
  node.textContent = text;
  return node;
}

function icon(name: string): HTMLSpanElement {
  const node = document.createElement('span');
  node.className = `codicon codicon-${name}`;
  node.setAttribute('aria-hidden', 'true');
  return node;
}

/** A relevance meter with its percentage; the tooltip says what the percentage is relative to. */
function relevanceBadge(item: SearchResultView): HTMLSpanElement {
  const percent = Math.round(item.relevance * 100);
  const badge = document.createElement('span');
  badge.className = 'relevance';
  badge.title = `${fillPlaceholders(item.relevanceBasis === 'engine' ? strings.relevanceEngine : strings.relevanceRelative, percent)} (score ${item.score})`;
  const meter = document.createElement('meter');
  meter.min = 0;
  meter.max = 1;
  meter.value = item.relevance;
  meter.setAttribute('aria-label', badge.title);
  badge.append(meter, span('relevance-value', `${percent}%`));
  return badge;
}

/** A row for lines of the chunk left out of the snippet: the marker sits in the code column, inside the box. */
function elidedRow(label: string): HTMLSpanElement {
  const row = document.createElement('span');
  row.className = 'line elided';
  row.title = label;
  row.append(span('line-number', ''), span('code ellipsis', '⋯'));
  return row;
}

function renderItem(item: SearchResultView, index: number): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'result';
  li.id = `result-${index}`;
  li.setAttribute('role', 'option');
  li.setAttribute('aria-selected', 'false');
  li.dataset['index'] = String(index);
  const location = `${multiRoot ? `${item.folderName}/` : ''}${item.path}:${item.startLine}`;
  li.title = `${location}–${item.endLine}`;

  const header = document.createElement('div');
  header.className = 'result-header';
  header.append(icon(kindIcon(item.kind)), span('symbol', item.symbol ?? baseName(item.path)), span('kind', item.kind), relevanceBadge(item));
  const path = document.createElement('div');
  path.className = 'result-path';
  path.append(span('path', location), span('language', item.language));

  const snippet = document.createElement('pre');
  snippet.className = 'snippet';
  if (item.snippet.moreAbove) snippet.append(elidedRow(strings.linesAbove));
  for (const line of item.snippet.lines) {
    const row = document.createElement('span');
    row.className = 'line';
    row.append(span('line-number', String(line.line)));
    const code = document.createElement('span');
    code.className = 'code';
    for (const segment of line.segments) {
      if (segment.match) {
        const mark = document.createElement('mark');
        mark.textContent = segment.text;
        code.append(mark);
      } else {
        code.append(document.createTextNode(segment.text));
      }
    }
    row.append(code);
    snippet.append(row);
  }
  if (item.snippet.moreBelow) snippet.append(elidedRow(strings.linesBelow));
  li.append(header, path, snippet);
  return li;
}

function renderResults(): void {
  resultList.replaceChildren(...items.map(renderItem));
  select(-1, false);
}

function select(index: number, focus: boolean): void {
  selected = index;
  for (const child of Array.from(resultList.children)) {
    const isSelected = (child as HTMLElement).dataset['index'] === String(index);
    child.setAttribute('aria-selected', String(isSelected));
    child.classList.toggle('selected', isSelected);
  }
  const node = index >= 0 ? (resultList.children[index] as HTMLElement | undefined) : undefined;
  if (node) {
    queryInput.setAttribute('aria-activedescendant', node.id);
    node.scrollIntoView({ block: 'nearest' });
  } else {
    queryInput.removeAttribute('aria-activedescendant');
  }
  if (focus) queryInput.focus();
}

function open(index: number, preview: boolean): void {
  const item = items[index];
  if (!item) return;
  post({ type: 'open', folder: item.folder, path: item.path, startLine: item.startLine, endLine: item.endLine, preview });
}

function onMessage(message: HostToWebview): void {
  switch (message.type) {
    case 'init': {
      multiRoot = message.multiRoot;
      strings = message.strings;
      const current = languageSelect.value;
      languageSelect.replaceChildren(new Option(strings.allLanguages, ''), ...message.languages.map((language) => new Option(language, language)));
      languageSelect.value = current;
      indexState = message.state;
      renderState();
      if (queryInput.value.trim() !== '') runSearch();
      return;
    }
    case 'indexState': {
      indexState = message.state;
      renderState();
      // Results from before the latest indexing run are stale: ask again once the index is quiet.
      if (indexState.ready && !indexState.busy && indexState.generation !== searchedGeneration && queryInput.value.trim() !== '') runSearch();
      return;
    }
    case 'results':
      if (message.requestId !== requestId) return;
      items = message.items;
      // Which query the list answers: results arrive per keystroke.
      resultList.dataset['query'] = message.query;
      resultText =
        message.query.trim() === ''
          ? ''
          : items.length === 0
            ? strings.noResults
            : `${fillPlaceholders(strings.resultsIn, items.length === 1 ? strings.oneResult : fillPlaceholders(strings.manyResults, items.length), message.elapsedMs)}${message.serviceLevel === 'lexical-only' ? ` ${strings.keywordOnly}` : ''}`;
      if (message.warnings.length > 0) resultText += ` · ${message.warnings.join('; ')}`;
      renderResults();
      renderState();
      return;
    case 'searchFailed':
      if (message.requestId !== requestId) return;
      items = [];
      resultText = fillPlaceholders(strings.searchFailed, message.message);
      renderResults();
      renderState();
      return;
    case 'focusQuery':
      if (message.query !== undefined && message.query !== queryInput.value) {
        queryInput.value = message.query;
        runSearch();
      }
      queryInput.focus();
      queryInput.select();
      return;
  }
}

function onKeyDown(event: KeyboardEvent): void {
  if (isNavigationKey(event.key)) {
    if ((event.key === 'Home' || event.key === 'End') && selected === -1) return; // caret movement in the query box
    event.preventDefault();
    select(moveSelection(selected, items.length, event.key), true);
  } else if (event.key === 'Enter') {
    event.preventDefault();
    window.clearTimeout(debounce);
    open(selected >= 0 ? selected : 0, !event.ctrlKey && !event.metaKey);
  } else if (event.key === 'Escape' && selected >= 0) {
    event.preventDefault();
    select(-1, true);
  }
}

const restored = vscode.getState();
if (restored) {
  queryInput.value = restored.query;
  pathsInput.value = restored.paths;
  filters.open = restored.filtersOpen;
  const option = new Option(restored.language, restored.language);
  if (restored.language) languageSelect.append(option);
  languageSelect.value = restored.language;
}
try {
  const initial = JSON.parse(document.body.dataset['initial'] ?? '{}') as { multiRoot?: boolean };
  multiRoot = initial.multiRoot === true;
} catch {
  // Malformed initial data only loses the multi-root hint.
}

queryInput.addEventListener('input', scheduleSearch);
queryInput.addEventListener('keydown', onKeyDown);
pathsInput.addEventListener('input', scheduleSearch);
languageSelect.addEventListener('change', runSearch);
filters.addEventListener('toggle', saveState);
resultList.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement).closest('li.result') as HTMLElement | null;
  if (!target) return;
  const index = Number(target.dataset['index']);
  select(index, false);
  open(index, event.detail < 2);
});
window.addEventListener('message', (event: MessageEvent<HostToWebview>) => onMessage(event.data));
document.addEventListener('securitypolicyviolation', (event) => post({ type: 'cspViolation', directive: event.violatedDirective, blockedUri: event.blockedURI }));
// No focus grab on load: a view restored in the background must not take the keyboard; the host sends focusQuery when the user asks for it.
post({ type: 'ready' });
