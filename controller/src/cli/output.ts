import type { Command } from 'commander';
import { terminalText } from '@wofleet/shared';

/**
 * Operator-facing output: human lines by default, one JSON document with --json.
 *
 * Much of what is printed came from agents (versions, release ids, site facts, health
 * reasons) and an agent can be compromised: every human line and table cell goes through
 * terminalText (no escape sequence, no control character, one line stays one line).
 * JSON escapes C0 controls itself; jsonText escapes DEL and C1 too.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${jsonText(value, 2)}\n`);
}

/** JSON.stringify, with DEL and the C1 controls (which it leaves raw; U+009B is a CSI) escaped as well. */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function printLines(lines: readonly string[]): void {
  process.stdout.write(lines.map((l) => `${terminalText(l)}\n`).join(''));
}

/** A terminal's status line, drawn over the previous one (carriage return, erase line: our own escapes, around printable text). */
export function drawStatusLine(text: string): void {
  process.stdout.write(`\r\x1b[K${terminalText(text)}`);
}

/** A line printed in place of the status line, which the next drawStatusLine puts back below it. */
export function printAboveStatusLine(line: string): void {
  process.stdout.write(`\r\x1b[K${terminalText(line)}\n`);
}

/** `wofleet: <text>` on stderr, one printable line (errors relay what controllers and agents said). */
export function printErrorLine(text: string): void {
  process.stderr.write(`wofleet: ${terminalText(text)}\n`);
}

export function out(cmd: Command, value: unknown, human: () => string[]): void {
  if (cmd.opts<{ json?: boolean }>().json) printJson(value);
  else printLines(human());
}

/** Fixed-width table for list-like output; cells are made printable first, so the columns line up. */
export function table(headers: readonly string[], rawRows: readonly (readonly string[])[]): string[] {
  const rows = rawRows.map((row) => row.map(terminalText));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** Commander collector for a repeatable flag (`--label a=b --label c=d`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
