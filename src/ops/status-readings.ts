// The last value of every field of every port, for the status page ("ports with
// state and last values"). Fed by the ports once a reading is queued; bounded per port,
// and every value is kept as bounded text — it is untrusted device input, escaped only
// where it is shown (status-page.ts renders with textContent).

export type ReadingValue = string | number | boolean;

export interface LastValue {
  value: ReadingValue;
  /** Milliseconds since the epoch. */
  at: number;
}

export interface LastReadings {
  record(port: string, values: ReadonlyMap<string, ReadingValue>, at: number): void;
  /** field → last value, in first-seen order. */
  of(port: string): ReadonlyMap<string, LastValue>;
}

/** More fields than a profile has: an MQTT-SN port names its own topics. */
const MAX_FIELDS_PER_PORT = 32;
const MAX_PORTS = 256;
const MAX_TEXT = 120;

function bounded(value: ReadingValue): ReadingValue {
  return typeof value === 'string' && value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT - 1)}…` : value;
}

export function createLastReadings(): LastReadings {
  const ports = new Map<string, Map<string, LastValue>>();
  return {
    record(port, values, at) {
      let fields = ports.get(port);
      if (fields === undefined) {
        if (ports.size >= MAX_PORTS) return;
        fields = new Map();
        ports.set(port, fields);
      }
      for (const [field, value] of values) {
        const last = fields.get(field);
        if (last !== undefined) {
          // Updated in place: this runs for every reading, and a new object per field was garbage.
          last.value = bounded(value);
          last.at = at;
        } else if (fields.size < MAX_FIELDS_PER_PORT) fields.set(field, { value: bounded(value), at });
      }
    },
    of: (port) => ports.get(port) ?? new Map(),
  };
}
