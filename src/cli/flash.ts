// `tty2mqtt flash <PORT-NAME> <FIRMWARE.hex|.elf>`: asks the running daemon to program the
// board on one of its ports (docs/firmware.md). The daemon does the work — it owns the port —
// and this command only checks the image first (the same checks the daemon makes, so a wrong
// file is refused before anything is sent), sends it on `<base>/gateway/request/flash` and
// prints the progress and the answer from `<base>/gateway/response/flash`.
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { ErrorCodes, GatewayError, errorMessage, isGatewayError } from '../errors.ts';
import { readFirmwareFile } from '../firmware/image-file.ts';
import { formatIntelHex } from '../firmware/intel-hex-write.ts';
import { MCUS, checkImage } from '../firmware/mcu.ts';
import { toClientOptions } from '../mqtt/connect-options.ts';
import { requestTopic, responseTopic } from '../topics/gateway-owned.ts';
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

interface Answer {
  id: unknown;
  action?: unknown;
  ok?: boolean;
  result?: FlashOutcome;
  error?: string;
  progress?: FlashProgress;
}

function fail(message: string): GatewayError {
  return new GatewayError(ErrorCodes.FIRMWARE_FLASH_FAILED, message);
}

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
  const { connectAsync } = await import('mqtt');
  let client: MqttClient;
  try {
    client = await connectAsync(link.url, toClientOptions(link));
  } catch (error) {
    throw fail(`cannot reach the broker at ${link.url}: ${errorMessage(error)}`);
  }
  // Ends the wait (and its timers) however this command ends.
  const finished = new AbortController();
  try {
    const base = config.gateway.base_topic;
    const answers = responseTopic(base, 'flash');
    const granted = await client.subscribeAsync(answers, { qos: 1 });
    if (granted.some((g) => g.qos === 128))
      throw fail(`the broker refused the subscription to ${answers} (its ACL?)`);
    const id = randomUUID();
    const request = requestTopic(base, 'flash');
    // MQTT 3.1.1 has no negative PUBACK: a broker refusing the PUBLISH closes the connection
    // [MQTT-3.3.5-2] (the embedded broker does); MQTT 5 answers with a reason code.
    const closed = new Promise<never>((_, reject) =>
      client.once('close', () =>
        reject(fail(`the broker closed the connection: may this login publish on ${request}? (its ACL)`)),
      ),
    );
    closed.catch(() => undefined);
    const done = waitForAnswer(client, id, context, timeoutMs, finished.signal);
    done.catch(() => undefined); // awaited below, unless the connection closed first
    context.stdout.write(
      `sending ${file} (${image.size} bytes of flash) to port ${portName} through ${link.url}\n`,
    );
    try {
      await Promise.race([
        client.publishAsync(
          request,
          JSON.stringify({ id, port: portName, image: Buffer.from(hex).toString('base64'), verify }),
          { qos: 1 },
        ),
        closed,
      ]);
    } catch (error) {
      if (isGatewayError(error)) throw error;
      throw fail(`the broker refused the request on ${request}: ${errorMessage(error)}`);
    }
    const answer = await Promise.race([done, closed]);
    if (answer.ok === true && answer.result !== undefined) {
      context.stdout.write(resultLines(answer.result));
      return 0;
    }
    context.stderr.write(`tty2mqtt flash: ${answer.error ?? 'the gateway refused the request'}\n`);
    return 1;
  } finally {
    finished.abort();
    // end() on a connection the broker already closed never calls back: force it then.
    if (client.connected) await client.endAsync().catch(() => undefined);
    else client.end(true);
  }
}

function waitForAnswer(
  client: MqttClient,
  id: string,
  context: CommandContext,
  timeoutMs: number,
  finished: AbortSignal,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let heard = false;
    const finish = (error: Error | null, answer?: Answer): void => {
      clearTimeout(first);
      clearTimeout(overall);
      client.removeListener('message', onMessage);
      context.signal.removeEventListener('abort', onAbort);
      finished.removeEventListener('abort', onFinished);
      if (error !== null) reject(error);
      else if (answer !== undefined) resolve(answer);
    };
    const first = setTimeout(() => {
      if (!heard)
        finish(
          fail(
            `no answer within ${FIRST_ANSWER_MS / 1000} s: is tty2mqtt running with this gateway.yaml, and may this login publish on the gateway's request topics?`,
          ),
        );
    }, FIRST_ANSWER_MS);
    const overall = setTimeout(
      () =>
        finish(
          fail(`no result within ${timeoutMs / 1000} s (the daemon may still be flashing; see its log)`),
        ),
      timeoutMs,
    );
    const onAbort = (): void =>
      finish(fail('interrupted; the daemon finishes the flash it started (see its log)'));
    context.signal.addEventListener('abort', onAbort, { once: true });
    const onFinished = (): void => finish(fail('stopped waiting'));
    finished.addEventListener('abort', onFinished, { once: true });
    function onMessage(_topic: string, payload: Buffer): void {
      let answer: Answer;
      try {
        answer = JSON.parse(payload.toString('utf8')) as Answer;
      } catch {
        return;
      }
      if (answer.id !== id) return; // another client's request
      heard = true;
      if (answer.progress !== undefined) context.stdout.write(`${progressLine(answer.progress)}\n`);
      else finish(null, answer);
    }
    client.on('message', onMessage);
  });
}
