// TLS files that read fine but cannot work: a CA file holding no certificate
// (Node ignores it silently, so every broker would be refused as untrusted), a cert without
// its key or the other way round, a key that is not the certificate's. Checked by `check`
// (config/secrets.ts) and again where the client options are built (mqtt/connect-options.ts),
// with the key named, instead of OpenSSL's "key values mismatch" from inside a connect.
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { errorMessage } from '../errors.ts';

export interface TlsMaterial {
  /** The paths as configured, for messages; null when not set. */
  ca: string | null;
  cert: string | null;
  key: string | null;
}

export interface TlsMaterialProblem {
  key: 'ca' | 'cert' | 'key';
  message: string;
}

/** `read` gives a configured file's bytes (already known to be readable). */
export function tlsMaterialProblems(tls: TlsMaterial, read: (path: string) => Buffer): TlsMaterialProblem[] {
  const problems: TlsMaterialProblem[] = [];
  if (tls.ca !== null) {
    try {
      new X509Certificate(read(tls.ca));
    } catch (error) {
      problems.push({
        key: 'ca',
        message: `${tls.ca} holds no PEM certificate (${errorMessage(error)})`,
      });
    }
  }
  if ((tls.cert === null) !== (tls.key === null)) {
    problems.push({
      key: tls.cert === null ? 'key' : 'cert',
      message: 'cert and key go together: set both for a client certificate, or neither',
    });
    return problems;
  }
  if (tls.cert === null || tls.key === null) return problems;
  try {
    createSecureContext({ cert: read(tls.cert), key: read(tls.key) });
  } catch (error) {
    const text = errorMessage(error);
    problems.push(
      /key values mismatch/.test(text)
        ? { key: 'key', message: `${tls.key} is not the key of the certificate ${tls.cert}` }
        : { key: 'cert', message: `${tls.cert} / ${tls.key} cannot be used: ${text}` },
    );
  }
  return problems;
}
