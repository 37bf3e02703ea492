/**
 * PHP's messages in what a site's nginx error log grew by. On WordOps, PHP-FPM sends a
 * request's PHP errors to nginx on the FastCGI stderr stream and nginx writes them to the
 * site's error log as `... FastCGI sent in stderr: "PHP message: PHP Warning:  ... in F on
 * line N` (several `PHP message:` per log entry when a request raised several; an entry is
 * cut at nginx's 2 KiB, so a flood counts low here, the MU-plugin's count is exact).
 */
export interface PhpLogMessage {
  /** "Fatal error", "Warning", "Notice", ... */
  kind: string;
  message: string;
  file?: string;
  line?: number;
}

export interface PhpLogSummary {
  messages: number;
  first?: PhpLogMessage;
  fatal?: PhpLogMessage;
}

const FATAL_KINDS = new Set(['Fatal error', 'Parse error', 'Recoverable fatal error', 'Catchable fatal error']);
const MESSAGE = /PHP message: PHP ([A-Z][a-z]+(?: [a-z]+)*):\s+/g;

export function summarisePhpLog(text: string): PhpLogSummary {
  const summary: PhpLogSummary = { messages: 0 };
  const starts = [...text.matchAll(MESSAGE)];
  starts.forEach((start, i) => {
    const bodyFrom = (start.index ?? 0) + start[0].length;
    const bodyTo = starts[i + 1]?.index ?? text.length;
    const entry = { kind: start[1] as string, ...messageAt(text.slice(bodyFrom, bodyTo)) };
    summary.messages += 1;
    summary.first ??= entry;
    if (FATAL_KINDS.has(entry.kind)) summary.fatal ??= entry;
  });
  return summary;
}

/** The message's first line and where it was raised (`in FILE on line N`, or `in FILE:N` for uncaught throwables). */
function messageAt(raw: string): { message: string; file?: string; line?: number } {
  const firstLine = (raw.split(/\\n|\n/)[0] ?? '').replace(/"? while reading .*$/, '').replace(/[";,\s]+$/, '');
  const at = / in (\/\S+?)(?: on line |:)(\d+)/.exec(firstLine);
  if (!at) return { message: firstLine };
  return { message: firstLine.slice(0, at.index), file: at[1], line: Number(at[2]) };
}
