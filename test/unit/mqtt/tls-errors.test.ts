// Node's TLS errors → one clear line per cause (tls-errors.ts), counted and logged
// once per cause (tls-refusals.ts), and `rejectUnauthorized` false only with `insecure: true`
// (connect-options.ts). The mapping is checked on errors shaped like Node's, and again on
// the errors real handshakes produce (an in-process TLS server on 127.0.0.1 with
// certificates from a throwaway openssl CA), so a Node upgrade that renames a code fails here.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import mqtt from 'mqtt';
import { closestKey } from '../../../src/config/suggest.ts';
import { ErrorCodes, isGatewayError } from '../../../src/errors.ts';
import { toClientOptions } from '../../../src/mqtt/connect-options.ts';
import type { BrokerLink } from '../../../src/mqtt/connect-options.ts';
import { certificateFacts, describeTlsRefusal, formatDate } from '../../../src/mqtt/tls-errors.ts';
import type { TlsRefusalContext } from '../../../src/mqtt/tls-errors.ts';
import { TlsRefusals, urlHost } from '../../../src/mqtt/tls-refusals.ts';
import { createTestCa } from '../../helpers/test-ca.ts';
import type { IssuedCertificate, TestCa } from '../../helpers/test-ca.ts';

function nodeError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code }, extra);
}

const withCa: TlsRefusalContext = { host: 'broker.lan', caConfigured: true, clientCertConfigured: false };

void describe('describeTlsRefusal', () => {
  void it('names mqtt.tls.ca for every "no chain to a trusted CA" code', () => {
    for (const code of [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'CERT_SIGNATURE_FAILURE',
    ]) {
      const r = describeTlsRefusal(nodeError(code, 'unable to verify the first certificate'), withCa);
      assert.equal(r?.cause, 'untrusted', code);
      assert.equal(r.code, code);
      assert.match(r.message, /^broker certificate is (self-signed and )?not signed by mqtt\.tls\.ca \(/);
      assert.ok(r.message.includes(code));
      assert.doesNotMatch(r.message, /\n/);
    }
    const self = describeTlsRefusal(
      nodeError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
      withCa,
    );
    assert.match(self?.message ?? '', /is self-signed and not signed by mqtt\.tls\.ca/);
  });

  void it('says who issued it, and to set mqtt.tls.ca when none is set', () => {
    const peer = certificateFacts({
      subject: { CN: 'broker' },
      issuer: { CN: 'Evil CA' },
      subjectaltname: 'DNS:broker.lan',
      valid_from: 'Jan  1 00:00:00 2024 GMT',
      valid_to: 'Jan  1 00:00:00 2034 GMT',
    });
    const r = describeTlsRefusal(
      nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      {
        ...withCa,
        caConfigured: false,
        peer,
      },
    );
    assert.equal(
      r?.message,
      'broker certificate is not signed by a CA this system trusts; set mqtt.tls.ca to the CA that signed it ' +
        '(issued by "Evil CA"; self-signed certificate in certificate chain, SELF_SIGNED_CERT_IN_CHAIN)',
    );
  });

  void it('lists the names the certificate is for, and the host asked for', () => {
    const error = nodeError(
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames",
      {
        host: 'localhost',
        cert: {
          subject: { CN: 'x' },
          subjectaltname: 'DNS:other.example, IP Address:10.0.0.1',
          valid_to: 'Jan  1 2034',
        },
      },
    );
    const r = describeTlsRefusal(error, withCa);
    assert.equal(r?.cause, 'hostname');
    assert.equal(r.message, 'broker certificate is for other.example, 10.0.0.1, not localhost');
    // Without subjectAltName, the common name is what the certificate names.
    const cnOnly = nodeError('ERR_TLS_CERT_ALTNAME_INVALID', 'x', {
      cert: { subject: { CN: 'old.example' }, valid_to: 'Jan  1 2034' },
    });
    assert.equal(
      describeTlsRefusal(cnOnly, withCa)?.message,
      'broker certificate is for old.example, not broker.lan',
    );
  });

  void it('gives the expiry date, or the start date and this clock', () => {
    const peer = {
      subject: 'b',
      issuer: 'ca',
      altNames: [],
      validFrom: new Date('2030-05-01T12:00:00Z'),
      validTo: new Date('2025-11-26T10:27:48Z'),
    };
    const expired = describeTlsRefusal(nodeError('CERT_HAS_EXPIRED', 'certificate has expired'), {
      ...withCa,
      peer,
    });
    assert.equal(expired?.cause, 'expired');
    assert.equal(expired.message, 'broker certificate expired on 2025-11-26 10:27:48 UTC');
    const noPeer = describeTlsRefusal(nodeError('CERT_HAS_EXPIRED', 'certificate has expired'), withCa);
    assert.equal(noPeer?.message, 'broker certificate has expired (CERT_HAS_EXPIRED)');
    const early = describeTlsRefusal(nodeError('CERT_NOT_YET_VALID', 'certificate is not yet valid'), {
      ...withCa,
      peer,
      now: new Date('1970-01-01T00:00:10Z'),
    });
    assert.equal(early?.cause, 'not_yet_valid');
    assert.equal(
      early.message,
      "broker certificate not yet valid: valid from 2030-05-01 12:00:00 UTC, and this machine's clock says 1970-01-01 00:00:10 UTC; check the clock (NTP)",
    );
  });

  void it('tells a missing client certificate from a refused one (mutual TLS)', () => {
    const required = nodeError(
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      '80DC:error:0A00045C:SSL routines…',
      {
        reason: 'tlsv13 alert certificate required',
      },
    );
    assert.equal(
      describeTlsRefusal(required, withCa)?.message,
      'broker requires a client certificate: set mqtt.tls.cert and mqtt.tls.key (tlsv13 alert certificate required)',
    );
    const unknownCa = nodeError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'x');
    const refused = describeTlsRefusal(unknownCa, { ...withCa, clientCertConfigured: true });
    assert.equal(refused?.cause, 'client_certificate');
    assert.match(
      refused.message,
      /^broker refused the client certificate mqtt\.tls\.cert \(tlsv1 alert unknown ca\)/,
    );
  });

  void it('spots a plain listener, and leaves non-TLS errors alone', () => {
    assert.equal(
      describeTlsRefusal(nodeError('ERR_SSL_WRONG_VERSION_NUMBER', 'x'), withCa)?.cause,
      'not_tls',
    );
    assert.equal(describeTlsRefusal(nodeError('ERR_SSL_SOMETHING_NEW', 'x'), withCa)?.cause, 'tls');
    assert.equal(describeTlsRefusal(nodeError('ECONNREFUSED', 'connect ECONNREFUSED'), withCa), null);
    assert.equal(describeTlsRefusal(new Error('no code'), withCa), null);
    assert.equal(describeTlsRefusal(undefined, withCa), null);
  });
});

