// WordOps' console output (wo/core/logging.py), byte for byte: ANSI colours always (even
// when piped), Log.wait lines ending in `\r` and then overwritten by Log.valide, steps
// that end in "[Done]"/"[Fail]", and errors printed on STDOUT in red (Log.error prints,
// then exits 1). Parsers must strip colours and split on \r and \n.
export const COLOR = {
  blue: '\x1b[94m',
  green: '\x1b[92m',
  red: '\x1b[91m',
  end: '\x1b[0m',
};

export class WoExit extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Log.info: blue, then `end` (a newline unless the line goes on). */
export function info(message, end = '\n') {
  process.stdout.write(`${COLOR.blue}${message}${COLOR.end}${end}`);
}

/** Log.info of a red message, as WordOps prints most failures it survives. */
export function infoFailure(message) {
  info(`${COLOR.red}${message}`);
}

/** Log.error: red on stdout; WordOps then exits 1. */
export function fail(message) {
  process.stdout.write(`${COLOR.red}${message}${COLOR.end}\n`);
  return new WoExit(1, message);
}

/** Log.wait: the label padded to 32 and "[..]", ended by `\r` for Log.valide to overwrite. */
export function wait(label) {
  process.stdout.write(`${COLOR.blue}${label.padEnd(32)}[${COLOR.end}..${COLOR.blue}]${COLOR.end}\r`);
}

/** Log.valide: the label padded to 32 and a green "[OK]". */
export function valide(label) {
  process.stdout.write(`${COLOR.blue}${label.padEnd(32)}[${COLOR.end}${COLOR.green}OK${COLOR.end}${COLOR.blue}]${COLOR.end}\n`);
}

/** Log.failed: "label [Failed]" in red, on one line. */
export function failed(label) {
  process.stdout.write(`${COLOR.blue}${label} ${COLOR.end}${COLOR.blue}[${COLOR.red}Failed${COLOR.blue}]${COLOR.end}\n`);
}

/** Log.wait then Log.valide around `work`: what WordOps prints for a step it checks. */
export function waitStep(label, work = () => undefined) {
  wait(label);
  const result = work();
  valide(label);
  return result;
}

/** WordOps' `Log.info(label, end='')` ... `[Done]` step; on an error it prints `[Fail]` and rethrows. */
export function doneStep(label, work) {
  info(label, '');
  let result;
  try {
    result = work();
  } catch (err) {
    info(`[${COLOR.end}${COLOR.red}Fail${COLOR.blue}]`);
    throw err;
  }
  info(`[${COLOR.end}Done${COLOR.blue}]`);
  return result;
}
