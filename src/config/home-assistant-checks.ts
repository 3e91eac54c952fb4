// A field's `device_class` and `unit` against Home Assistant's lists (home-assistant-classes.ts),
// for `check`. Home Assistant refuses a discovered entity whose device class it does not know,
// or whose unit does not fit its device class, with a line in its own log only; discovery
// leaves out a class that does not fit the field's entity. Either way the user would not know.
//
// A value one or two letters from a known one (`temprature`, `kwh` for energy) is an error
// with a "did you mean": it is a typo. Any other value we do not know is a warning: the lists
// are a copy of one Home Assistant release, a newer one may know more, and these keys only
// feed discovery — the readings themselves are published either way.
// (`state_class` is a short, stable list and is checked by the schema itself.) Pure.
import type { ConfigProblem } from '../errors.ts';
import {
  HA_BINARY_SENSOR_CLASSES,
  HA_ENUM_SENSOR_CLASS,
  HA_LISTS_VERSION,
  HA_NUMERIC_SENSOR_CLASSES,
  HA_TEXT_SENSOR_CLASSES,
} from './home-assistant-classes.ts';
import type { ConfigPath } from './positions.ts';
import { closestKey, closestUnit } from './suggest.ts';
import { problemAt, warningAt } from './yaml-source.ts';
import type { YamlSource } from './yaml-source.ts';

type Raw = Record<string, unknown>;

const NUMERIC = Object.keys(HA_NUMERIC_SENSOR_CLASSES);
const EVERY_CLASS = [...new Set([...NUMERIC, ...HA_TEXT_SENSOR_CLASSES, ...HA_BINARY_SENSOR_CLASSES])];

/** The entity a field becomes (app/ha-discovery.ts) and the device classes it can take. */
function entityOf(type: unknown): { entity: string; classes: readonly string[] } | undefined {
  switch (type) {
    case 'number':
    case 'integer':
      return { entity: 'a sensor with a number', classes: NUMERIC };
    case 'string':
      return { entity: 'a sensor with text', classes: HA_TEXT_SENSOR_CLASSES };
    case 'boolean':
      return { entity: 'a binary_sensor', classes: HA_BINARY_SENSOR_CLASSES };
    default:
      return undefined;
  }
}

/** Which kind of Home Assistant entity knows this class, for a class that does not fit the field. */
function ownerOf(deviceClass: string): string | undefined {
  if (NUMERIC.includes(deviceClass)) return 'number and integer fields (sensor)';
  if (HA_TEXT_SENSOR_CLASSES.includes(deviceClass)) return 'string fields (sensor)';
  if (HA_BINARY_SENSOR_CLASSES.includes(deviceClass)) return 'boolean fields (binary_sensor)';
  return undefined;
}

export function homeAssistantFieldChecks(
  src: YamlSource,
  at: ConfigPath,
  field: Raw,
): { problems: ConfigProblem[]; warnings: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const deviceClass = field['device_class'];
  const unit = field['unit'];
  const type = field['type'];
  if (typeof deviceClass === 'string') {
    const where = [...at, 'device_class'];
    const typo = (guess: string): ConfigProblem =>
      problemAt(
        src,
        where,
        `"${deviceClass}" is not a Home Assistant device class (did you mean "${guess}"?)`,
      );
    const fits = entityOf(type);
    if (fits === undefined && type !== 'enum') {
      // The field's type is refused (the schema says so): a plain typo can still be named.
      const guess = EVERY_CLASS.includes(deviceClass) ? undefined : closestKey(deviceClass, EVERY_CLASS);
      if (guess !== undefined) problems.push(typo(guess));
    } else if (type === 'enum' && deviceClass !== HA_ENUM_SENSOR_CLASS)
      warnings.push(
        warningAt(
          src,
          where,
          `is not used: an enum field is published to Home Assistant with device_class enum and its values as options`,
        ),
      );
    else if (fits !== undefined && !fits.classes.includes(deviceClass)) {
      const owner = ownerOf(deviceClass);
      const guess = owner === undefined ? closestKey(deviceClass, fits.classes) : undefined;
      if (guess !== undefined) problems.push(typo(guess));
      else if (owner !== undefined)
        warnings.push(
          warningAt(
            src,
            where,
            `"${deviceClass}" is a Home Assistant device class for ${owner}; a ${String(type)} field becomes ${fits.entity}, so it is left out of discovery`,
          ),
        );
      else
        warnings.push(
          warningAt(
            src,
            where,
            `"${deviceClass}" is not a device class Home Assistant ${HA_LISTS_VERSION} knows for ${fits.entity}; unless yours is newer and knows it, Home Assistant refuses the entity`,
          ),
        );
    }
  }
  if (
    typeof unit === 'string' &&
    (type === 'number' || type === 'integer') &&
    typeof deviceClass === 'string'
  ) {
    const units = HA_NUMERIC_SENSOR_CLASSES[deviceClass];
    // null: monetary, any ISO 4217 code; undefined: not a numeric class, said above.
    if (units !== undefined && units !== null && !units.includes(unit)) {
      const where = [...at, 'unit'];
      const guess = closestUnit(unit, units);
      if (units.length === 0)
        warnings.push(
          warningAt(
            src,
            where,
            `device_class ${deviceClass} takes no unit in Home Assistant, which refuses the entity with one`,
          ),
        );
      else if (guess !== undefined)
        problems.push(
          problemAt(
            src,
            where,
            `"${unit}" is not a unit Home Assistant accepts for device_class ${deviceClass} (did you mean "${guess}"?)`,
          ),
        );
      else
        warnings.push(
          warningAt(
            src,
            where,
            `"${unit}" is not a unit Home Assistant accepts for device_class ${deviceClass} (${units.join(', ')}); it refuses the entity`,
          ),
        );
    }
  }
  return { problems, warnings };
}
