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
   * The source commit the bundle was built from (scripts/build.ts stamps it; `+changes` when
   * src/ differed from it). "unknown" when run from the sources, or built outside a git
   * checkout: a label value is never empty (Prometheus drops empty labels, and the series
   * would lose its label set's shape).
   */
  commit: string;
}

/** Replaced by the build (esbuild `define`); not defined when run from the sources. */
declare const TTY2MQTT_BUILD_COMMIT: string | undefined;

let cached: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (cached !== undefined) return cached;
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  const commit = typeof TTY2MQTT_BUILD_COMMIT === 'string' ? TTY2MQTT_BUILD_COMMIT : 'unknown';
  cached = { version: pkg.version, node: process.version, commit };
  return cached;
}
