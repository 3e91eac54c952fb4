// The key reference of a configuration file, as a Markdown table, generated from its JSON
// Schema (json-schema.ts, itself generated from schema.ts): every key path with its type,
// default, allowed values and description, so the reference cannot drift from the code.
// Reads the draft-07 subset zod emits: objects, records (propertyNames + additionalProperties),
// arrays, unions (anyOf/oneOf, discriminated by a `const` member), enums, consts, and $refs
// into `definitions` (the named types `duration` and `size`).
import type { JsonSchema } from './json-schema.ts';

export interface ReferenceRow {
  /** `mqtt.keepalive`, `ports[].name`, `fields.<name>.min`. */
  path: string;
  type: string;
  /** As a user writes it; `required` or empty when there is none. */
  default: string;
  /** Enumerated values, ranges, lengths, patterns. */
  values: string;
  description: string;
}

type Schema = JsonSchema;

/** zod's bounds of a safe integer say nothing to a reader. */
const SAFE = Number.MAX_SAFE_INTEGER;

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function schemas(v: unknown): Schema[] {
  return Array.isArray(v) ? v.filter(isSchema) : [];
}

function code(v: string): string {
  return v.includes('`') ? `\`\` ${v} \`\`` : `\`${v}\``;
}

function literal(v: unknown): string {
  return code(typeof v === 'string' && v !== '' ? v : JSON.stringify(v));
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

interface Resolved {
  s: Schema;
  /** The definition a `$ref` named, e.g. `duration`. */
  named?: string;
}

class Walker {
  readonly rows: ReferenceRow[] = [];
  constructor(private readonly definitions: Record<string, unknown>) {}

  /** `{ description, allOf: [{ $ref }] }` (draft-07's way to annotate a $ref) → the definition plus the annotations. */
  resolve(s: Schema): Resolved {
    const only = schemas(s['allOf']);
    const ref = typeof s['$ref'] === 'string' ? s['$ref'] : only.length === 1 ? only[0]?.['$ref'] : undefined;
    if (typeof ref !== 'string') return { s };
    const name = ref.replace(/^#\/definitions\//, '');
    const target = this.definitions[name];
    if (!isSchema(target)) throw new Error(`unresolved $ref ${ref}`);
    const { allOf: _allOf, $ref: _ref, ...annotations } = s;
    return { s: { ...target, ...annotations }, named: name };
  }

  /** Branches of a union without `null`, and whether `null` was one. */
  branches(s: Schema): { options: Resolved[]; nullable: boolean } | undefined {
    const list = schemas(s['anyOf']).length > 0 ? schemas(s['anyOf']) : schemas(s['oneOf']);
    if (list.length === 0) return undefined;
    const options = list.filter((b) => b['type'] !== 'null').map((b) => this.resolve(b));
    return { options, nullable: options.length < list.length };
  }

  typeName(r: Resolved): string {
    const { s } = r;
    if (r.named !== undefined) return r.named;
    if ('const' in s) return Number.isInteger(s['const']) ? 'integer' : typeof s['const'];
    const union = this.branches(s);
    if (union !== undefined) {
      const names = [...new Set(union.options.map((o) => this.typeName(o)))];
      if (union.nullable) names.push('null');
      return names.join(' or ');
    }
    const type = s['type'];
    if (Array.isArray(type)) return type.join(' or ');
    if (type === 'array')
      return `list of ${isSchema(s['items']) ? this.typeName(this.resolve(s['items'])) : 'any'}`;
    if (type === 'object') return isSchema(s['properties']) ? 'object' : 'map';
    return typeof type === 'string' ? type : 'any';
  }

  values(r: Resolved): string[] {
    const { s } = r;
    if (r.named !== undefined) return [];
    const out: string[] = [];
    if ('const' in s) out.push(literal(s['const']));
    if (Array.isArray(s['enum'])) out.push(...s['enum'].map(literal));
    const union = this.branches(s);
    if (union !== undefined) {
      for (const o of union.options) out.push(...this.values(o));
      if (union.nullable && out.length > 0) out.push(code('null'));
    }
    const min = typeof s['minimum'] === 'number' && s['minimum'] > -SAFE ? s['minimum'] : undefined;
    const max = typeof s['maximum'] === 'number' && s['maximum'] < SAFE ? s['maximum'] : undefined;
    const above = typeof s['exclusiveMinimum'] === 'number' ? s['exclusiveMinimum'] : undefined;
    if (min !== undefined && max !== undefined) out.push(`${min} to ${max}`);
    else if (min !== undefined) out.push(`≥ ${min}`);
    else if (max !== undefined) out.push(`≤ ${max}`);
    if (above !== undefined) out.push(`> ${above}`);
    const minLength = typeof s['minLength'] === 'number' ? s['minLength'] : undefined;
    const maxLength = typeof s['maxLength'] === 'number' ? s['maxLength'] : undefined;
    if (minLength !== undefined && minLength === maxLength)
      out.push(`exactly ${count(minLength, 'character')}`);
    else if (minLength !== undefined && maxLength !== undefined)
      out.push(`${minLength} to ${count(maxLength, 'character')}`);
    else if (minLength === 1) out.push('not empty');
    else if (minLength !== undefined) out.push(`at least ${count(minLength, 'character')}`);
    else if (maxLength !== undefined) out.push(`at most ${count(maxLength, 'character')}`);
    if (typeof s['pattern'] === 'string') out.push(`matches ${code(s['pattern'])}`);
    if (typeof s['minItems'] === 'number') out.push(`at least ${count(s['minItems'], 'entry', 'entries')}`);
    if (typeof s['maxItems'] === 'number') out.push(`at most ${count(s['maxItems'], 'entry', 'entries')}`);
    if (s['type'] === 'array' && isSchema(s['items'])) {
      const each = this.values(this.resolve(s['items']));
      if (each.length > 0) out.push(`each: ${each.join(', ')}`);
    }
    if (isSchema(s['propertyNames'])) {
      const names = this.values(this.resolve(s['propertyNames']));
      if (names.length > 0) out.push(`names: ${names.join(', ')}`);
    }
    return out;
  }

  defaultOf(r: Resolved, required: boolean): string {
    const { s } = r;
    if (required) return 'required';
    if (!('default' in s)) return '';
    // A section's default is its keys' defaults, listed in their own rows.
    if (s['default'] !== null && isSchema(this.objectOf(r)?.['properties'])) return '';
    return literal(s['default']);
  }

  /** The object a schema describes, directly or as the one non-null branch of a union. */
  objectOf(r: Resolved): Schema | undefined {
    if (r.s['type'] === 'object') return r.s;
    const union = this.branches(r.s);
    if (union?.options.length === 1 && union.options[0]?.s['type'] === 'object') return union.options[0].s;
    return undefined;
  }

  /** The object branches of a union of objects (a discriminated union), else undefined. */
  objectUnion(r: Resolved): Schema[] | undefined {
    const union = this.branches(r.s);
    if (union === undefined || union.options.length < 2) return undefined;
    const objects = union.options.map((o) => o.s).filter((o) => o['type'] === 'object');
    return objects.length === union.options.length ? objects : undefined;
  }

  row(path: string, r: Resolved, required: boolean, note = ''): void {
    const description = typeof r.s['description'] === 'string' ? r.s['description'] : '';
    this.rows.push({
      path,
      type: this.typeName(r),
      default: this.defaultOf(r, required),
      values: this.values(r).join(', '),
      description: description + note,
    });
  }

  /** A key's row and the rows of everything under it. */
  walk(path: string, raw: Schema, required: boolean, note = ''): void {
    const r = this.resolve(raw);
    if (path !== '') this.row(path, r, required, note);
    this.children(path, r);
  }

  children(path: string, r: Resolved): void {
    const prefix = path === '' ? '' : `${path}.`;
    const object = this.objectOf(r);
    const union = this.objectUnion(r);
    if (union !== undefined) this.union(prefix, union);
    else if (object !== undefined && isSchema(object['properties'])) {
      const required = Array.isArray(object['required']) ? object['required'] : [];
      for (const [key, child] of Object.entries(object['properties']))
        if (isSchema(child)) this.walk(`${prefix}${key}`, child, required.includes(key));
    } else if (object !== undefined && isSchema(object['additionalProperties'])) {
      const names = isSchema(object['propertyNames']) ? object['propertyNames']['title'] : undefined;
      const name = `<${typeof names === 'string' ? names.replace(/\s+/g, '_') : 'name'}>`;
      const value = this.resolve(object['additionalProperties']);
      this.row(`${prefix}${name}`, value, false);
      this.children(`${prefix}${name}`, value);
    } else if (r.s['type'] === 'array' && isSchema(r.s['items'])) {
      this.children(`${path}[]`, this.resolve(r.s['items']));
    }
  }

  /** The keys of every branch, once each; a key only some branches have says which. */
  union(prefix: string, options: Schema[]): void {
    const props = options.map((o) => (isSchema(o['properties']) ? o['properties'] : {}));
    const keys = [...new Set(props.flatMap((p) => Object.keys(p)))];
    const discriminator = keys.find((k) =>
      props.every((p) => {
        const member = p[k];
        return isSchema(member) && 'const' in member;
      }),
    );
    const tag = (i: number): string =>
      discriminator === undefined ? `#${i + 1}` : literal((props[i]?.[discriminator] as Schema)['const']);
    for (const key of keys) {
      const having = options.map((_, i) => i).filter((i) => isSchema(props[i]?.[key]));
      const required = having.every((i) => {
        const req = options[i]?.['required'];
        return Array.isArray(req) && req.includes(key);
      });
      const variants = having.map((i) => props[i]?.[key] as Schema);
      const note =
        discriminator !== undefined && key !== discriminator && having.length < options.length
          ? ` (with \`${discriminator}\`: ${having.map(tag).join(', ')})`
          : '';
      const same = new Set(variants.map((v) => JSON.stringify(v))).size === 1;
      if (key === discriminator) {
        const first = this.resolve(variants[0] ?? {});
        this.rows.push({
          path: `${prefix}${key}`,
          type: this.typeName(first),
          default: required ? 'required' : '',
          values: variants.map((v) => literal(v['const'])).join(', '),
          description: typeof first.s['description'] === 'string' ? first.s['description'] : '',
        });
      } else if (same) this.walk(`${prefix}${key}`, variants[0] ?? {}, required, note);
      else {
        // The same key with different checks per branch (min of a number or of an integer).
        const resolved = variants.map((v) => this.resolve(v));
        const distinct = (f: (r: Resolved) => string): string => [...new Set(resolved.map(f))].join(' / ');
        const description = resolved.map((v) => v.s['description']).find((d) => typeof d === 'string');
        this.rows.push({
          path: `${prefix}${key}`,
          type: [...new Set(resolved.map((v) => this.typeName(v)))].join(' or '),
          default: distinct((v) => this.defaultOf(v, required)),
          values: distinct((v) => this.values(v).join(', ')),
          description: (typeof description === 'string' ? description : '') + note,
        });
      }
    }
  }
}

/** One row per key path, in the schema's order. */
export function referenceRows(schema: JsonSchema): ReferenceRow[] {
  const definitions = isSchema(schema['definitions']) ? schema['definitions'] : {};
  const walker = new Walker(definitions);
  walker.walk('', schema, true);
  return walker.rows;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The rows as a Markdown table. */
export function referenceTable(rows: readonly ReferenceRow[]): string {
  const lines = ['| key | type | default | values | description |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows)
    lines.push(
      `| ${[code(r.path), r.type, r.default === '' ? '—' : r.default, r.values, r.description].map(cell).join(' | ')} |`,
    );
  return lines.join('\n') + '\n';
}
