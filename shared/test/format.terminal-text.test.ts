import { describe, expect, it } from 'vitest';
import { terminalText } from '../src/index.js';

/** Text from elsewhere, as the CLI prints it. */
describe('terminalText', () => {
  it.each([
    ['plain text stays', 'web-1 6.5.5 (r-6.5.5)', 'web-1 6.5.5 (r-6.5.5)'],
    ['a colour sequence goes whole', 'a\u001b[1;31mred\u001b[0m', 'ared'],
    ['a window title (OSC ... BEL) goes whole', 'x\u001b]0;owned\u0007y', 'xy'],
    ['a hyperlink (OSC ... ST) goes whole', '\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\', 'link'],
    ['an 8-bit CSI goes whole', 'a\u009b2Jb', 'ab'],
    ['a two-byte escape goes', 'a\u001bcb', 'ab'],
    ['line breaks and tabs become spaces', 'a\r\nb\tc', 'a  b c'],
    ['NUL, BEL, DEL and C1 go', 'a\u0000\u0007\u007f\u0085b', 'ab'],
    ['bidirectional overrides go', 'moc.\u202eevil', 'moc.evil'],
    ['a lone ESC at the end goes', 'abc\u001b', 'abc'],
  ])('%s', (_, input, printed) => {
    expect(terminalText(input)).toBe(printed);
  });
});
