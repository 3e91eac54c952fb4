import { readFileSync } from 'node:fs';
import { packagePath } from '../package-root.ts';

export function version(): string {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as {
    version: string;
  };
  return `tty2mqtt ${pkg.version} (node ${process.version})`;
}
