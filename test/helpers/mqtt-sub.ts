// An MQTT client for assertions that is independent of the gateway's own client library:
// the mosquitto_sub / mosquitto_pub binaries. Payloads travel as hex (`%x`) so that spaces,
// newlines and binary bytes survive the one-message-per-line output.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';

export interface ReceivedMessage {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  receivedAt: number;
  /** MQTT 5 subscriptions only: the user properties as mosquitto_sub prints them (`key:value`). */
  userProperties?: string;
}

export interface Subscription {
  /** Everything received so far, probe messages excluded. */
  messages: ReceivedMessage[];
  /** What happened to the mosquitto_sub process besides messages: exits and restarts, with why. */
  events: string[];
  /** The current mosquitto_sub process (a persistent subscriber's changes when it restarts). */
  pid(): number | undefined;
  waitFor(predicate: (m: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  waitForCount(n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface SubscribeOptions {
  host: string;
  port: number;
  topics: string[];
  qos?: 0 | 1 | 2;
  protocolV5?: boolean;
  username?: string;
  password?: string;
  /**
   * A persistent session (clean session off, a fixed client id) that survives its own
   * connection: if mosquitto_sub loses it or exits, it is started again under the same id
   * and the broker delivers what it queued meanwhile (QoS 1/2). For long runs whose
   * assertion is "nothing lost": a subscriber that dropped out must not look like a gateway
   * that lost messages.
   */
  persistent?: boolean;
}

/** Restarts of a persistent subscriber before it gives up (each one is logged in `events`). */
const MAX_RESTARTS = 10;

export interface PublishOptions {
  host: string;
  port: number;
  topic: string;
  payload: string | Buffer;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  v5?: boolean;
  /** MQTT 5 Message Expiry Interval in seconds (implies v5): a broker drops it once expired. */
  messageExpirySeconds?: number;
  username?: string;
  password?: string;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const READY_TIMEOUT_MS = 5_000;
/** retain, qos, hex payload, topic last (a topic may contain spaces; hex never does). */
const FORMAT = '%r %q %x %t';

function credentials(o: { username?: string; password?: string }): string[] {
  return [
    ...(o.username === undefined ? [] : ['-u', o.username]),
    ...(o.password === undefined ? [] : ['-P', o.password]),
  ];
}

function pickCredentials(o: { username?: string; password?: string }): {
  username?: string;
  password?: string;
} {
  return {
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(o.password === undefined ? {} : { password: o.password }),
  };
}

/** MQTT 5: the user properties too, bracketed before the topic (which may hold spaces). */
const FORMAT_V5 = '%r %q %x [%P] %t';

function parseLine(line: string): ReceivedMessage | undefined {
  const v5 = /^([01]) ([012]) ([0-9a-fA-F]*) \[(.*?)\] (.*)$/.exec(line);
  if (v5 !== null) {
    const [, retain, qos, hex, props, topic] = v5;
    return {
      retain: retain === '1',
      qos: Number(qos),
      payload: Buffer.from(hex ?? '', 'hex').toString('utf8'),
      topic: topic ?? '',
      receivedAt: Date.now(),
      userProperties: props ?? '',
    };
  }
  const match = /^([01]) ([012]) ([0-9a-fA-F]*) (.*)$/.exec(line);
  if (match === null) return undefined;
  return {
    retain: match[1] === '1',
    qos: Number(match[2]),
    payload: Buffer.from(match[3] ?? '', 'hex').toString('utf8'),
    topic: match[4] ?? '',
    receivedAt: Date.now(),
  };
}

function describe(messages: readonly ReceivedMessage[]): string {
  if (messages.length === 0) return 'nothing was received';
  const shown = messages
    .slice(-20)
    .map((m) => `  ${m.topic} q${m.qos}${m.retain ? ' r' : ''} ${JSON.stringify(m.payload)}`);
  return `received ${messages.length} message(s)${messages.length > 20 ? ' (last 20)' : ''}:\n${shown.join('\n')}`;
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Resolves once the broker has confirmed the subscription (a probe message came back). */
export async function subscribe(options: SubscribeOptions): Promise<Subscription> {
  const probeTopic = `tty2mqtt-test-probe/${randomUUID()}`;
  const format = options.protocolV5 === true ? FORMAT_V5 : FORMAT;
  const args = ['-h', options.host, '-p', String(options.port), '-q', String(options.qos ?? 0), '-F', format];
  for (const topic of [...options.topics, probeTopic]) args.push('-t', topic);
  if (options.protocolV5 === true) args.push('-V', 'mqttv5');
  args.push(...credentials(options));

  const persistent = options.persistent === true;
  // -k 300: a busy test process may leave the pipe unread for a while; mosquitto_sub must
  // not take that for a dead broker.
  if (persistent) args.push('-c', '-i', `tty2mqtt-test-sub-${randomUUID().slice(0, 8)}`, '-k', '300');
  const messages: ReceivedMessage[] = [];
  const events: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let exit: string | null = null;
  let probed = false;
  let stopping = false;
  let restarts = 0;
  const started = Date.now();
  let child: ChildProcess;

  const start = (): ChildProcess => {
    const proc = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    proc.once('error', (error) => {
      exit = `mosquitto_sub could not start: ${error.message} (install mosquitto-clients)`;
      for (const wake of waiters) wake();
    });
    proc.once('exit', (code, signal) => {
      const why = `mosquitto_sub exited (code ${code}, signal ${signal}) after ${Date.now() - started} ms, ${messages.length} message(s) received: ${stderr.trim()}`;
      if (!stopping && persistent && restarts < MAX_RESTARTS) {
        restarts++;
        events.push(`${why}; restarted (${restarts}/${MAX_RESTARTS}) under the same client id`);
        stderr = '';
        child = start();
        return;
      }
      if (!stopping) events.push(why);
      exit = why;
      for (const wake of waiters) wake();
    });
    if (proc.stdout !== null)
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const message = parseLine(line);
        if (message === undefined) return;
        if (message.topic === probeTopic) probed = true;
        else messages.push(message);
        for (const wake of waiters) wake();
      });
    return proc;
  };
  child = start();

  /** Re-checks `done` on every line and on exit; rejects with `why()` after timeoutMs. */
  const until = (done: () => boolean, timeoutMs: number, why: () => string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (done()) finish();
        else if (exit !== null) finish(new Error(`${why()}; ${exit}`));
      };
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error === undefined) resolve();
        else reject(error);
      };
      const timer = setTimeout(() => finish(new Error(`${why()} within ${timeoutMs} ms`)), timeoutMs);
      waiters.add(check);
      check();
    });

