// Physical units for a field's `convert:` transform step: the one table of units the gateway
// knows, grouped by kind. A conversion is only defined within a kind (°F → °C, psi → hPa);
// the profile schema refuses any other at load time, so per line a conversion is one
// multiply and one add and can never fail.
//
// Every unit is given as (factor, offset) to its kind's base unit: base = value × factor +
// offset. Only temperatures need an offset. Names are case-sensitive (`mW` is not `MW`).
// (config/units.ts is a different thing: durations and sizes written in gateway.yaml.)

interface Unit {
  readonly kind: string;
  readonly factor: number;
  readonly offset: number;
}

const TABLE: Readonly<Record<string, Readonly<Record<string, number | readonly [number, number]>>>> = {
  // base °C; [factor, offset]
  temperature: {
    '°C': 1,
    degC: 1,
    '°F': [5 / 9, -32 * (5 / 9)],
    degF: [5 / 9, -32 * (5 / 9)],
    K: [1, -273.15],
  },
  // base Pa
  pressure: {
    Pa: 1,
    hPa: 100,
    kPa: 1000,
    MPa: 1e6,
    mbar: 100,
    bar: 1e5,
    psi: 6894.757293168361,
    inHg: 3386.389,
    mmHg: 133.322387415,
    atm: 101_325,
  },
  // base m
  length: { mm: 0.001, cm: 0.01, m: 1, km: 1000, in: 0.0254, ft: 0.3048, yd: 0.9144, mi: 1609.344 },
  // base g
  mass: { mg: 0.001, g: 1, kg: 1000, t: 1e6, oz: 28.349523125, lb: 453.59237 },
  // base m/s
  speed: { 'm/s': 1, 'km/h': 1 / 3.6, mph: 0.44704, kn: 1852 / 3600, 'ft/s': 0.3048 },
  // base J
  energy: { J: 1, kJ: 1000, MJ: 1e6, Wh: 3600, kWh: 3.6e6, MWh: 3.6e9, cal: 4.184, kcal: 4184 },
  // base W
  power: { mW: 0.001, W: 1, kW: 1000, MW: 1e6 },
  // base L
  volume: { mL: 0.001, L: 1, 'm³': 1000, gal: 3.785411784, 'fl oz': 0.0295735295625 },
  // base L/min
  flow: { 'L/min': 1, 'L/h': 1 / 60, 'm³/h': 1000 / 60, 'gal/min': 3.785411784 },
  // base V
  voltage: { µV: 1e-6, mV: 0.001, V: 1, kV: 1000 },
  // base A
  current: { µA: 1e-6, mA: 0.001, A: 1 },
  // base Hz
  frequency: { Hz: 1, kHz: 1000, MHz: 1e6, rpm: 1 / 60 },
  // base s
  time: { ms: 0.001, s: 1, min: 60, h: 3600, d: 86_400 },
  // base B
  data: { B: 1, kB: 1000, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 },
  // base fraction
  ratio: { '%': 0.01, '‰': 0.001, ppm: 1e-6, ppb: 1e-9 },
};

const UNITS: ReadonlyMap<string, Unit> = new Map(
  Object.entries(TABLE).flatMap(([kind, units]) =>
    Object.entries(units).map(([name, f]): [string, Unit] => [
      name,
      typeof f === 'number' ? { kind, factor: f, offset: 0 } : { kind, factor: f[0], offset: f[1] },
    ]),
  ),
);

/** Every unit name, for "did you mean" hints and the README. */
export const UNIT_NAMES: readonly string[] = [...UNITS.keys()];

/** The kind of a unit (`temperature`, `pressure`, …), or undefined when it is not in the table. */
export function unitKind(name: string): string | undefined {
  return UNITS.get(name)?.kind;
}

/** `to = from × factor + offset`. */
export interface Conversion {
  readonly factor: number;
  readonly offset: number;
}

/**
 * The linear conversion from one unit to another, or a reason it does not exist (an unknown
 * unit, or units of different kinds). Pure; the schema calls it to refuse, the pipeline to run.
 */
export function conversion(
  from: string,
  to: string,
): { ok: true; conversion: Conversion } | { ok: false; reason: string } {
  const a = UNITS.get(from);
  const b = UNITS.get(to);
  if (a === undefined) return { ok: false, reason: `unknown unit "${from}"` };
  if (b === undefined) return { ok: false, reason: `unknown unit "${to}"` };
  if (a.kind !== b.kind)
    return { ok: false, reason: `cannot convert "${from}" (${a.kind}) to "${to}" (${b.kind})` };
  // value → base: v × a.factor + a.offset; base → to: (base − b.offset) / b.factor.
  return {
    ok: true,
    conversion: { factor: a.factor / b.factor, offset: (a.offset - b.offset) / b.factor },
  };
}
