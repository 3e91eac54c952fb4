// The one way a command loads gateway.yaml: `-c FILE` or the default lookup, with the
// shipped profiles as the fallback devices_dir.
import { loadConfig } from '../config/load.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { CommandContext } from './context.ts';
import { stringArg } from './context.ts';
import { SHIPPED_DEVICES_DIR } from './shipped.ts';

export function loadConfigFor(context: CommandContext): Promise<LoadedConfig> {
  const file = stringArg(context, 'config');
  return loadConfig({
    ...(file === undefined ? {} : { file }),
    cwd: context.cwd,
    env: context.env,
    shippedDevicesDir: SHIPPED_DEVICES_DIR,
  });
}
