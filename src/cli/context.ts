// What a command gets from cli.ts: its parsed options and the process's streams, so that
// commands never touch process.* themselves and can be run from tests.

export interface CommandContext {
  args: Record<string, string | boolean | undefined>;
  /** Arguments that are not options (only commands that take them get any). */
  positionals: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
  /** This process's id (systemd's WATCHDOG_PID names the process that must ping). */
  pid: number;
  /**
   * The Node.js running the command: its executable and version. `check` prints it, since
   * the unit's ExecStart names the one deploy/install.sh found, not the one on a login's PATH.
   */
  node: { path: string; version: string };
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export type CommandRunner = (context: CommandContext) => Promise<number>;

export function stringArg(context: CommandContext, name: string): string | undefined {
  const value = context.args[name];
  return typeof value === 'string' ? value : undefined;
}
