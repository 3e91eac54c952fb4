// Start-up check: a configured port that another process holds makes the
// daemon refuse to start, before it opens anything it could disturb — no broker, no
// `gateway/state` (that would flip the other gateway's retained state and will), no port
// open (that would rewrite the holder's termios, see lock-holder.ts). Later, at run time,
// a busy port is only reported and retried (port.ts): a running daemon never exits
// because of one port.
import { ErrorCodes, GatewayError } from '../errors.ts';
import { describeHolders, findLockHolders } from '../os/lock-holder.ts';

export interface ConfiguredPort {
  name: string;
  path: string;
}

/** Throws PORT_IN_USE naming every configured port that is locked by another process. */
export function assertPortsFree(ports: readonly ConfiguredPort[]): void {
  const busy: string[] = [];
  for (const port of ports) {
    const holders = findLockHolders(port.path, process.pid);
    if (holders.length > 0)
      busy.push(`port ${port.name}: ${port.path} is in use by another process (${describeHolders(holders)})`);
  }
  if (busy.length === 0) return;
  throw new GatewayError(
    ErrorCodes.PORT_IN_USE,
    `${busy.join('; ')}; stop it or configure another port (not starting: nothing was opened)`,
  );
}
