import { silentLogger, type Logger } from '@wofleet/shared';

export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A pino-compatible logger that keeps what is logged. */
export function capturingLogger(lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const levels = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
  return new Proxy(silentLogger(), {
    get(target, prop, receiver) {
      if (prop === 'child') return (more: Record<string, unknown>) => capturingLogger(lines, { ...bindings, ...more });
      if (typeof prop === 'string' && levels.has(prop)) {
        return (fields: unknown, msg?: unknown) => {
          const own = typeof fields === 'object' && fields !== null ? fields : {};
          lines.push({ level: prop, msg: typeof fields === 'string' ? fields : String(msg ?? ''), fields: { ...bindings, ...own } });
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}
