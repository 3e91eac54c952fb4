// The only file that reads argv, touches process.* and chooses exit codes (docs/architecture.md).
// Exit codes (docs/contract.md §1): 0 success; 78 (EX_CONFIG) invalid configuration, every
// problem printed first; 75 (EX_TEMPFAIL) a port or the queue is held by another process
// at start-up; 2 `try`: at least one line would be refused; 1 any other fatal error, with a
// one-line cause.
import { parseArgs } from 'node:util';
import {
  ConfigError,
  describeError,
  ErrorCodes,
  GatewayError,
  formatProblem,
  isGatewayError,
  errorMessage,
} from './errors.ts';
import { COMMANDS, HELP, commandHelp } from './cli/help.ts';
import { orderProblems, problemSummary } from './config/problem-order.ts';
import type { CommandContext } from './cli/context.ts';

const EX_CONFIG = 78;
/**
 * sysexits.h EX_TEMPFAIL, "try again later": the port or queue may be freed (a leftover
 * process ends, ModemManager lets go), so a systemd unit with Restart=on-failure and
 * RestartPreventExitStatus=78 retries after RestartSec — unlike a bad config, which
 * retrying cannot fix. StartLimitBurst still bounds a holder that never lets go.
 */
const EX_TEMPFAIL = 75;
/**
 * `tty2mqtt try`: it ran, and the daemon would refuse at least one of the lines. Not 1, so a
 * script tells "this line is bad" from "try could not run" (a usage error, an unknown
 * profile is 78); grep and diff use the same split of a verdict from a failure.
 */
const EXIT_LINES_REFUSED = 2;

/** The exit code of a fatal error other than a ConfigError (which is always 78). */
function exitCodeOf(error: unknown): number {
  if (
    isGatewayError(error, ErrorCodes.CONFIG_NOT_FOUND) ||
    isGatewayError(error, ErrorCodes.SECRET_UNREADABLE)
  )
    return EX_CONFIG;
  if (isGatewayError(error, ErrorCodes.PORT_IN_USE) || isGatewayError(error, ErrorCodes.QUEUE_IN_USE))
    return EX_TEMPFAIL;
  if (isGatewayError(error, ErrorCodes.LINES_REFUSED)) return EXIT_LINES_REFUSED;
  return 1;
}

function usage(message: string): GatewayError {
  return new GatewayError(ErrorCodes.USAGE, `${message} (see: tty2mqtt --help)`);
}

/** SIGINT/SIGTERM abort the command's signal; a second one exits at once. */
function shutdownSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.stderr.write(`tty2mqtt: second ${name}, exiting now\n`);
      process.exit(1);
    }
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-V') {
    const { version } = await import('./cli/version.ts');
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const spec = COMMANDS[command];
  if (spec === undefined) throw usage(`unknown command "${command}"`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: spec.positionals === true,
    });
  } catch (error) {
    throw usage(errorMessage(error));
  }
  if (parsed.values['help'] === true) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const context: CommandContext = {
    args: parsed.values,
    positionals: parsed.positionals,
    cwd: process.cwd(),
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    pid: process.pid,
    node: { path: process.execPath, version: process.version },
    signal: shutdownSignal(),
  };
  return spec.run(context);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError) {
    // Problems and warnings of every file in one list, by file and position (docs/contract.md §1).
    for (const problem of orderProblems([...error.problems, ...error.warnings], error.problems[0]?.file))
      process.stderr.write(`${formatProblem(problem)}\n`);
    process.stderr.write(
      `tty2mqtt: configuration invalid: ${problemSummary(error.problems, error.warnings)}\n`,
    );
    process.exitCode = EX_CONFIG;
  } else {
    process.stderr.write(`tty2mqtt: ${describeError(error)}\n`);
    process.exitCode = exitCodeOf(error);
  }
}
