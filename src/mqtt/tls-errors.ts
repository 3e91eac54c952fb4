// Node's TLS errors → one line a user can act on ("wrong CA, wrong hostname and
// expired certificates refused … with a clear message"). Node reports the broker's certificate
// problems by OpenSSL verify code (X509_V_ERR_* without the prefix: `man openssl-verify`),
// the name check by ERR_TLS_CERT_ALTNAME_INVALID, and the broker's own refusals (mutual TLS)
// by the TLS alert it sent, as ERR_SSL_<alert>. Pure: the caller supplies what it knows.
import type { PeerCertificate } from 'node:tls';

/** Why the connection was refused; stable, shown in gateway/health. */
export type TlsRefusalCause =
  | 'untrusted' // not signed by mqtt.tls.ca (or by the system CAs when no ca is set)
  | 'hostname' // signed fine, but for other names
  | 'expired'
  | 'not_yet_valid'
  | 'bad_certificate' // signed, but unusable (wrong purpose, revoked, malformed …)
  | 'client_certificate' // mutual TLS: the broker wants (another) mqtt.tls.cert
  | 'not_tls' // the port does not speak TLS
  | 'tls'; // any other TLS failure

export interface TlsRefusal {
  cause: TlsRefusalCause;
  /** Node's error code, e.g. CERT_HAS_EXPIRED. */
  code: string;
  /** One line, names the cause and what to change. */
  message: string;
}

/** What the broker's certificate says, as far as the handshake revealed it. */
export interface CertificateFacts {
  subject: string | undefined;
  issuer: string | undefined;
  /** subjectAltName entries without their kind (`DNS:`, `IP Address:`). */
  altNames: string[];
  validFrom: Date | undefined;
  validTo: Date | undefined;
}

export interface TlsRefusalContext {
  /** The host name or address in mqtt.url (what the certificate must name). */
  host: string;
  /** mqtt.tls.ca is set (else Node's bundled CAs are the trust store). */
  caConfigured: boolean;
  /** mqtt.tls.cert is set (mutual TLS). */
  clientCertConfigured: boolean;
  /** The broker's certificate from this handshake, when it was seen. */
  peer?: CertificateFacts | undefined;
  now?: Date;
}

/** OpenSSL verify codes meaning "no chain from this certificate to a trusted CA". */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);

/** OpenSSL verify codes for a certificate that chains but cannot be used. */
const BAD_CERTIFICATE = new Set([
  'INVALID_PURPOSE',
  'CERT_REVOKED',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'HOSTNAME_MISMATCH',
  'IP_ADDRESS_MISMATCH',
]);

/** TLS alerts a broker sends about our client certificate (RFC 8446 §6.2), as Node codes. */
const CLIENT_CERT_ALERTS = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);

/** What a plain-TCP (or HTTP) listener looks like to a TLS client. */
const NOT_TLS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
]);

