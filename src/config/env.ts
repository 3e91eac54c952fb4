// `${VAR}` and `${VAR:-default}` in gateway.yaml string values (docs/contract.md §2: secrets come
// from password_file or ${ENV_VAR}). Done on the parsed tree, before validation, so a problem
// still points at the scalar the user wrote. `$${` writes a literal `${`.
import type * as Yaml from 'yaml';
import type { Document, Scalar } from 'yaml';
import { requireCjs } from '../require-cjs.ts';

// require(), not import: src/require-cjs.ts.
const { isMap, isScalar, isSeq, parse } = requireCjs('yaml') as typeof Yaml;
import type { ConfigPath } from './positions.ts';

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface EnvSubstitution {
  /** Variables that are unset and have no default, with where they are used. */
  missing: { path: ConfigPath; name: string }[];
  /** Paths whose value came (partly) from the environment: treated as secret. */
  substituted: ConfigPath[];
}

/**
 * An unquoted value gets its YAML type after substitution, as if it had been written there
 * (`baud_rate: ${BAUD}` is a number); quote it (`"${PIN}"`) to keep a string.
 */
function retype(text: string): unknown {
  if (/^(null|Null|NULL|~)$/.test(text)) return null;
  try {
    const v: unknown = parse(text);
    return typeof v === 'number' || typeof v === 'boolean' ? v : text;
  } catch {
    return text;
  }
}

function substituteScalar(
  node: Scalar,
  path: ConfigPath,
  env: NodeJS.ProcessEnv,
  out: EnvSubstitution,
): void {
  if (typeof node.value !== 'string' || !node.value.includes('${')) return;
  let changed = false;
  let fromEnv = false;
  const text = node.value.replace(
    REFERENCE,
    (whole, name: string | undefined, fallback: string | undefined) => {
      changed = true;
      if (name === undefined) return '${'; // `$${` escape
      fromEnv = true;
      const value = env[name];
      if (value !== undefined && (value !== '' || fallback === undefined)) return value;
      if (fallback !== undefined) return fallback;
      out.missing.push({ path, name });
      return whole;
    },
  );
  if (!changed) return;
  if (fromEnv) out.substituted.push(path);
  node.value = node.type === 'PLAIN' ? retype(text) : text;
}

function walk(node: unknown, path: ConfigPath, env: NodeJS.ProcessEnv, out: EnvSubstitution): void {
  if (isScalar(node)) substituteScalar(node, path, env, out);
  else if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key)) walk(pair.value, [...path, String(pair.key.value)], env, out);
    }
  } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i], env, out));
}

/** The problem text for an unset variable without a default. */
export function missingVariableMessage(name: string): string {
  // systemd sets it only for a unit with LoadCredential=.
  if (name === 'CREDENTIALS_DIRECTORY')
    return 'environment variable CREDENTIALS_DIRECTORY is not set: systemd sets it only for a unit with LoadCredential= (see also password_file: credential:NAME)';
  return `environment variable ${name} is not set (write \${${name}:-default} for a fallback)`;
}

/** Substitutes in place, in values only (never in keys). */
export function substituteEnv(doc: Document, env: NodeJS.ProcessEnv): EnvSubstitution {
  const out: EnvSubstitution = { missing: [], substituted: [] };
  walk(doc.contents, [], env, out);
  return out;
}
