// The publisher's memory of TLS refusals: each connection attempt's refusal is
// counted, logged once per distinct cause while the link is down (not at every backoff
// retry), and shown in gateway/health. The retry itself goes on with backoff, so a broker
// that fixes its certificate is connected without a restart.
import type { TLSSocket } from 'node:tls';
import { redactUrl } from '../config/redact-url.ts';
import { certificateFacts, describeTlsRefusal } from './tls-errors.ts';
import type { CertificateFacts, TlsRefusal, TlsRefusalCause, TlsRefusalContext } from './tls-errors.ts';

export interface TlsLinkStatus {
  /** Connection attempts refused for a TLS reason since start. */
  refused: number;
  /** Why the latest attempt was refused; null once connected. */
  cause: TlsRefusalCause | null;
}

export interface RecordedRefusal {
  refusal: TlsRefusal;
  /** First time this cause is seen since the last good connection: log it loudly. */
  news: boolean;
  /** The same error object again (MQTT.js emits a handshake error twice): already handled. */
  duplicate: boolean;
}

type StaticContext = Omit<TlsRefusalContext, 'peer' | 'now'>;

export class TlsRefusals {
  private refused = 0;
  private current: TlsRefusal | null = null;
  private readonly logged = new Set<string>();
  private lastError: unknown;
  private peer: CertificateFacts | undefined;
  private attemptRefused = false;

  constructor(private readonly context: StaticContext) {}

  /** Call with the socket of every connection attempt, before its handshake ends. */
  watch(stream: unknown): void {
    this.peer = undefined;
    this.attemptRefused = false;
    const socket = stream as Partial<TLSSocket> | undefined;
    if (typeof socket?.getPeerCertificate !== 'function' || typeof socket.prependListener !== 'function')
      return; // not TLS
    // Node verifies the certificate in its own listener of the socket's internal `secure`
    // event (lib/_tls_wrap.js onConnectSecure) and destroys the socket on failure, after
    // which the certificate can no longer be read. Listening first keeps its names and dates
    // for "expired on <date>"; should Node ever rename the event, messages just lose the date.
    socket.prependListener('secure', () => {
      this.peer = certificateFacts(socket.getPeerCertificate?.(false));
    });
  }

  /** A client `error`: the refusal it means, or null when it is not about TLS. */
  record(error: unknown): RecordedRefusal | null {
    // MQTT.js emits a handshake error twice (its TLS stream builder and its stream handler).
    if (error === this.lastError && this.current !== null)
      return { refusal: this.current, news: false, duplicate: true };
    const refusal = describeTlsRefusal(error, { ...this.context, peer: this.peer });
    if (refusal === null) return null;
    this.lastError = error;
    this.current = refusal;
    this.refused += 1;
    this.attemptRefused = true;
    // By cause and code, not message: a message may quote the clock, which moves.
    const key = `${refusal.cause}:${refusal.code}`;
    const news = !this.logged.has(key);
    this.logged.add(key);
    return { refusal, news, duplicate: false };
  }

  /** The connection attempt now closing was refused for a TLS reason (already logged). */
  get refusedThisAttempt(): boolean {
    return this.attemptRefused;
  }

  /** A good connection: a later refusal is news again, whatever its cause. */
  connected(): void {
    this.current = null;
    this.lastError = undefined;
    this.logged.clear();
  }

  status(): TlsLinkStatus {
    return { refused: this.refused, cause: this.current?.cause ?? null };
  }
}

/** The name a broker's certificate must carry: mqtt.url's host, IPv6 brackets removed. */
export function urlHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    // Shown in refusal messages and logs: an unparsable URL must not carry its password there.
    return redactUrl(url);
  }
}
