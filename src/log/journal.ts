// journald reads a service's stdout line by line; a line that starts with `<N>` gets syslog
// priority N and the prefix is removed (systemd.exec(5) SyslogLevelPrefix=, default yes;
// sd-daemon(3) for the numbers). Without it every line is "info" and `journalctl -p warning`
// filters nothing. `journalctl -o cat` shows the JSON as it was, without the prefix.
import { fstatSync } from 'node:fs';

/** pino's level names → syslog priorities (sd-daemon(3) SD_CRIT … SD_DEBUG). */
const PRIORITY: Readonly<Record<string, number>> = {
  fatal: 2, // crit: the daemon is about to exit
  error: 3,
  warn: 4,
  info: 6,
  debug: 7,
  trace: 7,
};

/** What every JSON line starts with: logger.ts puts the level name first (formatters.level). */
const LEVEL_OPENING = '{"level":"';

/**
 * `<4>{"level":"warn",…}`: the line with its priority prefix. A line that does not start with
 * the level is passed through unchanged (journald then files it as info).
 */
export function withPriority(line: string): string {
  if (!line.startsWith(LEVEL_OPENING)) return line;
  const end = line.indexOf('"', LEVEL_OPENING.length);
  const priority = PRIORITY[line.slice(LEVEL_OPENING.length, end)];
  return priority === undefined ? line : `<${priority}>${line}`;
}

/**
 * Whether stdout is the journal: systemd sets JOURNAL_STREAM=<device>:<inode> of the stream it
 * connected, and a program should compare it with its own stdout, since the variable is
 * inherited by children whose stdout goes elsewhere (systemd.exec(5), $JOURNAL_STREAM).
 */
export function stdoutIsJournal(
  env: NodeJS.ProcessEnv,
  statStdout: () => { dev: bigint; ino: bigint } = () => fstatSync(1, { bigint: true }),
): boolean {
  const match = /^(\d+):(\d+)$/.exec(env['JOURNAL_STREAM'] ?? '');
  if (match === null) return false;
  try {
    const { dev, ino } = statStdout();
    return BigInt(match[1] as string) === dev && BigInt(match[2] as string) === ino;
  } catch {
    return false; // no stdout at all
  }
}
