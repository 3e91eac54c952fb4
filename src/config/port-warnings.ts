// What `tty2mqtt check` warns about in the timing of a valid port and its profile:
// settings that load but contradict what the profile says about the device. Warnings, not
// problems: the configuration still runs, it only behaves worse than the user would guess.
import { defaultIdleTimeoutMs } from './idle-timeout.ts';
import type { LoadedProfile } from './profiles.ts';
import type { PortConfig } from './schema.ts';
import { formatDelay } from './units.ts';

export function portTimingWarnings(
  ports: readonly Pick<PortConfig, 'name' | 'device' | 'idle_timeout'>[],
  profiles: ReadonlyMap<string, Pick<LoadedProfile, 'id' | 'statedIntervalMs' | 'availability_timeout'>>,
): string[] {
  const warnings: string[] = [];
  const warnedProfiles = new Set<string>();
  for (const port of ports) {
    const profile = profiles.get(port.device);
    const interval = profile?.statedIntervalMs ?? null;
    if (profile === undefined || interval === null) continue;
    const idle = port.idle_timeout;
    // The port would be reopened between two readings of a device that is working as designed.
    if (idle !== undefined && idle > 0 && idle < interval)
      warnings.push(
        `ports "${port.name}": idle_timeout ${formatDelay(idle)} is shorter than the interval of profile "${profile.id}" (${formatDelay(interval)}): the port is reopened between readings; remove idle_timeout (default for this profile: ${formatDelay(defaultIdleTimeoutMs(interval))}) or set it to several intervals`,
      );
    // The device would be reported offline between two of its readings.
    const availability = profile.availability_timeout;
    if (availability !== undefined && availability < interval && !warnedProfiles.has(profile.id)) {
      warnedProfiles.add(profile.id);
      warnings.push(
        `profile "${profile.id}": availability_timeout ${formatDelay(availability)} is shorter than its interval (${formatDelay(interval)}): the device is reported offline between readings; remove availability_timeout (default: 3 intervals) or make it longer than the interval`,
      );
    }
  }
  return warnings;
}
