// `tty2mqtt run`: the daemon. The configuration is loaded and validated completely before
// any port, file or socket is opened (docs/contract.md §1), then the gateway runs until SIGTERM
// or Ctrl-C and stops gracefully within 5 s (docs/contract.md §6). Under systemd (Type=notify,
// deploy/tty2mqtt.service) it reports READY=1, STATUS=, WATCHDOG=1 and STOPPING=1.
import { performance } from 'node:perf_hooks';
import { Gateway } from '../app/gateway.ts';
import { configurationWarnings } from '../config/warnings.ts';
import { stdoutIsJournal } from '../log/journal.ts';
import { createLogger, logOptions } from '../log/logger.ts';
import { createNotifier } from '../ops/systemd-notify.ts';
import { SystemdSupervisor } from '../ops/watchdog.ts';
import type { CommandContext } from './context.ts';
import { loadConfigFor } from './load.ts';

export async function runCommand(context: CommandContext): Promise<number> {
  const loaded = await loadConfigFor(context);
  const log = createLogger(
    logOptions(loaded.config.log, { isTTY: context.isTTY, isJournal: stdoutIsJournal(context.env) }),
  );
  log.info({ config: loaded.file, gateway: loaded.config.gateway.id }, 'starting tty2mqtt');
  // What `check` would have said, said by the daemon too: most configurations are started
  // without running `check` first, and the journal is where a user looks. (The embedded
  // broker says its own when it starts.)
  for (const { from, message, at } of configurationWarnings(loaded))
    if (from !== 'embedded_broker') log.warn(at ?? { file: loaded.file }, `configuration: ${message}`);
  const gateway = await Gateway.open({ loaded, log });
  const systemd = new SystemdSupervisor({
    notifier: createNotifier({ env: context.env, log: log.child({ service: 'systemd' }) }),
    env: context.env,
    pid: context.pid,
    log: log.child({ service: 'systemd' }),
    snapshot: () => gateway.liveness(),
    now: () => performance.now(),
    scheduler: { setTimeout, clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout) },
  });
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
  await systemd.ready(context.signal);
  await stopped;
  log.info({ signal: String(context.signal.reason) }, 'stopping');
  // Not awaited first: telling systemd must not eat into the 5 s stop deadline.
  const told = systemd.stopping();
  await gateway.stop(5000);
  await told;
  log.flush();
  return 0;
}
