// Device profiles (docs/contract.md §3): `<devices_dir>/<id>/profile.yaml`, else the profile shipped
// with tty2mqtt. Problems in a profile are reported against the profile file itself.
import { access, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { ConfigProblem } from '../errors.ts';
import { issuesToProblems } from './issues.ts';
import type { ConfigPath } from './positions.ts';
import { orderProblems } from './problem-order.ts';
import { checkProfileData } from './profile-checks.ts';
import { profileSchema } from './schema.ts';
import type { DeviceProfile } from './schema.ts';
import { defaultTopicTemplate } from '../topics/template.ts';
import { displayPath, problemAt, readYaml } from './yaml-source.ts';
import type { YamlSource } from './yaml-source.ts';

export type LoadedProfile = DeviceProfile & {
  /** Absolute path of profile.yaml. */
  file: string;
  /** Its folder: the reference firmware and simulator data live beside it. */
  dir: string;
  /** `publish.topic`, or the default for the profile's mode and format (docs/contract.md §5). */
  topicTemplate: string;
  /** `availability_timeout`, or 3× a stated `interval`, or 120 s. */
  availabilityTimeoutMs: number;
  /** `interval` when the profile states one; null: the device reports on events only. */
  statedIntervalMs: number | null;
};

/** Availability without a stated interval: a device silent for 2 minutes is gone. */
const DEFAULT_AVAILABILITY_TIMEOUT_MS = 120_000;

/** A port's `device:` value and where it is written. */
export interface ProfileRef {
  id: string;
  path: ConfigPath;
}

export interface ProfileLookup {
  config: YamlSource;
  devicesDir: string;
  shippedDir: string;
  cwd: string;
}

const PROFILE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function profileIds(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const ids = await Promise.all(
    entries.map(async (e) =>
      e.isDirectory() && (await exists(join(dir, e.name, 'profile.yaml'))) ? e.name : '',
    ),
  );
  return ids.filter((id) => id !== '');
}

async function loadOne(
  file: string,
  id: string,
  cwd: string,
): Promise<{ profile?: LoadedProfile; problems: ConfigProblem[]; warnings: ConfigProblem[] }> {
  const parsed = await readYaml(file, displayPath(cwd, file));
  if (!parsed.usable) return { problems: parsed.problems, warnings: [] };
  const src = parsed.source;
  const data: unknown = src.doc.toJS();
  const result = profileSchema.safeParse(data);
  // The schema's problems and the checks on the profile as written, in one run: a type error
  // does not hide a wrong id, topic template or Home Assistant class.
  const checked = checkProfileData(src, id, data);
  const problems = [...parsed.problems, ...checked.problems];
  if (!result.success) {
    const ctx = { src, schema: profileSchema, data, isSecret: () => false };
    return {
      problems: [...issuesToProblems(ctx, result.error.issues), ...problems],
      warnings: checked.warnings,
    };
  }
  const topicTemplate = result.data.publish.topic ?? defaultTopicTemplate(result.data);
  const statedInterval = (data as { interval?: unknown } | null)?.interval !== undefined;
  const availabilityTimeoutMs =
    result.data.availability_timeout ??
    (statedInterval ? 3 * result.data.interval : DEFAULT_AVAILABILITY_TIMEOUT_MS);
  const statedIntervalMs = statedInterval && result.data.interval > 0 ? result.data.interval : null;
  return {
    profile: {
      ...result.data,
      file,
      dir: dirname(file),
      topicTemplate,
      availabilityTimeoutMs,
      statedIntervalMs,
    },
    problems,
    warnings: checked.warnings,
  };
}

/**
 * Loads each distinct profile the ports name, once. Returns the valid ones by id; a port whose
 * profile is missing or broken gets no entry (its problems are already in `problems`).
 */
export async function loadProfiles(
  refs: readonly ProfileRef[],
  lookup: ProfileLookup,
): Promise<{ profiles: Map<string, LoadedProfile>; problems: ConfigProblem[]; warnings: ConfigProblem[] }> {
  const profiles = new Map<string, LoadedProfile>();
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const missing: ProfileRef[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    if (!PROFILE_ID.test(ref.id)) {
      problems.push(
        problemAt(
          lookup.config,
          ref.path,
          `"${ref.id}" is not a device profile id (lowercase letters, digits, _ or -)`,
        ),
      );
      continue;
    }
    if (seen.has(ref.id)) {
      if (missing.some((m) => m.id === ref.id)) missing.push(ref);
      continue;
    }
    seen.add(ref.id);
    const candidates = [lookup.devicesDir, lookup.shippedDir].map((d) => join(d, ref.id, 'profile.yaml'));
    let file: string | undefined;
    for (const c of candidates) if (file === undefined && (await exists(c))) file = c;
    if (file === undefined) {
      missing.push(ref);
      continue;
    }
    const one = await loadOne(file, ref.id, lookup.cwd);
    problems.push(...one.problems);
    warnings.push(...one.warnings);
    if (one.profile !== undefined && one.problems.length === 0) profiles.set(ref.id, one.profile);
  }
  if (missing.length > 0) {
    const available = [
      ...new Set([...(await profileIds(lookup.devicesDir)), ...(await profileIds(lookup.shippedDir))]),
    ].sort();
    const list = available.length > 0 ? available.join(', ') : 'none';
    for (const ref of missing)
      problems.push(
        problemAt(
          lookup.config,
          ref.path,
          `no device profile "${ref.id}" in ${lookup.devicesDir} or the shipped profiles (available: ${list})`,
        ),
      );
  }
  return { profiles, problems, warnings };
}

/**
 * One profile by id, for `tty2mqtt simulate`: the first of `dirs` that has it wins. Throws
 * ConfigError with every problem of a broken profile, or one naming what is available.
 */
export async function loadProfileById(
  id: string,
  dirs: readonly string[],
  cwd: string,
): Promise<LoadedProfile> {
  if (!PROFILE_ID.test(id))
    throw new ConfigError([
      {
        file: '(command line)',
        line: 1,
        col: 1,
        path: 'device',
        message: `"${id}" is not a device profile id`,
      },
    ]);
  for (const dir of dirs) {
    const file = join(dir, id, 'profile.yaml');
    if (!(await exists(file))) continue;
    const one = await loadOne(file, id, cwd);
    if (one.profile !== undefined && one.problems.length === 0) return one.profile;
    throw new ConfigError(orderProblems(one.problems), orderProblems(one.warnings));
  }
  const available = [...new Set((await Promise.all(dirs.map(profileIds))).flat())].sort().join(', ');
  throw new ConfigError([
    {
      file: '(command line)',
      line: 1,
      col: 1,
      path: 'device',
      message: `no device profile "${id}" in ${dirs.join(' or ')} (available: ${available === '' ? 'none' : available})`,
    },
  ]);
}
