/**
 * Control characters in text that crosses a trust boundary (NATS messages from agents,
 * operator input echoed in errors, anything printed to a terminal). C0 (U+0000-U+001F),
 * DEL and C1 (U+007F-U+009F): NUL is refused by Postgres in text and jsonb, ESC and CSI
 * start terminal escape sequences, CR and LF forge lines in logs and tables.
 *
 * Identifiers (ids, names, domains, versions) may hold none of them. Free text (error
 * messages an agent reports: a command's stderr, a probe's failure) may hold TAB, LF and
 * CR and no other: multi-line errors are what programs print, and the CLI strips them
 * before display (see terminal-text.ts).
 */
export const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_CHAR_G = /[\u0000-\u001f\u007f-\u009f]/g;
/** The controls free text may not hold: every one but TAB, LF and CR. */
export const TEXT_CONTROL_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** A UTF-16 surrogate without its pair: JSON.parse lets it through, Postgres refuses it in jsonb. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATE_G = new RegExp(LONE_SURROGATE.source, 'g');

export function hasControlChars(text: string): boolean {
  return CONTROL_CHAR.test(text);
}

/**
 * Quote-safe rendering of untrusted input inside an error line (and in what is stored
 * of a rejected message): controls and unpaired surrogates become '?', at most `max` characters.
 */
export function printable(input: string, max = 80): string {
  const cut = input.length > max ? `${input.slice(0, max)}...` : input;
  return cut.replace(CONTROL_CHAR_G, '?').replace(LONE_SURROGATE_G, '?');
}
