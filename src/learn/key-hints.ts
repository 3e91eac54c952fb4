// Units and Home Assistant classes a key's name makes obvious (`temp` → °C, `hum` → %), and
// nothing else: a name such as `battery` (volts or percent?) or `pressure` (hPa or Pa?) gets
// no guess. The profile says each one is a guess (learn/profile-writer.ts).

export interface KeyHint {
  unit: string;
  device_class: string;
  state_class: 'measurement' | 'total_increasing';
  /** The quantity's own bounds, when it has them (a humidity is 0–100 %). */
  min?: number;
  max?: number;
}

const MEASUREMENT = 'measurement' as const;

// A Map, not an object: a device key such as `constructor` must find nothing.
const HINTS: ReadonlyMap<string, KeyHint> = new Map(
  Object.entries({
    temp: { unit: '°C', device_class: 'temperature', state_class: MEASUREMENT },
    temperature: { unit: '°C', device_class: 'temperature', state_class: MEASUREMENT },
    hum: { unit: '%', device_class: 'humidity', state_class: MEASUREMENT, min: 0, max: 100 },
    humidity: { unit: '%', device_class: 'humidity', state_class: MEASUREMENT, min: 0, max: 100 },
    moisture: { unit: '%', device_class: 'moisture', state_class: MEASUREMENT, min: 0, max: 100 },
    voltage: { unit: 'V', device_class: 'voltage', state_class: MEASUREMENT },
    volt: { unit: 'V', device_class: 'voltage', state_class: MEASUREMENT },
    volts: { unit: 'V', device_class: 'voltage', state_class: MEASUREMENT },
    current: { unit: 'A', device_class: 'current', state_class: MEASUREMENT },
    amps: { unit: 'A', device_class: 'current', state_class: MEASUREMENT },
    power: { unit: 'W', device_class: 'power', state_class: MEASUREMENT },
    watts: { unit: 'W', device_class: 'power', state_class: MEASUREMENT },
    energy: { unit: 'kWh', device_class: 'energy', state_class: 'total_increasing', min: 0 },
    kwh: { unit: 'kWh', device_class: 'energy', state_class: 'total_increasing', min: 0 },
    rssi: { unit: 'dBm', device_class: 'signal_strength', state_class: MEASUREMENT },
    lux: { unit: 'lx', device_class: 'illuminance', state_class: MEASUREMENT, min: 0 },
    illuminance: { unit: 'lx', device_class: 'illuminance', state_class: MEASUREMENT, min: 0 },
    co2: { unit: 'ppm', device_class: 'carbon_dioxide', state_class: MEASUREMENT, min: 0 },
  } satisfies Record<string, KeyHint>),
);

/**
 * The hint for a wire key: its last part (`env.temp`, `1/temp`), lowercased, without a
 * trailing number (`temp2`); or one of its `_`/`-` words when exactly one has a hint
 * (`out_temp`, not `temp_hum`).
 */
export function keyHint(key: string): { hint: KeyHint; word: string } | undefined {
  const last = (key.split(/[./]/).pop() ?? key).toLowerCase().replace(/[0-9]+$/, '');
  const whole = HINTS.get(last);
  if (whole !== undefined) return { hint: whole, word: last };
  const words = last.split(/[_-]/).filter((w) => HINTS.has(w));
  const word = words[0];
  const hint = word === undefined ? undefined : HINTS.get(word);
  return words.length === 1 && word !== undefined && hint !== undefined ? { hint, word } : undefined;
}
