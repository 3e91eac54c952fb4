import { buildInfo } from '../build-info.ts';

export function version(): string {
  const { version, node, commit } = buildInfo();
  return commit === 'unknown'
    ? `tty2mqtt ${version} (node ${node})`
    : `tty2mqtt ${version} (node ${node}, commit ${commit})`;
}
