// What this build is, for `tty2mqtt --version` and the `tty2mqtt_build_info` metric: one
// reading of package.json for both.
import { readFileSync } from 'node:fs';
import { packagePath } from './package-root.ts';

export interface BuildInfo {
  /** package.json `version`. */
  version: string;
  /** The Node.js running it, e.g. `v20.11.1`. */
  node: string;
  /**
   * The source commit. Neither the checkout deploy/install.sh copies nor the npm bundle is
   * stamped with one, so it is "unknown" (a label value is never empty: Prometheus drops
   * empty labels, and the series would lose its label set's shape).
   */
  commit: string;
}

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (cached !== undefined) return cached;
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  cached = { version: pkg.version, node: process.version, commit: 'unknown' };
  return cached;
}
