import { terminalText } from './format/terminal-text.js';

/**
 * One pino record as a line for a person at a terminal:
 * `12:04:05.123 WARN  wofleet-controller: webhook delivery failed url=https://... attempt=2`,
 * an error's stack on the lines below, indented. Text from the record goes through
 * terminalText (log fields can carry what an agent sent).
 */
const LEVELS: Readonly<Record<number, { name: string; color: string }>> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO', color: '32' },
  40: { name: 'WARN', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};
/** pino's own keys, shown in their places rather than as fields. */
const OWN_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'err']);

export function prettyLogLine(record: Record<string, unknown>, options: { color: boolean }): string {
  const level = LEVELS[Number(record.level)] ?? { name: String(record.level), color: '0' };
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const name = typeof record.name === 'string' ? `${terminalText(record.name)}:` : '';
  const fields = Object.entries(record)
    .filter(([key]) => !OWN_KEYS.has(key))
    .map(([key, value]) => `${terminalText(key)}=${fieldText(value)}`);
  const head = [paint('90', time), paint(level.color, level.name.padEnd(5)), name, terminalText(String(record.msg ?? ''))]
    .filter((part) => part !== '')
    .join(' ');
  const line = fields.length > 0 ? `${head} ${paint('90', fields.join(' '))}` : head;
  return `${line}${errorLines(record.err)}\n`;
}

function fieldText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return terminalText(typeof value === 'string' && /[\s"=]/.test(value) ? JSON.stringify(value) : (text ?? String(value)));
}

/** pino serialises an `err` field as { type, message, stack }: the stack (which starts with the message) below the line. */
function errorLines(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const { stack, message } = err as { stack?: unknown; message?: unknown };
  const text = typeof stack === 'string' ? stack : typeof message === 'string' ? message : JSON.stringify(err);
  return text
    .split('\n')
    .map((l) => `\n    ${terminalText(l.trimStart())}`)
    .join('');
}
