// Request/response over MQTT: a message on `<base>/gateway/request/<action>`
// is answered on `<base>/gateway/response/<action>` with
//   {"id":…,"action":…,"ok":true,"result":…}   or   {"id":…,"action":…,"ok":false,"error":…}
// The id is the request's MQTT 5 Correlation Data, else the `id` member of a JSON payload,
// else null; an MQTT 5 request with a Response Topic is also answered there, with its
// Correlation Data (MQTT 5 §4.10) — but only a Response Topic under the gateway's own
// `<base>/gateway/response/` that it does not itself subscribe to (response-topic.ts says
// why); any other is refused, counted and logged, and the answer goes to the default topic
// only. MQTT 3.1.1 has no Response Topic (and the embedded broker speaks only 3.1.1,
// decision 0004), so a JSON `response_topic` member is its stand-in, under the same rules;
// an MQTT 5 Response Topic wins over it. Actions:
//   health                        gateway/health's report, now
//   ports                         the configured ports and the serial ports on this machine
//   restart_port {"port": NAME}   closes and reopens one configured port
//   flash {"port": NAME, "image"|"path": …}  programs the port's board (flash-request.ts); while
//                                 it runs, `{"id","action","progress":{stage,bytes,of}}` messages
//                                 (QoS 0) come before the answer
import type { Logger } from '../log/logger.ts';
import type { InboundMessage, Subscribe } from '../mqtt/subscriptions.ts';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import type { RateLimitedLog } from '../log/rate-limited-log.ts';
import { requestFilter, responseTopic } from '../topics/gateway-owned.ts';
import { refuseResponseTopic, topicForLog } from './response-topic.ts';
import type { ResponseTopicRefusal } from './response-topic.ts';
import { errorMessage, isGatewayError } from '../errors.ts';
import type { FlashProgress } from '../firmware/programmer.ts';
import { MAX_FLASH_REQUEST_BYTES, parseFlashRequest } from './flash-request.ts';
import type { FlashRequest } from './flash-request.ts';
import { createProgressThrottle } from './progress-throttle.ts';

export interface RequestPort {
  readonly name: string;
  restart(): boolean;
}

export interface ResponseSink {
  publishNow(
    topic: string,
    payload: string,
    opts: { qos: 0 | 1 | 2; retain: boolean; correlationData?: Buffer },
  ): Promise<boolean>;
}

export interface GatewayRequestsOptions {
  base: string;
  subscribe: Subscribe;
  /** Whether the gateway itself subscribes to `topic` (Subscriptions.covers). */
  isSubscribed: (topic: string) => boolean;
  sink: ResponseSink;
  health: () => Record<string, unknown> | undefined;
  ports: () => readonly RequestPort[];
  /** The configured ports as gateway/devices shows them, plus the machine's serial ports. */
  listPorts: () => Promise<unknown>;
  /** Firmware updates (app/firmware-flash.ts, which refuses when `flash.allow` is off). */
  flash?: (request: FlashRequest, onProgress: (p: FlashProgress) => void) => Promise<unknown>;
  log: Logger;
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: string };

export interface GatewayRequestsStats {
  /** Response Topics not honoured (the default topic was still answered). */
  refusedResponseTopics: number;
  refusedByReason: Partial<Record<ResponseTopicRefusal, number>>;
  /** Flash requests by result: `ok`, `bad_request`, or the failure (`no_sync`, `not_allowed`, …). */
  flashes: Partial<Record<string, number>>;
}

/** Requests larger than this are refused unread (they are small JSON objects). */
const MAX_REQUEST_BYTES = 4096;

export class GatewayRequests {
  private remove: (() => void) | undefined;
  private readonly refused: Partial<Record<ResponseTopicRefusal, number>> = {};
  private readonly flashes: Partial<Record<string, number>> = {};
  private readonly warn: RateLimitedLog;

  constructor(private readonly options: GatewayRequestsOptions) {
    this.warn = createRateLimitedLog(options.log);
  }

  stats(): GatewayRequestsStats {
    const total = Object.values(this.refused).reduce((a, b) => a + b, 0);
    return {
      refusedResponseTopics: total,
      refusedByReason: { ...this.refused },
      flashes: { ...this.flashes },
    };
  }

  start(): void {
    const filter = requestFilter(this.options.base);
    this.remove = this.options.subscribe(filter, 1, (m) => void this.handle(m));
  }

  stop(): void {
    this.remove?.();
  }

