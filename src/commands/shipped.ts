// Where the profiles shipped with tty2mqtt live: devices/ at the package root.
import { fileURLToPath } from 'node:url';

export const SHIPPED_DEVICES_DIR = fileURLToPath(new URL('../../devices', import.meta.url));