void describe('TlsRefusals', () => {
  const context = { host: '127.0.0.1', caConfigured: true, clientCertConfigured: false };

  void it('counts every refused attempt, says each cause is news once until a good connection', () => {
    const refusals = new TlsRefusals(context);
    assert.deepEqual(refusals.status(), { refused: 0, cause: null });
    const first = nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate');
    refusals.watch(undefined);
    assert.equal(refusals.record(first)?.news, true);
    // MQTT.js emits the same error object twice: one attempt, one count.
    assert.deepEqual(refusals.record(first), {
      refusal: refusals.record(first)?.refusal,
      news: false,
      duplicate: true,
    });
    assert.equal(refusals.refusedThisAttempt, true);
    refusals.watch(undefined);
    assert.equal(refusals.refusedThisAttempt, false);
    const again = nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate');
    assert.equal(refusals.record(again)?.news, false);
    const expired = nodeError('CERT_HAS_EXPIRED', 'certificate has expired');
    assert.equal(refusals.record(expired)?.news, true);
    assert.deepEqual(refusals.status(), { refused: 3, cause: 'expired' });
    assert.equal(refusals.record(nodeError('ECONNREFUSED', 'refused')), null);
    refusals.connected();
    assert.deepEqual(refusals.status(), { refused: 3, cause: null });
    assert.equal(refusals.record(nodeError('CERT_HAS_EXPIRED', 'certificate has expired'))?.news, true);
  });

  void it('takes the host from mqtt.url', () => {
    assert.equal(urlHost('mqtts://user:pw@broker.lan:8883'), 'broker.lan');
    assert.equal(urlHost('mqtts://[::1]:8883'), '::1');
    assert.equal(urlHost('mqtts://127.0.0.1'), '127.0.0.1');
  });
});

const link = (tlsPart: BrokerLink['tls']): BrokerLink => ({
  url: 'mqtts://broker.lan:8883',
  clientId: 'c',
  protocolVersion: 5,
  keepaliveMs: 30_000,
  tls: tlsPart,
  will: { topic: 'w', payload: 'offline', qos: 1, retain: true },
});

void describe('toClientOptions and the config', () => {
  void it('never turns verification off without insecure: true', () => {
    assert.equal(toClientOptions(link(null)).rejectUnauthorized, true);
    const verified = { ca: null, cert: null, key: null, insecure: false };
    assert.equal(toClientOptions(link(verified)).rejectUnauthorized, true);
    assert.equal(toClientOptions(link({ ...verified, insecure: true })).rejectUnauthorized, false);
  });

  void it('answers reject_unauthorized with insecure: true', () => {
    const tlsKeys = ['ca', 'cert', 'key', 'insecure'];
    assert.equal(closestKey('reject_unauthorized', tlsKeys), 'insecure: true');
    assert.equal(closestKey('rejectUnauthorized', tlsKeys), 'insecure: true');
    assert.equal(closestKey('reject_unauthorized', ['name', 'path']), undefined);
    assert.equal(closestKey('cafile', tlsKeys), 'ca');
  });
});

