// password_file (docs/contract.md §2): relative to the config file, readable, and not readable by
// group or others. The contents are a secret: no message ever includes them.
// `password_file: credential:NAME` reads systemd's LoadCredential=NAME:…: the file
// $CREDENTIALS_DIRECTORY/NAME, which systemd makes readable by the service alone, so the
// secret file itself can stay root-only. (`${CREDENTIALS_DIRECTORY}/NAME` works as well,
// through the ${ENV} substitution of env.ts.)
// TLS private keys (mqtt.tls.key, embedded_broker.tls.key) are secrets too: the same rule and
// message, so a key left 0644 by `openssl … > key.pem` under umask 022 is refused by `check`.
import { constants, readFileSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ConfigProblem } from '../errors.ts';
import type { ConfigPath } from './positions.ts';
import { formatPath } from './positions.ts';
import { problemAt } from './yaml-source.ts';
import type { YamlSource } from './yaml-source.ts';
import { tlsMaterialProblems } from './tls-material.ts';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export type SecretRead = { ok: true; value: string } | { ok: false; message: string };

function errnoText(file: string, code: string | undefined, what: string): string {
  if (code === 'ENOENT') return `${what} ${file} does not exist`;
  if (code === 'EACCES') return `${what} ${file} is not readable by this user`;
  return `${what} ${file} cannot be read (${code ?? 'error'})`;
}

/**
 * A file holding a secret (a password, a TLS private key) must be the owner's alone: any
 * group or other permission is refused, with the fix. Undefined when the mode is private.
 */
function exposedSecret(what: string, file: string, mode: number): string | undefined {
  const bits = mode & 0o777;
  if ((bits & 0o077) === 0) return undefined;
  return `${what} ${file} is readable by group or others (mode ${bits.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`;
}

export async function readSecretFile(file: string): Promise<SecretRead> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return { ok: false, message: `password file ${file} is not a regular file` };
    const exposed = exposedSecret('password file', file, st.mode);
    if (exposed !== undefined) return { ok: false, message: exposed };
    const value = (await readFile(file, 'utf8')).replace(/[\r\n]+$/, '');
    if (value === '') return { ok: false, message: `password file ${file} is empty` };
    return { ok: true, value };
  } catch (e) {
    return { ok: false, message: errnoText(file, (e as NodeJS.ErrnoException).code, 'password file') };
  }
}

const CREDENTIAL_PREFIX = 'credential:';

type SecretLocation = { ok: true; file: string } | { ok: false; message: string };

/** The file a password_file value names: a path relative to `dir`, or `credential:NAME`. */
export function secretLocation(value: string, dir: string, env: NodeJS.ProcessEnv): SecretLocation {
  if (!value.startsWith(CREDENTIAL_PREFIX)) return { ok: true, file: resolve(dir, value) };
  const name = value.slice(CREDENTIAL_PREFIX.length);
  // systemd.exec(5): a credential name is a valid file name.
  if (name === '' || name === '.' || name === '..' || name.includes('/'))
    return { ok: false, message: `"${value}": a credential name is a file name such as mqtt-password` };
  const credentials = env['CREDENTIALS_DIRECTORY'];
  if (credentials === undefined || credentials === '')
    return {
      ok: false,
      message: `${value} needs systemd's LoadCredential=${name}:/etc/tty2mqtt/<secret file> in the unit, and CREDENTIALS_DIRECTORY is not set (not started by systemd with LoadCredential=); outside systemd give a file path`,
    };
  return { ok: true, file: join(credentials, name) };
}

async function readPasswordFile(value: string, dir: string, env: NodeJS.ProcessEnv): Promise<SecretRead> {
  const location = secretLocation(value, dir, env);
  if (!location.ok) return location;
  const result = await readSecretFile(location.file);
  if (!result.ok && value.startsWith(CREDENTIAL_PREFIX) && result.message.endsWith('does not exist')) {
    const name = value.slice(CREDENTIAL_PREFIX.length);
    return {
      ok: false,
      message: `credential ${name} is not in $CREDENTIALS_DIRECTORY (${location.file} does not exist); the unit needs LoadCredential=${name}:/etc/tty2mqtt/<secret file>`,
    };
  }
  return result;
}

