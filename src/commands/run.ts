// `tty2mqtt run`: the daemon. The configuration is loaded and validated completely before
// any port, file or socket is opened (PRODUCT.md §1), then the gateway runs until SIGTERM
// or Ctrl-C and stops gracefully within 5 s (PRODUCT.md §6).
import { Gateway } from '../app/gateway.ts';
import { createLogger } from '../log.ts';
import type { CommandContext } from './context.ts';
import { loadConfigFor } from './load.ts';

export async function runCommand(context: CommandContext): Promise<number> {
  const loaded = await loadConfigFor(context);
  const log = createLogger({ level: loaded.config.log.level, pretty: context.isTTY });
  log.info({ config: loaded.file, gateway: loaded.config.gateway.id }, 'starting tty2mqtt');
  const gateway = await Gateway.open({ loaded, log });
  const stopped = new Promise<void>((resolve) => {
    if (context.signal.aborted) resolve();
    else context.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    await gateway.start(context.signal);
  } catch (error) {
    // Release whatever did start (a listening broker, open ports) before reporting.
    await gateway.stop(2000);
    throw error;
  }
  await stopped;
  log.info({ signal: String(context.signal.reason) }, 'stopping');
  await gateway.stop(5000);
  log.flush();
  return 0;
}