void describe('TLS files that read fine but cannot work', () => {
  let ca: TestCa;
  before(() => {
    ca = createTestCa();
  });
  after(() => ca.cleanup());

  void it('are refused at start with the key named (exit 78 like an unreadable file)', () => {
    const a = ca.issue('client-a', { commonName: 'a', altNames: [], client: true });
    const b = ca.issue('client-b', { commonName: 'b', altNames: [], client: true });
    const files = { ca: ca.caFile, cert: a.certFile, key: a.keyFile, insecure: false };
    assert.ok(toClientOptions(link(files)).cert !== undefined);
    const refused = (tlsPart: BrokerLink['tls'], message: RegExp): void =>
      assert.throws(
        () => toClientOptions(link(tlsPart)),
        (e: unknown) => isGatewayError(e, ErrorCodes.SECRET_UNREADABLE) && message.test(e.message),
      );
    refused(
      { ...files, key: b.keyFile },
      /^mqtt\.tls\.key: .*client-b\.key is not the key of the certificate .*client-a\.pem$/,
    );
    refused({ ...files, key: null }, /^mqtt\.tls\.cert: cert and key go together/);
    // Node would silently trust nothing with a CA file that holds no certificate.
    refused({ ...files, ca: a.keyFile }, /^mqtt\.tls\.ca: .*client-a\.key holds no PEM certificate/);
  });
});

// ------------------------------------------------------------ real handshakes, real errors

interface Served {
  port: number;
  servernames: (string | false | null)[];
  close(): Promise<void>;
}

async function serve(cert: IssuedCertificate): Promise<Served> {
  const servernames: (string | false | null)[] = [];
  const server = tls.createServer({ cert: cert.cert, key: cert.key }, (socket) => socket.destroy());
  server.on('secureConnection', (socket) => servernames.push(socket.servername));
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    servernames,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One handshake the way MQTT.js does it, watched and classified the way the publisher does. */
async function refusalFor(
  served: Served,
  host: string,
  ca: string,
): Promise<{ error: unknown; refusals: TlsRefusals }> {
  const refusals = new TlsRefusals({ host, caConfigured: true, clientCertConfigured: false });
  const socket = tls.connect({
    host: '127.0.0.1',
    port: served.port,
    ca,
    servername: host === '127.0.0.1' ? undefined : host,
  });
  refusals.watch(socket);
  const error = await new Promise<unknown>((resolve) => {
    socket.once('error', resolve);
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(undefined);
    });
  });
  return { error, refusals };
}

void describe('refusals from real handshakes', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  const servers: Served[] = [];
  before(() => {
    ca = createTestCa();
    otherCa = createTestCa();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    ca.cleanup();
    otherCa.cleanup();
  });
  const names = ['IP:127.0.0.1', 'DNS:localhost'];

  void it('wrong CA', async () => {
    const s = await serve(otherCa.issue('foreign', { commonName: 'broker', altNames: names }));
    servers.push(s);
    const { error, refusals } = await refusalFor(s, '127.0.0.1', ca.caPem);
    const r = refusals.record(error)?.refusal;
    assert.equal(r?.cause, 'untrusted', String(error));
    assert.match(
      r.message,
      /^broker certificate is not signed by mqtt\.tls\.ca \(issued by "tty2mqtt test CA"; /,
    );
  });

  void it('wrong host name', async () => {
    const s = await serve(
      ca.issue('other', { commonName: 'other.example', altNames: ['DNS:other.example'] }),
    );
    servers.push(s);
    const { error, refusals } = await refusalFor(s, 'localhost', ca.caPem);
    assert.equal(
      refusals.record(error)?.refusal.message,
      'broker certificate is for other.example, not localhost',
    );
  });

  void it('expired, with the date the certificate says', async () => {
    const issued = ca.issue('expired', { commonName: 'broker', altNames: names, expired: true });
    const s = await serve(issued);
    servers.push(s);
    const { error, refusals } = await refusalFor(s, '127.0.0.1', ca.caPem);
    const expected = formatDate(new Date(new X509Certificate(issued.cert).validTo));
    assert.equal(refusals.record(error)?.refusal.message, `broker certificate expired on ${expected}`);
  });

  void it('a good certificate passes, and mqtts:// with a host name sends it as SNI', async () => {
    const s = await serve(ca.issue('good', { commonName: 'broker', altNames: names }));
    servers.push(s);
    const { error } = await refusalFor(s, '127.0.0.1', ca.caPem);
    assert.equal(error, undefined);
    const options = toClientOptions({ ...link(null), url: `mqtts://localhost:${s.port}` });
    const client = mqtt.connect(`mqtts://localhost:${s.port}`, { ...options, ca: ca.caPem });
    client.on('error', () => undefined);
    try {
      const deadline = Date.now() + 10_000;
      while (!s.servernames.includes('localhost') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      client.end(true);
    }
    assert.ok(s.servernames.includes('localhost'), `SNI seen: ${JSON.stringify(s.servernames)}`);
  });
});
