// Home Assistant's vocabulary for a field's `device_class`, `state_class` and `unit`: the one
// copy in tty2mqtt, read by `check` (config/home-assistant-checks.ts) and by discovery
// (app/ha-discovery.ts). Pure data.
//
// Taken from the Home Assistant developer docs as of Home Assistant 2026.8 (August 2026):
//   https://developers.home-assistant.io/docs/core/entity/sensor/         "Available device
//     classes" (with their supported units) and "Available state classes"
//   https://developers.home-assistant.io/docs/core/entity/binary-sensor/  "Available device classes"
// The docs write the sensor constants (`SensorDeviceClass.ATMOSPHERIC_PRESSURE`); these are
// their values (`atmospheric_pressure`), which is what MQTT discovery takes. One correction:
// the docs spell atmospheric_pressure's `mmHg` as `mmHG`; Home Assistant's constant is `mmHg`.
// Home Assistant adds classes and units over time: update this table from those pages.

/** The Home Assistant release these lists reflect, for messages. */
export const HA_LISTS_VERSION = '2026.8';

/** Home Assistant's sensor state classes; the profile schema accepts exactly these. */
export const HA_STATE_CLASSES = ['measurement', 'measurement_angle', 'total', 'total_increasing'] as const;

/**
 * Sensor device classes whose state is a number, with the units Home Assistant accepts for
 * each: `[]` means no unit at all (`aqi`, `ph`); `null` means any ISO 4217 currency code
 * (`monetary`). `power_factor` takes `%` or no unit.
 */
export const HA_NUMERIC_SENSOR_CLASSES: Readonly<Record<string, readonly string[] | null>> = {
  absolute_humidity: ['g/m³', 'mg/m³'],
  apparent_power: ['mVA', 'VA', 'kVA'],
  aqi: [],
  area: ['m²', 'cm²', 'km²', 'mm²', 'in²', 'ft²', 'yd²', 'mi²', 'ac', 'ha'],
  atmospheric_pressure: ['cbar', 'bar', 'hPa', 'mmHg', 'inHg', 'inH₂O', 'kPa', 'mbar', 'Pa', 'psi'],
  battery: ['%'],
  blood_glucose_concentration: ['mg/dL', 'mmol/L'],
  carbon_dioxide: ['ppm'],
  carbon_monoxide: ['ppb', 'ppm', 'µg/m³', 'mg/m³'],
  conductivity: ['S/cm', 'mS/cm', 'µS/cm'],
  current: ['A', 'mA', 'µA'],
  data_rate: [
    'bit/s',
    'kbit/s',
    'Mbit/s',
    'Gbit/s',
    'B/s',
    'kB/s',
    'MB/s',
    'GB/s',
    'KiB/s',
    'MiB/s',
    'GiB/s',
  ],
  data_size: [
    ...['bit', 'kbit', 'Mbit', 'Gbit', 'B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'],
    ...['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'],
  ],
  distance: ['km', 'm', 'cm', 'mm', 'mi', 'nmi', 'yd', 'in'],
  duration: ['d', 'h', 'min', 's', 'ms', 'µs'],
  energy: ['J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal', 'Mcal', 'Gcal'],
  energy_distance: ['kWh/100km', 'Wh/km', 'mi/kWh', 'km/kWh'],
  energy_storage: [
    'J',
    'kJ',
    'MJ',
    'GJ',
    'mWh',
    'Wh',
    'kWh',
    'MWh',
    'GWh',
    'TWh',
    'cal',
    'kcal',
    'Mcal',
    'Gcal',
  ],
  frequency: ['mHz', 'Hz', 'kHz', 'MHz', 'GHz'],
  gas: ['L', 'm³', 'ft³', 'CCF', 'MCF'],
  humidity: ['%'],
  illuminance: ['lx'],
  irradiance: ['W/m²', 'BTU/(h⋅ft²)'],
  moisture: ['%'],
  monetary: null,
  nitrogen_dioxide: ['ppb', 'ppm', 'µg/m³'],
  nitrogen_monoxide: ['ppb', 'µg/m³'],
  nitrous_oxide: ['µg/m³'],
  ozone: ['ppb', 'ppm', 'µg/m³'],
  ph: [],
  pm1: ['µg/m³'],
  pm25: ['µg/m³'],
  pm4: ['µg/m³'],
  pm10: ['µg/m³'],
  power: ['mW', 'W', 'kW', 'MW', 'GW', 'TW'],
  power_factor: ['%'],
  precipitation: ['cm', 'in', 'mm'],
  precipitation_intensity: ['in/d', 'in/h', 'mm/d', 'mm/h'],
  pressure: ['cbar', 'bar', 'hPa', 'mmHg', 'inHg', 'kPa', 'mbar', 'Pa', 'psi', 'mPa'],
  radon: ['Bq/m³', 'pCi/L'],
  reactive_energy: ['varh', 'kvarh'],
  reactive_power: ['mvar', 'var', 'kvar'],
  signal_strength: ['dB', 'dBm'],
  sound_pressure: ['dB', 'dBA'],
  speed: ['ft/s', 'in/d', 'in/h', 'in/s', 'km/h', 'kn', 'm/s', 'mph', 'mm/d', 'mm/s'],
  sulphur_dioxide: ['ppb', 'µg/m³'],
  temperature: ['°C', '°F', 'K'],
  temperature_delta: ['°C', '°F', 'K'],
  volatile_organic_compounds: ['µg/m³', 'mg/m³'],
  volatile_organic_compounds_parts: ['ppm', 'ppb'],
  voltage: ['V', 'mV', 'µV', 'kV', 'MV'],
  volume: ['L', 'mL', 'gal', 'fl. oz.', 'm³', 'ft³', 'CCF', 'MCF'],
  volume_flow_rate: [
    'm³/h',
    'm³/min',
    'm³/s',
    'ft³/min',
    'L/h',
    'L/min',
    'L/s',
    'gal/d',
    'gal/h',
    'gal/min',
    'mL/s',
  ],
  volume_storage: ['L', 'mL', 'gal', 'fl. oz.', 'm³', 'ft³', 'CCF', 'MCF'],
  water: ['L', 'gal', 'm³', 'ft³', 'CCF', 'MCF'],
  weight: ['kg', 'g', 'mg', 'µg', 'oz', 'lb', 'st'],
  wind_direction: ['°'],
  wind_speed: ['ft/s', 'km/h', 'kn', 'm/s', 'mph'],
};

/** Sensor device classes whose state is text: a string field may use these (no unit). */
export const HA_TEXT_SENSOR_CLASSES: readonly string[] = ['date', 'timestamp', 'uptime'];

/** `enum`: the class discovery gives every enum field itself, with its values as options. */
export const HA_ENUM_SENSOR_CLASS = 'enum';

/** Binary sensor device classes: a boolean field becomes a binary_sensor and may use these. */
export const HA_BINARY_SENSOR_CLASSES: readonly string[] = [
  'battery',
  'battery_charging',
  'carbon_monoxide',
  'cold',
  'connectivity',
  'door',
  'garage_door',
  'gas',
  'heat',
  'light',
  'lock',
  'moisture',
  'motion',
  'moving',
  'occupancy',
  'opening',
  'plug',
  'power',
  'presence',
  'problem',
  'running',
  'safety',
  'smoke',
  'sound',
  'tamper',
  'update',
  'vibration',
  'window',
];
