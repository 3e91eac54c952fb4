// `tty2mqtt flash <PORT-NAME> <FIRMWARE.hex|.elf>`: asks the running daemon to program the
// board on one of its ports (docs/firmware.md). The daemon does the work — it owns the port —
// and this command only checks the image first (the same checks the daemon makes, so a wrong
// file is refused before anything is sent), sends it on `<base>/gateway/request/flash` and
// prints the progress and the answer from `<base>/gateway/response/flash`.
import { ErrorCodes, GatewayError } from '../errors.ts';
import { readFirmwareFile } from '../firmware/image-file.ts';
import { formatIntelHex } from '../firmware/intel-hex-write.ts';
import { MCUS, checkImage } from '../firmware/mcu.ts';
import { askGateway } from '../mqtt/gateway-request-client.ts';
import { parseDuration } from '../config/units.ts';
import type { FlashOutcome } from '../app/firmware-flash.ts';
import type { FlashProgress } from '../firmware/programmer.ts';
import type { CommandContext } from './context.ts';
import { stringArg } from './context.ts';
import { controlLink } from './control-link.ts';
import { loadConfigFor } from './load.ts';

/** Without any answer this long, the daemon is not listening (or may not be asked). */
const FIRST_ANSWER_MS = 15_000;
const DEFAULT_TIMEOUT = '5m';

function progressLine(p: FlashProgress): string {
  if (p.bytes === undefined || p.of === undefined || p.of === 0) return `${p.stage}…`;
  const percent = Math.floor((100 * p.bytes) / p.of);
  return `${p.stage.padEnd(9)} ${String(percent).padStart(3)} % (${p.bytes}/${p.of} bytes)`;
}

export function resultLines(r: FlashOutcome): string {
  const lines = [
    `flashed ${r.bytes} bytes to port ${r.port} (${r.mcu}, signature ${r.signature}) in ${(r.ms / 1000).toFixed(1)} s with ${r.programmer}` +
      (r.verified ? ', verified' : ', not verified (--no-verify)'),
    `port ${r.port} was closed for ${(r.offlineMs / 1000).toFixed(1)} s and is read again`,
    r.banner === null ? 'the new firmware printed nothing yet' : `new firmware says: ${r.banner}`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function flashCommand(context: CommandContext): Promise<number> {
  const [portName, file, ...extra] = context.positionals;
  if (portName === undefined || file === undefined || extra.length > 0)
    throw new GatewayError(
      ErrorCodes.USAGE,
      'usage: tty2mqtt flash <PORT-NAME> <FIRMWARE.hex|.elf> (see: tty2mqtt flash --help)',
    );
  if (context.args['verify'] === true && context.args['no-verify'] === true)
    throw new GatewayError(ErrorCodes.USAGE, 'use --verify or --no-verify, not both');
  const verify = context.args['no-verify'] !== true;
  const timeoutMs = parseDuration(stringArg(context, 'timeout') ?? DEFAULT_TIMEOUT);
  if (timeoutMs === undefined || timeoutMs <= 0)
    throw new GatewayError(ErrorCodes.USAGE, '--timeout must be a duration such as 90s or 5m');

  const loaded = await loadConfigFor(context);
  const { config } = loaded;
  const port = config.ports.find((p) => p.name === portName);
  if (port === undefined)
    throw new GatewayError(
      ErrorCodes.USAGE,
      `no port named "${portName}" in ${loaded.file}; its ports: ${config.ports.map((p) => p.name).join(', ')}`,
    );
  if (!config.flash.allow)
    throw new GatewayError(
      ErrorCodes.FIRMWARE_NOT_ALLOWED,
      `firmware updates are off in ${loaded.file}: set \`flash.allow: true\` (and restart the daemon)`,
    );
  // The daemon checks again; checking here refuses a wrong file before it is sent. An ELF is
  // sent as the HEX of its flash image: small, whatever debug information the ELF carries.
  const { image } = await readFirmwareFile(file);
  const hex = formatIntelHex(image);
  const mcu = loaded.profiles.get(port.device)?.mcu;
  if (mcu !== undefined) checkImage(image, MCUS[mcu]);

  const link = await controlLink(loaded, {
    url: stringArg(context, 'url'),
    username: stringArg(context, 'username'),
    passwordFile: stringArg(context, 'password-file'),
    pid: context.pid,
  });
  context.stdout.write(
    `sending ${file} (${image.size} bytes of flash) to port ${portName} through ${link.url}\n`,
  );
  const answer = await askGateway({
    link,
    base: config.gateway.base_topic,
    action: 'flash',
    body: { port: portName, image: Buffer.from(hex).toString('base64'), verify },
    onProgress: (p) => context.stdout.write(`${progressLine(p as FlashProgress)}\n`),
    firstAnswerMs: FIRST_ANSWER_MS,
    timeoutMs,
    signal: context.signal,
  });
  if (answer.ok === true && answer.result !== undefined) {
    context.stdout.write(resultLines(answer.result as FlashOutcome));
    return 0;
  }
  context.stderr.write(`tty2mqtt flash: ${answer.error ?? 'the gateway refused the request'}\n`);
  return 1;
}
