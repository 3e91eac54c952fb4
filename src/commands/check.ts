// `tty2mqtt check`: validate gateway.yaml and its device profiles, print a summary, open
// nothing (PRODUCT.md §1). Problems are thrown as ConfigError; cli.ts prints them, exit 78.
import { loadConfig } from '../config/load.ts';
import { summarizeConfig } from '../config/summary.ts';
import type { CommandContext } from './context.ts';
import { stringArg } from './context.ts';
import { SHIPPED_DEVICES_DIR } from './shipped.ts';

export async function checkCommand(context: CommandContext): Promise<number> {
  const file = stringArg(context, 'config');
  const loaded = await loadConfig({
    ...(file === undefined ? {} : { file }),
    cwd: context.cwd,
    env: context.env,
    shippedDevicesDir: SHIPPED_DEVICES_DIR,
  });
  context.stdout.write(`${summarizeConfig(loaded)}\n`);
  context.stdout.write(`configuration OK: ${loaded.file}\n`);
  return 0;
}
