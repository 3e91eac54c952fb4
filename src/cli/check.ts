// `tty2mqtt check`: validate gateway.yaml and its device profiles, print a summary, open
// nothing (docs/contract.md §1). Problems are thrown as ConfigError; cli.ts prints them with
// the warnings of the same run, exit 78. A valid configuration's warnings go to stderr, exit 0.
import { formatProblem } from '../errors.ts';
import { embeddedBrokerWarnings } from '../config/broker-warnings.ts';
import { portTimingWarnings } from '../config/port-warnings.ts';
import { summarizeConfig } from '../config/summary.ts';
import type { CommandContext } from './context.ts';
import { loadConfigFor } from './load.ts';

export async function checkCommand(context: CommandContext): Promise<number> {
  const loaded = await loadConfigFor(context);
  // Which Node runs the gateway: under systemd the one ExecStart names (deploy/install.sh),
  // in the summary's columns.
  context.stdout.write(`${'node'.padEnd(13)}${context.node.path} ${context.node.version}\n`);
  context.stdout.write(`${summarizeConfig(loaded)}\n`);
  context.stdout.write(`configuration OK: ${loaded.file}\n`);
  for (const warning of loaded.warnings) context.stderr.write(`${formatProblem(warning)}\n`);
  for (const warning of embeddedBrokerWarnings(loaded.config)) context.stderr.write(`warning: ${warning}\n`);
  for (const warning of portTimingWarnings(loaded.config.ports, loaded.profiles))
    context.stderr.write(`warning: ${warning}\n`);
  return 0;
}
