// WordOps' console output: ANSI colours always (even when piped), progress lines that
// end in `\r` and are then overwritten, and errors printed on STDOUT in red (WordOps'
// Log.error prints, then exits 1). Parsers must strip colours and split on \r and \n.
export const COLOR = {
  blue: '\x1b[94m',
  green: '\x1b[92m',
  yellow: '\x1b[93m',
  red: '\x1b[91m',
  bold: '\x1b[1m',
  end: '\x1b[0m',
};

export class WoExit extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export function info(message) {
  process.stdout.write(`${COLOR.blue}${message}${COLOR.end}\n`);
}

export function warn(message) {
  process.stdout.write(`${COLOR.yellow}${message}${COLOR.end}\n`);
}

/** Log.error: red on stdout; WordOps then exits 1. */
export function fail(message) {
  process.stdout.write(`${COLOR.red}${message}${COLOR.end}\n`);
  return new WoExit(1, message);
}

/**
 * One progress step as WordOps draws it: "  step" + `\r` while it runs, then the
 * same line padded with "[OK]" and `\r\n`.
 */
export function step(label, work) {
  process.stdout.write(`${COLOR.blue}  ${label}${COLOR.end}\r`);
  const result = work();
  process.stdout.write(`${COLOR.blue}  ${label.padEnd(58)}[${COLOR.end}${COLOR.green}OK${COLOR.end}${COLOR.blue}]${COLOR.end}\r\n`);
  return result;
}
