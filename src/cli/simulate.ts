// `tty2mqtt simulate --device ID --path TTY`: play a profile's reference device on a real
// tty (docs/contract.md §1), for tests and trials without hardware.
import { resolve } from 'node:path';
import { parseDuration } from '../config/units.ts';
import { loadProfileById } from '../config/profiles.ts';
import { ErrorCodes, GatewayError } from '../errors.ts';
import { runSimulate } from '../sim/simulate-command.ts';
import { runSimulateMqttSn } from '../sim/simulate-mqttsn.ts';
import type { CommandContext } from './context.ts';
import { stringArg } from './context.ts';
import { loadConfigFor, profileDirs } from './load.ts';

function usage(message: string): GatewayError {
  return new GatewayError(ErrorCodes.USAGE, `${message} (see: tty2mqtt simulate --help)`);
}

function positiveInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw usage(`--${name} must be a positive whole number, got "${text}"`);
  return Number(text);
}

export async function simulateCommand(context: CommandContext): Promise<number> {
  const id = stringArg(context, 'device');
  const path = stringArg(context, 'path');
  if (id === undefined || path === undefined) throw usage('simulate needs --device ID and --path TTY');
  const intervalText = stringArg(context, 'interval');
  const intervalMs = intervalText === undefined ? undefined : parseDuration(intervalText);
  if (intervalText !== undefined && intervalMs === undefined)
    throw usage(`--interval must be a duration such as 500ms or 2s, got "${intervalText}"`);
  const configFile = stringArg(context, 'config');
  const loaded = configFile === undefined ? undefined : await loadConfigFor(context);
  const profile = await loadProfileById(id, profileDirs(context, loaded), context.cwd);
  const count = positiveInt(stringArg(context, 'count'), 'count');
  context.stderr.write(
    `simulating ${profile.id} (${profile.description}) on ${resolve(context.cwd, path)}; Ctrl-C stops\n`,
  );
  if (profile.protocol === 'mqttsn') {
    const qosText = stringArg(context, 'qos') ?? '1';
    if (!['-1', '0', '1', '2'].includes(qosText))
      throw usage(`--qos must be -1, 0, 1 or 2, got "${qosText}"`);
    const sleepS = positiveInt(stringArg(context, 'sleep'), 'sleep');
    await runSimulateMqttSn({
      profile,
      path,
      baudRate: positiveInt(stringArg(context, 'baud'), 'baud') ?? 115200,
      ...(intervalMs === undefined ? {} : { intervalMs }),
      ...(count === undefined ? {} : { count }),
      qos: Number(qosText) as -1 | 0 | 1 | 2,
      ...(sleepS === undefined ? {} : { sleepS }),
      signal: context.signal,
      out: (line) => context.stdout.write(`${line}\n`),
    });
    return 0;
  }
  await runSimulate({
    profile,
    path,
    baudRate: positiveInt(stringArg(context, 'baud'), 'baud') ?? 115200,
    ...(intervalMs === undefined ? {} : { intervalMs }),
    ...(count === undefined ? {} : { count }),
    signal: context.signal,
    out: (line) => context.stdout.write(`${line}\n`),
  });
  return 0;
}