  const subscription: Subscription = {
    messages,
    events,
    pid: () => child.pid,
    async waitFor(predicate, timeoutMs = DEFAULT_TIMEOUT_MS) {
      let found: ReceivedMessage | undefined;
      await until(
        () => (found = messages.find(predicate)) !== undefined,
        timeoutMs,
        () => `no matching message on ${options.topics.join(', ')}; ${describe(messages)}`,
      );
      return found as ReceivedMessage;
    },
    async waitForCount(n, timeoutMs = DEFAULT_TIMEOUT_MS) {
      await until(
        () => messages.length >= n,
        timeoutMs,
        () => `expected ${n} message(s) on ${options.topics.join(', ')}; ${describe(messages)}`,
      );
    },
    stop: () => {
      stopping = true;
      return stopProcess(child);
    },
  };

  // Readiness: publish on the private probe topic until it comes back, which proves the
  // subscription is active (the SUBACK is not visible from outside mosquitto_sub).
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (!probed) {
      if (exit !== null) throw new Error(exit);
      if (Date.now() > deadline)
        throw new Error(`mosquitto_sub did not become ready within ${READY_TIMEOUT_MS} ms: ${stderr}`);
      const probe = { host: options.host, port: options.port, topic: probeTopic, payload: 'probe' };
      await publish({ ...probe, ...pickCredentials(options), v5: options.protocolV5 === true }).catch(
        () => undefined,
      );
      await until(
        () => probed,
        200,
        () => 'probe',
      ).catch(() => undefined);
    }
  } catch (error) {
    await subscription.stop();
    throw error;
  }
  return subscription;
}

/** Publishes one message with mosquitto_pub; resolves when it exits 0, rejects with its stderr. */
export function publish(options: PublishOptions): Promise<void> {
  const args = [
    '-h',
    options.host,
    '-p',
    String(options.port),
    '-t',
    options.topic,
    '-q',
    String(options.qos ?? 0),
  ];
  // -s reads the payload from stdin (any bytes, newlines included); it refuses empty input.
  const empty = options.payload.length === 0;
  args.push(empty ? '-n' : '-s');
  if (options.retain === true) args.push('-r');
  if (options.v5 === true || options.messageExpirySeconds !== undefined) args.push('-V', 'mqttv5');
  if (options.messageExpirySeconds !== undefined)
    args.push('-D', 'publish', 'message-expiry-interval', String(options.messageExpirySeconds));
  args.push(...credentials(options));
  return new Promise((resolve, reject) => {
    const child = spawn('mosquitto_pub', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', (error) =>
      reject(new Error(`mosquitto_pub could not start: ${error.message} (install mosquitto-clients)`)),
    );
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `mosquitto_pub to ${options.topic} failed (code ${code}, signal ${signal}): ${stderr.trim()}`,
          ),
        );
    });
    // A mosquitto_pub that exits before reading stdin (with -n it never reads it, else a
    // refused connect) is reported by its exit code above, not by an EPIPE from the write:
    // with -n nothing is written, the pipe is only closed.
    child.stdin.on('error', () => undefined);
    if (empty) child.stdin.end();
    else child.stdin.end(options.payload);
  });
}
