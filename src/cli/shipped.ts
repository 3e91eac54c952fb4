// Where the profiles shipped with tty2mqtt live: devices/ at the package root.
import { packagePath } from '../package-root.ts';

export const SHIPPED_DEVICES_DIR = packagePath('devices');
