// One pino root logger per process; every part gets a child with its own bindings
// (`{ port: 'livingroom' }`). JSON lines to stdout for journald, pretty on a TTY.
// Secrets are redacted by path so that a config dumped into a log line cannot leak them.
import { pino } from 'pino';
import type { Logger, LevelWithSilent } from 'pino';

export type { Logger };

const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'config.mqtt.password',
  'mqtt.password',
  'headers.authorization',
];

export interface LogOptions {
  level: LevelWithSilent;
  /** Pretty, human-readable output (default: when stdout is a TTY). */
  pretty?: boolean;
  /** Where lines go (default: stdout). Tests pass a stream to collect them. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LogOptions): Logger {
  const base = { level: options.level, redact: { paths: REDACT, censor: '[redacted]' }, base: null };
  if (options.pretty === true) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  if (options.destination !== undefined) return pino(base, options.destination);
  return pino(base);
}

/** A logger that discards everything, for unit tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
