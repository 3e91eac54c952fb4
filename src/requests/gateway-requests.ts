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
import type { Logger } from '../log/logger.ts';
import type { InboundMessage, Subscribe } from '../mqtt/subscriptions.ts';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import type { RateLimitedLog } from '../log/rate-limited-log.ts';
import { requestFilter, responseTopic } from '../topics/gateway-owned.ts';
import { refuseResponseTopic, topicForLog } from './response-topic.ts';
import type { ResponseTopicRefusal } from './response-topic.ts';
import { errorMessage } from '../errors.ts';

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
  log: Logger;
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: string };

export interface GatewayRequestsStats {
  /** Response Topics not honoured (the default topic was still answered). */
  refusedResponseTopics: number;
  refusedByReason: Partial<Record<ResponseTopicRefusal, number>>;
}

/** Requests larger than this are refused unread (they are small JSON objects). */
const MAX_REQUEST_BYTES = 4096;

export class GatewayRequests {
  private remove: (() => void) | undefined;
  private readonly refused: Partial<Record<ResponseTopicRefusal, number>> = {};
  private readonly warn: RateLimitedLog;

  constructor(private readonly options: GatewayRequestsOptions) {
    this.warn = createRateLimitedLog(options.log);
  }

  stats(): GatewayRequestsStats {
    const total = Object.values(this.refused).reduce((a, b) => a + b, 0);
    return { refusedResponseTopics: total, refusedByReason: { ...this.refused } };
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
    const body = parseBody(m.payload);
    const id = m.correlationData?.toString('utf8') ?? (typeof body?.['id'] === 'string' ? body['id'] : null);
    const asked = m.responseTopic ?? body?.['response_topic'];
    let outcome: Outcome;
    try {
      // A malformed answer topic is refused before the action runs: a restart_port whose
      // answer could not be sent where asked would look like it never happened.
      outcome =
        asked === undefined || typeof asked === 'string'
          ? await this.run(action, body)
          : { ok: false, error: 'response_topic must be a topic name (a string)' };
    } catch (error) {
      outcome = { ok: false, error: errorMessage(error) };
    }
    const payload = JSON.stringify({ id, action, ...outcome });
    const { base, sink } = this.options;
    const opts = {
      qos: 1 as const,
      retain: false,
      ...(m.correlationData === undefined ? {} : { correlationData: m.correlationData }),
    };
    const defaultTopic = responseTopic(base, action);
    if (this.allowed(defaultTopic, action)) await sink.publishNow(defaultTopic, payload, opts);
    if (typeof asked === 'string' && asked !== defaultTopic && this.allowed(asked, action))
      await sink.publishNow(asked, payload, opts);
    this.options.log.info({ action, id, ok: outcome.ok }, `request ${action} answered`);
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

  private async run(action: string, body: Record<string, unknown> | null): Promise<Outcome> {
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
          : { ok: false, error: `port ${name} is stopped` };
      }
      default:
        return { ok: false, error: `unknown action "${action.slice(0, 64)}" (health, ports, restart_port)` };
    }
  }
}

function parseBody(payload: Buffer): Record<string, unknown> | null {
  if (payload.length === 0 || payload.length > MAX_REQUEST_BYTES) return null;
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