/** `Nov 26 10:27:48 2025 GMT` (Node's PeerCertificate dates) → Date. */
function certDate(text: string | undefined): Date | undefined {
  if (text === undefined || text === '') return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Second precision, UTC: the form the user compares with `openssl x509 -enddate`. */
export function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function altNames(subjectaltname: string | undefined): string[] {
  if (subjectaltname === undefined || subjectaltname === '') return [];
  return subjectaltname
    .split(/,\s*/)
    .map((entry) => entry.slice(entry.indexOf(':') + 1).trim())
    .filter((name) => name !== '');
}

function commonName(name: unknown): string | undefined {
  const cn = (name as { CN?: unknown } | undefined)?.CN;
  if (typeof cn === 'string') return cn;
  if (Array.isArray(cn) && typeof cn[0] === 'string') return cn[0];
  return undefined;
}

/** The facts of a Node PeerCertificate; undefined for the empty object Node gives without one. */
export function certificateFacts(
  cert: Partial<PeerCertificate> | null | undefined,
): CertificateFacts | undefined {
  if (cert === null || cert === undefined || cert.valid_to === undefined) return undefined;
  return {
    subject: commonName(cert.subject),
    issuer: commonName(cert.issuer),
    altNames: altNames(cert.subjectaltname),
    validFrom: certDate(cert.valid_from),
    validTo: certDate(cert.valid_to),
  };
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function issuedBy(peer: CertificateFacts | undefined): string {
  return peer?.issuer === undefined ? '' : `issued by "${peer.issuer}"; `;
}

function untrusted(code: string, detail: string, context: TlsRefusalContext): TlsRefusal {
  const selfSigned = code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ? 'self-signed and ' : '';
  const why = `(${issuedBy(context.peer)}${detail}, ${code})`;
  const message = context.caConfigured
    ? `broker certificate is ${selfSigned}not signed by mqtt.tls.ca ${why}`
    : `broker certificate is ${selfSigned}not signed by a CA this system trusts; set mqtt.tls.ca to the CA that signed it ${why}`;
  return { cause: 'untrusted', code, message };
}

function hostname(error: unknown, context: TlsRefusalContext, code: string): TlsRefusal {
  // Node attaches the peer certificate and the name it checked (tls.checkServerIdentity).
  const fromError = certificateFacts((error as { cert?: Partial<PeerCertificate> }).cert);
  const peer = fromError ?? context.peer;
  const host = (error as { host?: unknown }).host;
  const names = peer === undefined ? [] : peer.altNames.length > 0 ? peer.altNames : [peer.subject ?? ''];
  const listed = names.filter((n) => n !== '');
  const forNames = listed.length > 0 ? listed.join(', ') : 'no host name at all';
  return {
    cause: 'hostname',
    code,
    message: `broker certificate is for ${forNames}, not ${typeof host === 'string' ? host : context.host}`,
  };
}

function clientCertificate(code: string, detail: string, context: TlsRefusalContext): TlsRefusal {
  if (!context.clientCertConfigured)
    return {
      cause: 'client_certificate',
      code,
      message: `broker requires a client certificate: set mqtt.tls.cert and mqtt.tls.key (${detail})`,
    };
  return {
    cause: 'client_certificate',
    code,
    message: `broker refused the client certificate mqtt.tls.cert (${detail}); is it signed by a CA the broker trusts, and still valid?`,
  };
}

/** The alert name from Node's ERR_SSL_* message (`… :tlsv13 alert certificate required:…`). */
function alertText(error: unknown, code: string): string {
  const reason = (error as { reason?: unknown }).reason;
  if (typeof reason === 'string' && reason !== '') return reason;
  return code
    .replace(/^ERR_SSL_/, '')
    .toLowerCase()
    .replace(/_/g, ' ');
}

/** A TLS refusal, or null for an error that is not about TLS (refused, reset, timeout …). */
export function describeTlsRefusal(error: unknown, context: TlsRefusalContext): TlsRefusal | null {
  const code = errorCode(error);
  if (code === undefined) return null;
  const detail = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
  const now = context.now ?? new Date();
  if (UNTRUSTED.has(code)) return untrusted(code, detail, context);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return hostname(error, context, code);
  if (code === 'CERT_HAS_EXPIRED') {
    const until = context.peer?.validTo;
    return {
      cause: 'expired',
      code,
      message:
        until === undefined
          ? `broker certificate has expired (${code})`
          : `broker certificate expired on ${formatDate(until)}`,
    };
  }
  if (code === 'CERT_NOT_YET_VALID') {
    // A Raspberry Pi has no clock battery: before NTP it may think it is 1970.
    const from = context.peer?.validFrom;
    const since = from === undefined ? '' : `: valid from ${formatDate(from)}`;
    return {
      cause: 'not_yet_valid',
      code,
      message: `broker certificate not yet valid${since}, and this machine's clock says ${formatDate(now)}; check the clock (NTP)`,
    };
  }
  if (BAD_CERTIFICATE.has(code))
    return {
      cause: 'bad_certificate',
      code,
      message: `broker certificate cannot be used (${detail}, ${code})`,
    };
  if (CLIENT_CERT_ALERTS.has(code)) return clientCertificate(code, alertText(error, code), context);
  if (code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' && !context.clientCertConfigured)
    // TLS 1.2 brokers answer a missing client certificate with a bare handshake_failure.
    return {
      cause: 'client_certificate',
      code,
      message: `broker ended the TLS handshake (handshake failure); if it requires a client certificate, set mqtt.tls.cert and mqtt.tls.key`,
    };
  if (NOT_TLS.has(code))
    return {
      cause: 'not_tls',
      code,
      message: `broker did not answer with TLS; is the port a plain mqtt:// listener? (${code})`,
    };
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
    return {
      cause: 'tls',
      code,
      message: `TLS handshake with the broker failed (${alertText(error, code)}, ${code})`,
    };
  return null;
}
