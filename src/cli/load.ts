// The one way a command loads gateway.yaml: `-c FILE` or the default lookup, with the
// shipped profiles as the fallback devices_dir.
import { join } from 'node:path';
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

/**
 * Where a command looks a profile id up: the devices_dir of `-c FILE` (when given), then
 * ./devices, then the shipped profiles — gateway.yaml's `device:` lookup, plus the folder a
 * checkout is run from.
 */
export function profileDirs(context: CommandContext, loaded: LoadedConfig | undefined): string[] {
  const dirs = [join(context.cwd, 'devices'), SHIPPED_DEVICES_DIR];
  if (loaded !== undefined) dirs.unshift(loaded.config.devices_dir);
  return dirs;
}
