// A throwaway certificate authority made with the real openssl binary, for TLS tests
// (wrong CA, wrong hostname, expired certificate). Keys are EC P-256 so that making
// a CA and a handful of certificates takes well under a second.
//
// `openssl ca` is used rather than `openssl x509 -req` because only it can set an explicit
// validity window in the past (OpenSSL 3.0 has no -not_before/-not_after for x509).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCertificate {
  /** PEM files on disk, for Mosquitto's config and gateway.yaml. */
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface IssueOptions {
  /** Subject common name. */
  commonName: string;
  /** subjectAltName entries such as `IP:127.0.0.1`, `DNS:localhost`. */
  altNames: string[];
  /** An expired certificate: valid for one day, a year ago. */
  expired?: boolean;
  /** A client certificate (extendedKeyUsage clientAuth) instead of a server one. */
  client?: boolean;
}

export interface TestCa {
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  issue(name: string, options: IssueOptions): IssuedCertificate;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** UTCTime for `openssl ca -startdate/-enddate`: YYMMDDHHMMSSZ. */
function utcTime(date: Date): string {
  return `${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`;
}

const CA_CONFIG = `
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = index.txt
new_certs_dir = issued
serial = serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

/** Makes a new CA in a fresh temporary directory. Two calls give two unrelated CAs. */
export function createTestCa(label = 'tty2mqtt test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-ca-'));
  mkdirSync(join(dir, 'issued'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-new',
      '-x509',
      '-config',
      'ca.cnf',
      '-extensions',
      'v3_ca',
      '-key',
      'ca.key',
      '-subj',
      `/CN=${label}`,
      '-days',
      '3650',
      '-sha256',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  const caFile = join(dir, 'ca.pem');
  return {
    dir,
    caFile,
    caPem: readFileSync(caFile, 'utf8'),
    issue(name, options) {
      const keyFile = join(dir, `${name}.key`);
      const certFile = join(dir, `${name}.pem`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(
        ext,
        [
          'basicConstraints = CA:FALSE',
          'keyUsage = critical,digitalSignature,keyEncipherment',
          `extendedKeyUsage = ${options.client === true ? 'clientAuth' : 'serverAuth'}`,
          ...(options.altNames.length > 0 ? [`subjectAltName = ${options.altNames.join(',')}`] : []),
          '',
        ].join('\n'),
      );
      openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], dir);
      // A private key must be the owner's alone, or `check` refuses it (config/secrets.ts);
      // OpenSSL 3 already writes 0600, older versions follow the umask.
      chmodSync(keyFile, 0o600);
      openssl(
        [
          'req',
          '-new',
          '-config',
          'ca.cnf',
          '-key',
          keyFile,
          '-subj',
          `/CN=${options.commonName}`,
          '-out',
          `${name}.csr`,
        ],
        dir,
      );
      const now = Date.now();
      const validity =
        options.expired === true
          ? [
              '-startdate',
              utcTime(new Date(now - 366 * 86_400_000)),
              '-enddate',
              utcTime(new Date(now - 365 * 86_400_000)),
            ]
          : [
              '-startdate',
              utcTime(new Date(now - 3_600_000)),
              '-enddate',
              utcTime(new Date(now + 30 * 86_400_000)),
            ];
      openssl(
        [
          'ca',
          '-batch',
          '-config',
          'ca.cnf',
          '-cert',
          'ca.pem',
          '-keyfile',
          'ca.key',
          '-notext',
          '-extfile',
          ext,
          ...validity,
          '-in',
          `${name}.csr`,
          '-out',
          certFile,
        ],
        dir,
      );
      return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
