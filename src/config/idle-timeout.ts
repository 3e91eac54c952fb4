// The effective `ports[].idle_timeout` ("quiet devices lose nothing"). The idle
// reopen exists to recover an adapter or driver that stopped delivering bytes; it should never
// fire on a device that is merely quiet as designed.
// - An explicit value is kept (0 = never).
// - A profile that states an `interval`: IDLE_INTERVALS of them, at least MIN_DEFAULT_IDLE_MS.
//   Five intervals is past the default availability timeout (3×), so the port is reopened only
//   after the device has already been reported offline — a skipped reading or two (a sensor
//   read retried) never causes one. The floor keeps a device that reports every second from
//   being reopened over a pause of a few seconds (a reboot, a calibration).
// - A profile that states no `interval` reports on events (a door contact, a scale, an RFID
//   reader): silence is its normal state, so the default is off.
import type { LoadedProfile } from './profiles.ts';

export const IDLE_INTERVALS = 5;
export const MIN_DEFAULT_IDLE_MS = 60_000;

/** The default for ports of a profile with this stated interval (null: event-driven). */
export function defaultIdleTimeoutMs(statedIntervalMs: number | null): number {
  if (statedIntervalMs === null || statedIntervalMs <= 0) return 0;
  return Math.max(IDLE_INTERVALS * statedIntervalMs, MIN_DEFAULT_IDLE_MS);
}

/** The idle timeout a port runs with: its own `idle_timeout`, else its profile's default. */
export function portIdleTimeoutMs(
  port: { idle_timeout?: number | undefined },
  profile: Pick<LoadedProfile, 'statedIntervalMs'>,
): number {
  return port.idle_timeout ?? defaultIdleTimeoutMs(profile.statedIntervalMs);
}
