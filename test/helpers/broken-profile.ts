// One profile with five kinds of mistake (a type typo, min > max, an id that is not its
// folder's `meter`, a Home Assistant class typo, a misspelt placeholder), for the tests that
// `check` reports them all in one run (unit: config/check-one-run; integration: the CLI).
export const BROKEN_METER_PROFILE = [
  'id: metre',
  'line: { format: kv }',
  'fields:',
  '  temp: { type: numbr }',
  '  hum: { type: number, min: 100, max: 0 }',
  '  power: { type: number, device_class: powr, unit: W }',
  'publish:',
  '  topic: "{port}/{feild}"',
  '',
].join('\n');