  private async handle(m: InboundMessage): Promise<void> {
    // A retained request would be answered again at every restart: it is not a request.
    if (m.retain) return;
    const action = m.topic.slice(m.topic.lastIndexOf('/') + 1);
    const body = parseBody(m.payload, action === 'flash' ? MAX_FLASH_REQUEST_BYTES : MAX_REQUEST_BYTES);
    const id = m.correlationData?.toString('utf8') ?? (typeof body?.['id'] === 'string' ? body['id'] : null);
    const asked = m.responseTopic ?? body?.['response_topic'];
    const { base, sink } = this.options;
    const defaultTopic = responseTopic(base, action);
    // Checked once: a refused topic is counted and logged once per request, not per message.
    const topics = [
      ...(this.allowed(defaultTopic, action) ? [defaultTopic] : []),
      ...(typeof asked === 'string' && asked !== defaultTopic && this.allowed(asked, action) ? [asked] : []),
    ];
    const answer = async (fields: Record<string, unknown>, qos: 0 | 1): Promise<void> => {
      const payload = JSON.stringify({ id, action, ...fields });
      const opts = {
        qos,
        retain: false,
        ...(m.correlationData === undefined ? {} : { correlationData: m.correlationData }),
      };
      for (const topic of topics) await sink.publishNow(topic, payload, opts);
    };
    let outcome: Outcome;
    try {
      // A malformed answer topic is refused before the action runs: a restart_port whose
      // answer could not be sent where asked would look like it never happened.
      outcome =
        asked === undefined || typeof asked === 'string'
          ? await this.run(action, body, (progress) => void answer({ progress }, 0))
          : { ok: false, error: 'response_topic must be a topic name (a string)' };
    } catch (error) {
      outcome = { ok: false, error: errorMessage(error) };
    }
    await answer(outcome, 1);
    this.options.log.info({ action, id, ok: outcome.ok }, `request ${action} answered`);
  }

  private countFlash(result: string): void {
    this.flashes[result] = (this.flashes[result] ?? 0) + 1;
  }

  /** Checks an answer topic; a refusal is counted and logged (rate-limited), naming the topic. */
  private allowed(topic: string, action: string): boolean {
    const reason = refuseResponseTopic(topic, this.options.base, this.options.isSubscribed);
    if (reason === null) return true;
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
    const fallback = responseTopic(this.options.base, action);
    const shown = topicForLog(topic);
    this.warn.warn(
      `response-topic:${reason}`,
      { action: action.slice(0, 64), topic: shown, reason },
      topic === fallback
        ? `request: not answered on ${shown} (${reason})`
        : `request: response topic ${shown} refused (${reason}); answered on ${topicForLog(fallback)} only`,
    );
    return false;
  }

  private async run(
    action: string,
    body: Record<string, unknown> | null,
    progress: (p: FlashProgress) => void,
  ): Promise<Outcome> {
    switch (action) {
      case 'health':
        return { ok: true, result: this.options.health() ?? null };
      case 'ports':
        return { ok: true, result: await this.options.listPorts() };
      case 'restart_port': {
        const name = body?.['port'];
        if (typeof name !== 'string') return { ok: false, error: 'restart_port needs {"port": "<name>"}' };
        const port = this.options.ports().find((p) => p.name === name);
        if (port === undefined) return { ok: false, error: `no port named "${name.slice(0, 64)}"` };
        return port.restart()
          ? { ok: true, result: { port: name, restarting: true } }
          : { ok: false, error: `port ${name} is stopped or held (a firmware flash is under way)` };
      }
      case 'flash': {
        const parsed = await parseFlashRequest(body);
        const flash = this.options.flash;
        if (!parsed.ok || flash === undefined) {
          this.countFlash('bad_request');
          return parsed.ok ? { ok: false, error: 'firmware updates are not available' } : parsed;
        }
        try {
          const result = await flash(parsed.request, createProgressThrottle(progress));
          this.countFlash('ok');
          return { ok: true, result };
        } catch (error) {
          this.countFlash(flashFailure(error));
          throw error;
        }
      }
      default:
        return {
          ok: false,
          error: `unknown action "${action.slice(0, 64)}" (health, ports, restart_port, flash)`,
        };
    }
  }
}

/** `TTY2MQTT_FIRMWARE_NO_SYNC` → `no_sync`; anything else → `failed`. */
function flashFailure(error: unknown): string {
  const prefix = 'TTY2MQTT_FIRMWARE_';
  return isGatewayError(error) && error.code.startsWith(prefix)
    ? error.code.slice(prefix.length).toLowerCase()
    : 'failed';
}

function parseBody(payload: Buffer, maxBytes: number): Record<string, unknown> | null {
  if (payload.length === 0 || payload.length > maxBytes) return null;
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
