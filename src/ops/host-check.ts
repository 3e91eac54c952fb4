// Which Host headers http.listen answers: the defence against DNS rebinding. A web page on
// http://rebind.attacker.example:9464/ whose DNS name is re-pointed at 127.0.0.1 (or the
// gateway's LAN address) makes the browser talk to the gateway as the attacker's own origin,
// so the page may read /status.json. The one thing it cannot change is the Host header
// (RFC 9110 §7.2): it still names the attacker's domain. So only names that mean this
// machine are served:
//   - the listen address itself (and, for a wildcard 0.0.0.0 / ::, this machine's interface
//     addresses: a client on the LAN types the address it reached);
//   - localhost, 127.0.0.1 and [::1];
//   - the machine's host name, when listening beyond loopback;
//   - `http.allowed_hosts` (a reverse proxy's public name, a DNS alias).
// The port is not compared: rebinding keeps the victim's port, and a proxy may forward another.
// Pure: the host name and interface addresses are passed in.
import { isLoopbackHost } from '../net/listen-address.ts';

export interface HostPolicyOptions {
  /** The address actually listened on (its host part). */
  listenHost: string;
  /** `http.allowed_hosts`. */
  allowedHosts: readonly string[];
  /** os.hostname(). */
  hostname: string;
  /** This machine's interface addresses (os.networkInterfaces()), for a wildcard listener. */
  interfaceAddresses: readonly string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** The name part of a Host header or an allowed_hosts entry: lower case, no port, no brackets. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(h);
  if (bracketed !== null) return bracketed[1] ?? '';
  // More than one `:` without brackets is a bare IPv6 address (not valid in Host, but an entry may be one).
  const name = h.split(':').length > 2 ? h : (h.split(':')[0] ?? '');
  return name.endsWith('.') ? name.slice(0, -1) : name; // `localhost.` is `localhost` (RFC 1034 §3.1)
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** A predicate over Host headers: true when the request is for this gateway. */
export function createHostPolicy(options: HostPolicyOptions): (hostHeader: string | undefined) => boolean {
  const listen = hostName(options.listenHost);
  const names = new Set<string>([...LOOPBACK_NAMES, listen, ...options.allowedHosts.map(hostName)]);
  if (!isLoopbackHost(listen)) names.add(hostName(options.hostname));
  if (isWildcard(listen)) for (const address of options.interfaceAddresses) names.add(hostName(address));
  names.delete('');
  return (hostHeader) => hostHeader !== undefined && names.has(hostName(hostHeader));
}
