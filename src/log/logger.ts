// One pino root logger per process; every part gets a child with its own bindings
// (`{ port: 'livingroom' }`). JSON lines to stdout for journald, pretty on a TTY when
// pino-pretty is installed: it is a development dependency (a checkout has it, an installed
// package does not), so an installation writes JSON lines and says once how to read them.
// Secrets are redacted by path so that a config dumped into a log line cannot leak them.
// Levels are names (`"level":"warn"`), not pino's numbers, so that a reader needs no table;
// under journald each line also starts with its syslog priority (journal.ts).
import type * as Pino from 'pino';
import type { Logger, LevelWithSilent } from 'pino';
import { requireCjs } from '../require-cjs.ts';

// require(), not import: src/require-cjs.ts.
const { pino } = requireCjs('pino') as typeof Pino;
import { withPriority } from './journal.ts';
import { attachRecentErrors, createRecentErrors, recordingHook } from './recent-errors.ts';
import type { LogMethodHook } from './recent-errors.ts';

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
  /** JSON lines go to journald: each starts with its `<N>` syslog priority (journal.ts). */
  journal?: boolean;
}

export function createLogger(options: LogOptions): Logger {
  // Warnings and errors also go into a bounded ring for the status page (src/ops/http.ts);
  // the hook passes every call through unchanged, so stdout is exactly what it was.
  const recent = createRecentErrors();
  const logger = createRootLogger(options, recordingHook(recent));
  attachRecentErrors(logger, recent);
  return logger;
}

/** Whether pino-pretty, a development dependency, is installed beside the daemon. */
function prettyInstalled(): boolean {
  try {
    requireCjs.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

function createRootLogger(options: LogOptions, logMethod: LogMethodHook): Logger {
  const base = {
    level: options.level,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: null,
    // The name, and first in the line (pino writes the level before everything else).
    formatters: { level: (label: string) => ({ level: label }) },
    hooks: options.journal === true ? { logMethod, streamWrite: withPriority } : { logMethod },
  };
  const json = (): Logger =>
    options.destination !== undefined ? pino(base, options.destination) : pino(base);
  if (options.pretty === true && !prettyInstalled()) {
    const logger = json();
    logger.info(
      'readable log lines need pino-pretty, a development dependency this installation does not have: ' +
        'writing JSON lines (read them with `tty2mqtt run | npx pino-pretty`)',
    );
    return logger;
  }
  if (options.pretty === true) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return json();
}

/**
 * The daemon's logger options from gateway.yaml `log:` (docs/contract.md §2): `format: auto` is
 * pretty on a TTY and JSON lines otherwise (journald); `json` / `pretty` force one. JSON lines
 * to the journal carry their priority.
 */
export function logOptions(
  config: { level: LevelWithSilent; format: 'auto' | 'json' | 'pretty' },
  stdout: { isTTY: boolean; isJournal: boolean },
): LogOptions {
  const pretty = config.format === 'auto' ? stdout.isTTY : config.format === 'pretty';
  return { level: config.level, pretty, journal: !pretty && stdout.isJournal };
}

/** A logger that discards everything, for unit tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
