// A field's device_class and unit against Home Assistant's lists (config/home-assistant-classes.ts):
// a typo of a known value is an error with a "did you mean", a value not known at all (a newer
// Home Assistant's) or one that does not fit the field's entity is a warning, and what Home
// Assistant accepts says nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { homeAssistantFieldChecks } from '../../../src/config/home-assistant-checks.ts';
import {
  HA_BINARY_SENSOR_CLASSES,
  HA_NUMERIC_SENSOR_CLASSES,
  HA_STATE_CLASSES,
  HA_TEXT_SENSOR_CLASSES,
} from '../../../src/config/home-assistant-classes.ts';
import { profileSchema } from '../../../src/config/schema.ts';
import { parseYaml } from '../../../src/config/yaml-source.ts';

/** The findings for one field written as a YAML flow mapping, as `check` would print them. */
function findings(field: string): { problems: string[]; warnings: string[] } {
  const src = parseYaml('/p.yaml', 'p.yaml', `fields:\n  f: ${field}\n`).source;
  const data = src.doc.toJS() as { fields: { f: Record<string, unknown> } };
  const found = homeAssistantFieldChecks(src, ['fields', 'f'], data.fields.f);
  return { problems: found.problems.map((p) => p.message), warnings: found.warnings.map((w) => w.message) };
}

const none = { problems: [], warnings: [] };

void describe("Home Assistant's lists", () => {
  void it('hold each class once, and the text and number classes apart', () => {
    const numeric = Object.keys(HA_NUMERIC_SENSOR_CLASSES);
    for (const list of [numeric, HA_TEXT_SENSOR_CLASSES, HA_BINARY_SENSOR_CLASSES, HA_STATE_CLASSES])
      assert.equal(new Set(list).size, list.length);
    assert.deepEqual(
      numeric.filter((c) => HA_TEXT_SENSOR_CLASSES.includes(c)),
      [],
    );
    for (const [deviceClass, units] of Object.entries(HA_NUMERIC_SENSOR_CLASSES))
      if (units !== null) assert.equal(new Set(units).size, units.length, deviceClass);
  });

  void it('are the state classes the profile schema accepts', () => {
    const field = (state_class: string): boolean =>
      profileSchema.safeParse({
        id: 'p',
        line: { format: 'kv' },
        fields: { f: { type: 'number', state_class } },
      }).success;
    for (const sc of HA_STATE_CLASSES) assert.ok(field(sc), sc);
    assert.equal(field('measurment'), false);
  });
});

void describe('a field against them', () => {
  void it('says nothing about what Home Assistant accepts', () => {
    assert.deepEqual(findings('{ type: number, device_class: temperature, unit: "°C" }'), none);
    assert.deepEqual(findings('{ type: integer, device_class: power, unit: kW }'), none);
    assert.deepEqual(findings('{ type: number, device_class: monetary, unit: EUR }'), none);
    assert.deepEqual(findings('{ type: number, device_class: aqi }'), none);
    assert.deepEqual(findings('{ type: boolean, device_class: door }'), none);
    assert.deepEqual(findings('{ type: string, device_class: timestamp }'), none);
    assert.deepEqual(findings('{ type: enum, values: [a], device_class: enum }'), none);
    assert.deepEqual(findings('{ type: number, unit: furlongs }'), none);
  });

  void it('refuses a misspelt device class with the one meant, for each kind of entity', () => {
    assert.deepEqual(findings('{ type: number, device_class: temprature, unit: "°C" }').problems, [
      '"temprature" is not a Home Assistant device class (did you mean "temperature"?)',
    ]);
    assert.deepEqual(findings('{ type: boolean, device_class: dor }').problems, [
      '"dor" is not a Home Assistant device class (did you mean "door"?)',
    ]);
    assert.deepEqual(findings('{ type: string, device_class: timestmp }').problems, [
      '"timestmp" is not a Home Assistant device class (did you mean "timestamp"?)',
    ]);
    // The field's type is itself refused: the typo is still named.
    assert.deepEqual(findings('{ type: numbr, device_class: humidty }').problems, [
      '"humidty" is not a Home Assistant device class (did you mean "humidity"?)',
    ]);
  });

  void it('refuses a misspelt unit of a device class with the one meant', () => {
    assert.deepEqual(findings('{ type: number, device_class: temperature, unit: C }').problems, [
      '"C" is not a unit Home Assistant accepts for device_class temperature (did you mean "°C"?)',
    ]);
    assert.deepEqual(findings('{ type: number, device_class: energy, unit: kwh }').problems, [
      '"kwh" is not a unit Home Assistant accepts for device_class energy (did you mean "kWh"?)',
    ]);
  });

  void it('warns about a class it does not know, one of another entity, a unit that does not fit, and a class an enum field does not use', () => {
    assert.deepEqual(findings('{ type: number, device_class: sparkle }'), {
      problems: [],
      warnings: [
        '"sparkle" is not a device class Home Assistant 2026.8 knows for a sensor with a number; unless yours is newer and knows it, Home Assistant refuses the entity',
      ],
    });
    assert.deepEqual(findings('{ type: boolean, device_class: temperature }').warnings, [
      '"temperature" is a Home Assistant device class for number and integer fields (sensor); a boolean field becomes a binary_sensor, so it is left out of discovery',
    ]);
    assert.deepEqual(findings('{ type: number, device_class: temperature, unit: "%" }').warnings, [
      '"%" is not a unit Home Assistant accepts for device_class temperature (°C, °F, K); it refuses the entity',
    ]);
    assert.deepEqual(findings('{ type: number, device_class: ph, unit: pH }').warnings, [
      'device_class ph takes no unit in Home Assistant, which refuses the entity with one',
    ]);
    assert.deepEqual(findings('{ type: enum, values: [a], device_class: door }').warnings, [
      'is not used: an enum field is published to Home Assistant with device_class enum and its values as options',
    ]);
  });
});
