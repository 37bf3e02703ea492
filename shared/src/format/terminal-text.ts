/**
 * Text from elsewhere (an agent, a database row, a peer's error) made safe to print on
 * a terminal: escape sequences are removed whole (so `ESC[31m` leaves nothing, not
 * `[31m`), tabs and line breaks become spaces (one printed line stays one line), and
 * every other control character (C0, DEL, C1; see validate/text.ts) is dropped, as are
 * the bidirectional overrides that would make one name look like another.
 */
const ESCAPE_SEQUENCE = new RegExp(
  [
    '\\u001b\\][^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?', // OSC ... BEL/ST (titles, hyperlinks)
    '(?:\\u001b\\[|\\u009b)[\\u0030-\\u003f]*[\\u0020-\\u002f]*[\\u0040-\\u007e]?', // CSI ... final byte (colours, cursor)
    '\\u001b[\\u0020-\\u002f]*[\\u0030-\\u007e]?', // any other ESC sequence
  ].join('|'),
  'g',
);
const LINE_BREAKS = /[\t\n\r]/g;
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function terminalText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(LINE_BREAKS, ' ').replace(UNPRINTABLE, '');
}
