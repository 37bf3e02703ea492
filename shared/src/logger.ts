import { pino, type DestinationStream, type Logger } from 'pino';
import { LOG_FORMAT, processStderrFacts, resolveLogFormat, syslogPriority, type LogFormat } from './logger-format.js';
import { prettyLogLine } from './logger-pretty.js';

export type { Logger };
export { LOG_FORMAT, resolveLogFormat, syslogPriority, type LogFormat, type StderrFacts } from './logger-format.js';
export { prettyLogLine } from './logger-pretty.js';

/**
 * Structured logs go to stderr so a command's stdout stays clean for its human or
 * JSON output. Level from WOFLEET_LOG_LEVEL (default: warn for CLIs, info for daemons);
 * format from WOFLEET_LOG_FORMAT or where stderr goes (logger-format.ts).
 */
export function createLogger(name: string, defaultLevel: 'warn' | 'info' = 'warn'): Logger {
  const format = resolveLogFormat(process.env, processStderrFacts());
  const stderr = pino.destination({ dest: 2, sync: true });
  return createLoggerTo(name, process.env.WOFLEET_LOG_LEVEL ?? defaultLevel, format, stderr, process.stderr.isTTY === true);
}

/** Where formatted lines go: written synchronously, so nothing is lost when the process exits right after. */
export interface LogSink {
  write(text: string): unknown;
}

/**
 * A logger writing `format` to `sink`. No pino transport: those run in worker threads,
 * which a bundled single-file program may not carry; each destination here formats
 * the line in this thread and writes it at once.
 */
export function createLoggerTo(name: string, level: string, format: LogFormat, sink: LogSink, color = false): Logger {
  return pino({ name, level }, logDestination(format, sink, color));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const NEEDS_METADATA: typeof pino.symbols.needsMetadataGsym = pino.symbols.needsMetadataGsym;

function logDestination(format: LogFormat, sink: LogSink, color: boolean): DestinationStream {
  switch (format) {
    case LOG_FORMAT.json:
      return { write: (line) => void sink.write(line) };
    case LOG_FORMAT.pretty:
      return { write: (line) => void sink.write(prettyLogLine(JSON.parse(line) as Record<string, unknown>, { color })) };
    case LOG_FORMAT.journal: {
      // pino sets lastLevel on a stream that asks for metadata, just before each write.
      const stream = {
        [NEEDS_METADATA]: true as const,
        lastLevel: 30,
        write(line: string) {
          sink.write(`<${syslogPriority(stream.lastLevel)}>${line}`);
        },
      };
      return stream;
    }
  }
}
