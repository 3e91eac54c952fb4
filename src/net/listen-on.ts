// Listening on a configured `host:port` (embedded broker listeners, `http.listen`): the
// actual address back (port 0 → the one the OS chose), or the failure in words a user can
// act on. `exclusive`: no port sharing with cluster workers, a second daemon must fail.
import type { AddressInfo, Server } from 'node:net';
import { formatListenAddress } from './listen-address.ts';
import type { ListenAddress } from './listen-address.ts';

const WHY: Record<string, string> = {
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this host',
};

export interface ListenFailure {
  /** `127.0.0.1:1883`, `[::1]:9464`. */
  address: string;
  /** Why, for a user: `address in use (<inUseHint>)`, `permission denied …`, or the system's text. */
  why: string;
  cause: NodeJS.ErrnoException;
}

/**
 * Listens on `address`. `inUseHint` says what to do when the address is taken (which key to
 * change); `fail` turns a failure into the caller's error (its stable code).
 */
export function listenOn(
  server: Server,
  address: ListenAddress,
  inUseHint: string,
  fail: (failure: ListenFailure) => Error,
): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const why =
        error.code === 'EADDRINUSE'
          ? `address in use (${inUseHint})`
          : (WHY[error.code ?? ''] ?? error.message);
      reject(fail({ address: formatListenAddress(address), why, cause: error }));
    };
    server.once('error', onError);
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve({ host: address.host, port: (server.address() as AddressInfo).port });
    });
  });
}