/** Where password_file keys may appear in gateway.yaml, as written. */
function passwordFileRefs(data: unknown): { path: ConfigPath; file: string }[] {
  const refs: { path: ConfigPath; file: string }[] = [];
  const mqtt = isRecord(data) ? data['mqtt'] : undefined;
  if (isRecord(mqtt) && typeof mqtt['password_file'] === 'string')
    refs.push({ path: ['mqtt', 'password_file'], file: mqtt['password_file'] });
  const broker = isRecord(data) ? data['embedded_broker'] : undefined;
  const users = isRecord(broker) ? broker['users'] : undefined;
  if (Array.isArray(users))
    users.forEach((u: unknown, i) => {
      if (isRecord(u) && typeof u['password_file'] === 'string')
        refs.push({ path: ['embedded_broker', 'users', i, 'password_file'], file: u['password_file'] });
    });
  return refs;
}

export interface SecretFiles {
  /** Password by the formatted path of its password_file key (`mqtt.password_file`). */
  passwords: Map<string, string>;
  problems: ConfigProblem[];
}

export async function readPasswordFiles(
  src: YamlSource,
  data: unknown,
  dir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<SecretFiles> {
  const passwords = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const ref of passwordFileRefs(data)) {
    const result = await readPasswordFile(ref.file, dir, env);
    if (result.ok) passwords.set(formatPath(ref.path), result.value);
    else problems.push(problemAt(src, ref.path, result.message));
  }
  return { passwords, problems };
}

/**
 * embedded_broker.tls.key: a private key, so private to the owner like mqtt.tls.key (the
 * broker reads its files when it starts; `check` and `run` refuse a loose key before that).
 */
async function embeddedKeyProblems(src: YamlSource, data: unknown, dir: string): Promise<ConfigProblem[]> {
  const broker = isRecord(data) ? data['embedded_broker'] : undefined;
  const tls = isRecord(broker) ? broker['tls'] : undefined;
  const value = isRecord(tls) ? tls['key'] : undefined;
  if (typeof value !== 'string' || value === '') return [];
  const file = resolve(dir, value);
  const path: ConfigPath = ['embedded_broker', 'tls', 'key'];
  try {
    const st = await stat(file);
    if (!st.isFile()) return [problemAt(src, path, `${file} is not a regular file`)];
    const exposed = exposedSecret('private key', file, st.mode);
    return exposed === undefined ? [] : [problemAt(src, path, exposed)];
  } catch (e) {
    return [problemAt(src, path, errnoText(file, (e as NodeJS.ErrnoException).code, 'private key'))];
  }
}

/**
 * mqtt.tls ca/cert/key must be readable files, and the private keys (mqtt.tls.key,
 * embedded_broker.tls.key) the owner's alone; checked now so `check` catches them.
 */
export async function checkTlsFiles(src: YamlSource, data: unknown, dir: string): Promise<ConfigProblem[]> {
  const embedded = await embeddedKeyProblems(src, data, dir);
  const mqtt = isRecord(data) ? data['mqtt'] : undefined;
  const tls = isRecord(mqtt) ? mqtt['tls'] : undefined;
  if (!isRecord(tls)) return embedded;
  const problems: ConfigProblem[] = [...embedded];
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = tls[key];
    if (typeof value !== 'string') continue;
    const file = resolve(dir, value);
    try {
      const st = await stat(file);
      const exposed = key === 'key' ? exposedSecret('private key', file, st.mode) : undefined;
      if (!st.isFile()) problems.push(problemAt(src, ['mqtt', 'tls', key], `${file} is not a regular file`));
      else if (exposed !== undefined) problems.push(problemAt(src, ['mqtt', 'tls', key], exposed));
      else await access(file, constants.R_OK);
    } catch (e) {
      problems.push(
        problemAt(src, ['mqtt', 'tls', key], errnoText(file, (e as NodeJS.ErrnoException).code, 'file')),
      );
    }
  }
  if (problems.length > embedded.length) return problems;
  const path = (key: 'ca' | 'cert' | 'key'): string | null => {
    const value = tls[key];
    return typeof value === 'string' ? value : null;
  };
  for (const problem of tlsMaterialProblems({ ca: path('ca'), cert: path('cert'), key: path('key') }, (p) =>
    readFileSync(resolve(dir, p)),
  ))
    problems.push(problemAt(src, ['mqtt', 'tls', problem.key], problem.message));
  return problems;
}
