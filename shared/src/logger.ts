import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs go to stderr so a command's stdout stays clean for its human or
 * JSON output. Level from WOFLEET_LOG_LEVEL (default: warn for CLIs, info for daemons).
 */
export function createLogger(name: string, defaultLevel: 'warn' | 'info' = 'warn'): Logger {
  return pino({ name, level: process.env.WOFLEET_LOG_LEVEL ?? defaultLevel }, pino.destination(2));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
