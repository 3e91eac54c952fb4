// Asking a running gateway over its broker (src/requests/gateway-requests.ts): subscribe to
// `<base>/gateway/response/<action>`, publish the request with a fresh id on
// `<base>/gateway/request/<action>`, pass on the progress messages for that id, and resolve
// with its answer. Used by commands that need the daemon to do the work (`tty2mqtt flash`):
// the daemon owns the ports. Every way this can go wrong ends in a GatewayError
// TTY2MQTT_REQUEST_FAILED saying which, and every timer ends with the call.
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { ErrorCodes, GatewayError, errorMessage, isGatewayError } from '../errors.ts';
import { requestTopic, responseTopic } from '../topics/gateway-owned.ts';
import { toClientOptions } from './connect-options.ts';
import type { BrokerLink } from './connect-options.ts';

export interface GatewayAnswer {
  id: unknown;
  action?: unknown;
  ok?: boolean;
  result?: unknown;
  error?: string;
  progress?: unknown;
}

export interface AskGatewayOptions {
  link: BrokerLink;
  base: string;
  action: string;
  /** The request's JSON body; its `id` is set here. */
  body: Record<string, unknown>;
  onProgress?: (progress: unknown) => void;
  /** Without any message for this id this long, nobody is listening (or may be asked). */
  firstAnswerMs: number;
  /** The whole request, progress included. */
  timeoutMs: number;
  /** Aborted (Ctrl-C): stop waiting; the gateway goes on with what it started. */
  signal: AbortSignal;
}

function failed(message: string): GatewayError {
  return new GatewayError(ErrorCodes.REQUEST_FAILED, message);
}

export async function askGateway(options: AskGatewayOptions): Promise<GatewayAnswer> {
  const { link, base, action } = options;
  const { connectAsync } = await import('mqtt');
  let client: MqttClient;
  try {
    client = await connectAsync(link.url, toClientOptions(link));
  } catch (error) {
    throw failed(`cannot reach the broker at ${link.url}: ${errorMessage(error)}`);
  }
  const finished = new AbortController();
  try {
    const answers = responseTopic(base, action);
    const granted = await client.subscribeAsync(answers, { qos: 1 });
    if (granted.some((g) => g.qos === 128))
      throw failed(`the broker refused the subscription to ${answers} (its ACL)`);
    const request = requestTopic(base, action);
    // MQTT 3.1.1 has no negative PUBACK: a broker refusing the PUBLISH closes the connection
    // [MQTT-3.3.5-2] (the embedded broker does); MQTT 5 answers with a reason code (§3.4.2.1).
    const closed = new Promise<never>((_, reject) =>
      client.once('close', () =>
        reject(failed(`the broker closed the connection: may this login publish on ${request}? (its ACL)`)),
      ),
    );
    closed.catch(() => undefined);
    const id = randomUUID();
    const done = waitForAnswer(client, id, options, finished.signal);
    done.catch(() => undefined); // awaited below, unless the connection closed first
    try {
      await Promise.race([
        client.publishAsync(request, JSON.stringify({ ...options.body, id }), { qos: 1 }),
        closed,
      ]);
    } catch (error) {
      if (isGatewayError(error)) throw error;
      throw failed(`the broker refused the request on ${request}: ${errorMessage(error)}`);
    }
    return await Promise.race([done, closed]);
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
  options: AskGatewayOptions,
  finished: AbortSignal,
): Promise<GatewayAnswer> {
  const { firstAnswerMs, timeoutMs, signal } = options;
  return new Promise((resolve, reject) => {
    let heard = false;
    const finish = (error: Error | null, answer?: GatewayAnswer): void => {
      clearTimeout(first);
      clearTimeout(overall);
      client.removeListener('message', onMessage);
      signal.removeEventListener('abort', onAbort);
      finished.removeEventListener('abort', onFinished);
      if (error !== null) reject(error);
      else if (answer !== undefined) resolve(answer);
    };
    const first = setTimeout(() => {
      if (!heard)
        finish(
          failed(
            `no answer within ${firstAnswerMs / 1000} s: is tty2mqtt running with this gateway.yaml, and may this login publish on the gateway's request topics?`,
          ),
        );
    }, firstAnswerMs);
    const overall = setTimeout(
      () =>
        finish(
          failed(`no result within ${timeoutMs / 1000} s (the gateway may still be at it; see its log)`),
        ),
      timeoutMs,
    );
    const onAbort = (): void =>
      finish(failed('interrupted; the gateway finishes what it started (see its log)'));
    signal.addEventListener('abort', onAbort, { once: true });
    const onFinished = (): void => finish(failed('stopped waiting'));
    finished.addEventListener('abort', onFinished, { once: true });
    function onMessage(_topic: string, payload: Buffer): void {
      let answer: GatewayAnswer;
      try {
        answer = JSON.parse(payload.toString('utf8')) as GatewayAnswer;
      } catch {
        return;
      }
      if (answer.id !== id) return; // another client's request
      heard = true;
      if (answer.progress !== undefined) options.onProgress?.(answer.progress);
      else finish(null, answer);
    }
    client.on('message', onMessage);
  });
}
