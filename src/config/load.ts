// gateway.yaml → a validated, resolved, deep-frozen config (docs/contract.md §1–§3, §5). Every
// problem (YAML, schema, profiles, cross-checks, port paths, secret files) is collected and
// thrown at once as a ConfigError, printed as FILE:LINE:COL: path: message, by file and
// position, before anything is opened; warnings come along, in the same order.
import { access } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { ConfigError, ErrorCodes, GatewayError } from '../errors.ts';
import type { ConfigProblem } from '../errors.ts';
import { crossCheck, profileRefs } from './cross-checks.ts';
import { missingVariableMessage, substituteEnv } from './env.ts';
import { issuesToProblems, withoutPaths } from './issues.ts';
import { formatPath } from './positions.ts';
import type { ConfigPath } from './positions.ts';
import { portPathFindings } from './port-paths.ts';
import { orderProblems } from './problem-order.ts';
import { loadProfiles } from './profiles.ts';
import type { LoadedProfile } from './profiles.ts';
import { deepFreeze, resolveConfig } from './resolve.ts';
import type { ResolvedConfig } from './resolve.ts';
import { gatewayConfigSchema } from './schema.ts';
import { parseStoredPassword } from '../secrets/password-hash.ts';
import { checkTlsFiles, readPasswordFiles } from './secrets.ts';
import { displayPath, problemAt, readYaml } from './yaml-source.ts';
import type { YamlSource } from './yaml-source.ts';

export type { LoadedProfile } from './profiles.ts';
export type { ResolvedConfig, ResolvedUser } from './resolve.ts';

export interface LoadedConfig {
  /** Absolute path of the file that was loaded. */
  readonly file: string;
  /** Its directory. */
  readonly dir: string;
  readonly config: ResolvedConfig;
  /** The valid profile of every device id the ports use. */
  readonly profiles: ReadonlyMap<string, LoadedProfile>;
  /** What `check` warns about, located and in print order (a port path not there now …). */
  readonly warnings: readonly ConfigProblem[];
}

export interface LoadOptions {
  /** `-c FILE`; relative to cwd. */
  file?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The `devices/` folder shipped with tty2mqtt. */
  shippedDevicesDir: string;
  /** For tests; default os.hostname(). */
  hostname?: string;
}

export const SYSTEM_CONFIG = '/etc/tty2mqtt/gateway.yaml';

/** docs/contract.md §1: `-c FILE`, else ./gateway.yaml, else /etc/tty2mqtt/gateway.yaml. */
async function findConfigFile(options: LoadOptions): Promise<string> {
  const candidates =
    options.file !== undefined
      ? [resolve(options.cwd, options.file)]
      : [resolve(options.cwd, 'gateway.yaml'), SYSTEM_CONFIG];
  for (const c of candidates) {
    if (
      await access(c).then(
        () => true,
        () => false,
      )
    )
      return c;
  }
  throw new GatewayError(
    ErrorCodes.CONFIG_NOT_FOUND,
    `no configuration: looked for ${candidates.join(', ')}`,
  );
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const file = await findConfigFile(options);
  const dir = dirname(file);
  const parsed = await readYaml(file, displayPath(options.cwd, file));
  if (!parsed.usable) throw new ConfigError(orderProblems(parsed.problems));
  const src = parsed.source;
  const problems: ConfigProblem[] = [...parsed.problems];

  const env = substituteEnv(src.doc, options.env);
  for (const m of env.missing) problems.push(problemAt(src, m.path, missingVariableMessage(m.name)));
  const data: unknown = src.doc.toJS();
  const empty = data === null || data === undefined;
  if (empty)
    problems.push({
      file: src.display,
      line: 1,
      col: 1,
      path: '',
      message: 'the file is empty; a minimal config is "ports:" with one entry',
    });

  const secretPaths = new Set(env.substituted.map(formatPath));
  const isSecret = (path: ConfigPath): boolean =>
    path[path.length - 1] === 'password' || secretPaths.has(formatPath(path));
  const result = gatewayConfigSchema.safeParse(data);
  if (!result.success && !empty) {
    const schemaProblems = issuesToProblems(
      { src, schema: gatewayConfigSchema, data, isSecret },
      result.error.issues,
    );
    problems.push(
      ...withoutPaths(
        schemaProblems,
        env.missing.map((m) => m.path),
      ),
    );
  }

  const devicesDirRaw = (data as { devices_dir?: unknown } | null)?.devices_dir;
  const devicesDir = resolve(dir, typeof devicesDirRaw === 'string' ? devicesDirRaw : './devices');
  const lookup = { config: src, devicesDir, shippedDir: options.shippedDevicesDir, cwd: options.cwd };
  const loadedProfiles = await loadProfiles(profileRefs(data), lookup);
  const { profiles } = loadedProfiles;
  problems.push(...loadedProfiles.problems, ...crossCheck(src, data, profiles));
  const paths = await portPathFindings(src, data, options.cwd);
  problems.push(...paths.problems);
  const warnings = orderProblems([...paths.warnings, ...loadedProfiles.warnings], src.display);
  const secrets = await readPasswordFiles(src, data, dir, options.env);
  problems.push(...secrets.problems, ...(await checkTlsFiles(src, data, dir)));
  problems.push(...checkBrokerPasswords(src, data, secrets.passwords));

  if (problems.length > 0 || !result.success)
    throw new ConfigError(orderProblems(problems, src.display), warnings);
  const config = resolveConfig(result.data, {
    dir,
    env: options.env,
    hostname: options.hostname ?? osHostname(),
    passwords: secrets.passwords,
  });
  return deepFreeze({ file, dir, config, profiles, warnings });
}

/**
 * An embedded broker user's password_file that looks like a mosquitto_passwd hash must be a
 * valid one; said by `check`, not only when the broker starts. The parser is the broker's
 * own (pure), so both agree. Messages name the file and user, never the content.
 */
function checkBrokerPasswords(
  src: YamlSource,
  data: unknown,
  passwords: Map<string, string>,
): ConfigProblem[] {
  const broker = (data as { embedded_broker?: { users?: unknown } } | null)?.embedded_broker;
  const users = Array.isArray(broker?.users) ? (broker.users as unknown[]) : [];
  const problems: ConfigProblem[] = [];
  users.forEach((user, i) => {
    const u = user as { username?: unknown; password_file?: unknown } | null;
    const path: ConfigPath = ['embedded_broker', 'users', i, 'password_file'];
    const content = passwords.get(formatPath(path));
    if (typeof u?.username !== 'string' || content === undefined) return;
    const parsed = parseStoredPassword(u.username, content);
    if (!parsed.ok)
      problems.push(problemAt(src, path, `password file ${String(u.password_file)} ${parsed.reason}`));
  });
  return problems;
}
