// `tty2mqtt check`: validate gateway.yaml and its device profiles, print a summary, open
// nothing (docs/contract.md §1). Problems are thrown as ConfigError; cli.ts prints them with
// the warnings of the same run, exit 78. A valid configuration's warnings go to stderr, exit 0.
import { formatProblem } from '../errors.ts';
import { summarizeConfig } from '../config/summary.ts';
import { configurationWarnings } from '../config/warnings.ts';
import type { CommandContext } from './context.ts';
import { loadConfigFor } from './load.ts';

export async function checkCommand(context: CommandContext): Promise<number> {
  const loaded = await loadConfigFor(context);
  // Which Node runs the gateway: under systemd the one ExecStart names (deploy/install.sh),
  // in the summary's columns.
  context.stdout.write(`${'node'.padEnd(13)}${context.node.path} ${context.node.version}\n`);
  context.stdout.write(`${summarizeConfig(loaded)}\n`);
  context.stdout.write(`configuration OK: ${loaded.file}\n`);
  for (const { message, at } of configurationWarnings(loaded))
    context.stderr.write(
      at === undefined
        ? `warning: ${message}\n`
        : `${formatProblem({ ...at, message, severity: 'warning' })}\n`,
    );
  return 0;
}
