/**
 * Makes control characters visible in text printed for humans, so that file
 * names and code from a repository cannot drive the user's terminal: an ESC
 * starts sequences that write the clipboard (OSC 52), move the cursor, clear
 * the screen or set the window title; a CR overwrites what was printed; C1
 * controls (U+0080-U+009F, e.g. U+009B CSI) act as ESC [ on some terminals;
 * bidirectional overrides reorder what the user reads. C0 controls become
 * their Control Pictures (ESC → ␛), the rest `\xNN` / `\uNNNN`. Machine output
 * (`--json`) is never passed through this: it stays exact.
 *
 * Tabs are kept where asked (code indentation); newlines never are, so callers
 * split multi-line text into lines first.
 */
export function visible(text: string, options: { keepTabs?: boolean } = {}): string {
  return text.replace(CONTROL, (character) => {
    const code = character.codePointAt(0)!;
    if (code === 0x09 && options.keepTabs) return character;
    if (code < 0x20) return String.fromCodePoint(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    if (code <= 0x9f) return `\\x${code.toString(16)}`;
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** C0, DEL, C1, and the bidirectional embedding, override and isolate controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** One line of a CRLF file ends in CR: that one is line structure, not content. */
export function visibleLine(line: string): string {
  return visible(line.endsWith('\r') ? line.slice(0, -1) : line, { keepTabs: true });
}
