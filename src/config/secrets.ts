// password_file (PRODUCT.md §2): relative to the config file, readable, and not readable by
// group or others. The contents are a secret: no message ever includes them.
// `password_file: credential:NAME` reads systemd's LoadCredential=NAME:… (issue 8): the file
// $CREDENTIALS_DIRECTORY/NAME, which systemd makes readable by the service alone, so the
// secret file itself can stay root-only. (`${CREDENTIALS_DIRECTORY}/NAME` works as well,
// through the ${ENV} substitution of env.ts.)
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

export async function readSecretFile(file: string): Promise<SecretRead> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return { ok: false, message: `password file ${file} is not a regular file` };
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0)
      return {
        ok: false,
        message: `password file ${file} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`,
      };
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

/** mqtt.tls ca/cert/key must be readable files; checked now so `check` catches them. */
export async function checkTlsFiles(src: YamlSource, data: unknown, dir: string): Promise<ConfigProblem[]> {
  const mqtt = isRecord(data) ? data['mqtt'] : undefined;
  const tls = isRecord(mqtt) ? mqtt['tls'] : undefined;
  if (!isRecord(tls)) return [];
  const problems: ConfigProblem[] = [];
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = tls[key];
    if (typeof value !== 'string') continue;
    const file = resolve(dir, value);
    try {
      if (!(await stat(file)).isFile())
        problems.push(problemAt(src, ['mqtt', 'tls', key], `${file} is not a regular file`));
      else await access(file, constants.R_OK);
    } catch (e) {
      problems.push(
        problemAt(src, ['mqtt', 'tls', key], errnoText(file, (e as NodeJS.ErrnoException).code, 'file')),
      );
    }
  }
  if (problems.length > 0) return problems;
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
