// The ports' `path`s on this machine (docs/contract.md §2): two ports on one serial device are
// an error — both would open it and each would get a share of its lines — and a path that is
// not there now is a warning, not an error: a board may be unplugged, and the daemon opens
// the port when it appears. Paths are compared after resolving symlinks, so
// /dev/serial/by-id/… and the /dev/ttyACM0 it points to are one device. Reads the file
// system (realpath) and opens nothing.
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ConfigProblem } from '../errors.ts';
import { rawPorts } from './cross-checks.ts';
import { problemAt, warningAt } from './yaml-source.ts';
import type { YamlSource } from './yaml-source.ts';

/** The device a path names: its real path, or null when it does not exist. */
async function deviceOf(path: string): Promise<string | null> {
  try {
    return await realpath(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Any other error (EACCES on a parent folder) is not "absent": open will say what it is.
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : path;
  }
}

export async function portPathFindings(
  src: YamlSource,
  data: unknown,
  cwd: string,
): Promise<{ problems: ConfigProblem[]; warnings: ConfigProblem[] }> {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const first = new Map<string, { name: string; at: ConfigProblem; path: string }>();
  for (const { index, port } of rawPorts(data)) {
    const path = port['path'];
    if (typeof path !== 'string' || path === '') continue;
    const name = typeof port['name'] === 'string' ? port['name'] : `ports[${index}]`;
    const at = ['ports', index, 'path'];
    const absolute = resolve(cwd, path);
    const device = await deviceOf(absolute);
    const key = device ?? absolute;
    const earlier = first.get(key);
    if (earlier === undefined) {
      // Said once per device: a second port on it is an error of its own, below.
      if (device === null)
        warnings.push(
          warningAt(src, at, `port "${name}": ${path} does not exist (a board may be unplugged)`),
        );
      first.set(key, { name, at: problemAt(src, at, ''), path });
      continue;
    }
    const where = `${earlier.at.path} at ${earlier.at.file}:${earlier.at.line}:${earlier.at.col}`;
    const both = key === path || key === earlier.path ? '' : ` (both are ${key})`;
    const what =
      earlier.path === path
        ? `${path} is also the path of port "${earlier.name}"`
        : `${path} is the same device as ${earlier.path} of port "${earlier.name}"${both}`;
    problems.push(
      problemAt(src, at, `port "${name}": ${what} (${where}); two ports cannot share one serial device`),
    );
  }
  return { problems, warnings };
}
