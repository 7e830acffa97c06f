/**
 * User-facing text of the pure modules goes through `l10n.t`, with `{0}`-style
 * placeholders, as in `vscode.l10n.t`. Once the extension is active main.ts
 * installs VS Code's translator (which reads l10n/bundle.l10n.<locale>.json);
 * until then, and in unit tests, the English text is filled in as is. Host
 * modules call `vscode.l10n.t` directly; both are extracted into
 * l10n/bundle.l10n.json by `npm run l10n`.
 */
export type Translate = (message: string, ...args: (string | number | boolean)[]) => string;

const english: Translate = (message, ...args) => message.replace(/\{(\d+)\}/g, (whole, index: string) => (Number(index) < args.length ? String(args[Number(index)]) : whole));

let translate: Translate = english;

export const l10n = {
  t: (message: string, ...args: (string | number | boolean)[]): string => translate(message, ...args),
};

/** Installs the translator (VS Code's) for every later `l10n.t` call. */
export function useTranslator(translator: Translate): void {
  translate = translator;
}
