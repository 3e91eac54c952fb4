import { buildInfo } from '../build-info.ts';

export function version(): string {
  const { version, node } = buildInfo();
  return `tty2mqtt ${version} (node ${node})`;
}
