// deploy/install.sh and deploy/tty2mqtt.service, in a staging root so this
// machine's /etc is never touched: install twice (the second run changes nothing), check
// that the unit names the node install.sh found and that an unusable node is refused, verify
// the installed unit with systemd-analyze, score its sandboxing, run the installed command
// as the service user, then uninstall (config and queue kept) and purge.
// Not possible here: starting the unit (no systemd PID 1, so no systemd-run either).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/gateway-process.ts';

const INSTALL = join(REPO_ROOT, 'deploy/install.sh');
const UNIT = '/etc/systemd/system/tty2mqtt.service';
// install.sh finds node on its PATH; this directory comes first there, so the node it finds
// is not the /usr/bin/node the shipped unit starts with, and the unit must have been rewritten.
const NODE_DIR = mkdtempSync(join(tmpdir(), 'tty2mqtt-node-'));
const NODE = join(NODE_DIR, 'node');
const PATH_WITH_NODE = `${NODE_DIR}:${process.env['PATH'] ?? ''}`;

function run(command: string, args: string[], env: NodeJS.ProcessEnv = { PATH: PATH_WITH_NODE }) {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout + r.stderr };
}

/** Every file and link under `dir` with its content hash, mode and owner. */
function snapshotTree(dir: string, skip: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      const rel = relative(dir, path);
      if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
      const st = lstatSync(path);
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (entry.isSymbolicLink()) out.set(rel, `link ${readlinkSync(path)}`);
      else if (entry.isDirectory()) {
        out.set(rel, `dir ${meta}`);
        walk(path);
      } else out.set(rel, `${meta} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

function idOf(root: string, file: 'passwd' | 'group', name: string): number | undefined {
  const line = readFileSync(join(root, 'etc', file), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  return line === undefined ? undefined : Number(line.split(':')[2]);
}

describe('deploy/install.sh into a staging root', () => {
  let root: string;

  before(() => {
    symlinkSync(process.execPath, NODE);
    // install.sh refuses a bundle older than the sources (the installed bin runs it only).
    const build = run('npm', ['run', 'build'], {});
    assert.equal(build.code, 0, build.out);
    root = mkdtempSync(join(tmpdir(), 'tty2mqtt-root-'));
    chmodSync(root, 0o755); // the service user must be able to traverse it
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\ndialout:x:20:\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
    writeFileSync(join(root, 'etc/gshadow'), 'root:*::\ndialout:*::\n', { mode: 0o640 });
    // systemd-analyze verify --root needs systemd's own units (sysinit.target …) in the tree.
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
  });

  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(NODE_DIR, { recursive: true, force: true });
  });

  it('installs, and a second run changes nothing and says so', () => {
    const first = run(INSTALL, ['--root', root]);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /created +system user tty2mqtt \(groups: dialout\)/);
    assert.match(first.out, /created +\/opt\/tty2mqtt/);
    assert.match(first.out, new RegExp(`\\(node: ${NODE} ${process.version}\\)`));
    const skip = ['usr/lib/systemd', 'etc/passwd-', 'etc/group-', 'etc/shadow-', 'etc/gshadow-'];
    const before = snapshotTree(root, skip);
    const second = run(INSTALL, ['--root', root]);
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /Nothing to do: tty2mqtt is already installed and up to date\./);
    assert.doesNotMatch(second.out, /^ +(created|updated|linked|removed) /m);
    assert.deepEqual(snapshotTree(root, skip), before, 'byte-identical after the second run');
    console.log(`second run:\n${second.out}`);
  });

  it('creates the user in dialout, the directories and the starter config with the right modes', () => {
    const uid = idOf(root, 'passwd', 'tty2mqtt');
    const gid = idOf(root, 'group', 'tty2mqtt');
    assert.ok(uid !== undefined && gid !== undefined);
    assert.match(
      readFileSync(join(root, 'etc/passwd'), 'utf8'),
      /^tty2mqtt:x:\d+:\d+:[^:]*:\/var\/lib\/tty2mqtt:\/usr\/sbin\/nologin$/m,
    );
    assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^dialout:x:20:tty2mqtt$/m);
    const mode = (p: string): string => {
      const st = statSync(join(root, p));
      return `${(st.mode & 0o777).toString(8)} ${st.uid}:${st.gid}`;
    };
    assert.equal(mode('etc/tty2mqtt'), `750 0:${gid}`);
    assert.equal(mode('etc/tty2mqtt/gateway.yaml'), `640 0:${gid}`);
    assert.equal(mode('var/lib/tty2mqtt'), `750 ${uid}:${gid}`);
    assert.equal(mode('etc/systemd/system/tty2mqtt.service'), '644 0:0');
    assert.equal(readlinkSync(join(root, 'usr/local/bin/tty2mqtt')), '/opt/tty2mqtt/bin/tty2mqtt.js');
    assert.ok(existsSync(join(root, 'opt/tty2mqtt/node_modules/better-sqlite3')));
    for (const dev of ['typescript', 'tsx', 'esbuild', 'pino-pretty'])
      assert.ok(!existsSync(join(root, 'opt/tty2mqtt/node_modules', dev)), `no dev dependency ${dev}`);
    // What `npm pack` ships: the bundle, not the TypeScript sources the bundle is made from.
    assert.ok(existsSync(join(root, 'opt/tty2mqtt/dist/cli.js')));
    assert.ok(!existsSync(join(root, 'opt/tty2mqtt/src/cli.ts')));
    assert.ok(existsSync(join(root, 'opt/tty2mqtt/LICENSE')));
  });

  it('writes the node that ran install.sh into ExecStartPre= and ExecStart=', () => {
    const unit = readFileSync(join(root, UNIT), 'utf8');
    const exec = unit.split('\n').filter((l) => l.startsWith('ExecStart'));
    assert.deepEqual(exec, [
      `ExecStartPre=${NODE} /opt/tty2mqtt/bin/tty2mqtt.js check -c /etc/tty2mqtt/gateway.yaml`,
      `ExecStart=${NODE} /opt/tty2mqtt/bin/tty2mqtt.js run -c /etc/tty2mqtt/gateway.yaml`,
    ]);
    // The rest of the unit is the shipped one, line for line.
    const shipped = readFileSync(join(REPO_ROOT, 'deploy/tty2mqtt.service'), 'utf8');
    assert.equal(unit.replaceAll(`=${NODE} `, '=/usr/bin/node '), shipped);
  });

  it('refuses a node older than 20, or in a home directory, before changing anything', () => {
    const skip = ['usr/lib/systemd'];
    const before = snapshotTree(root, skip);
    const old = join(NODE_DIR, 'node18');
    writeFileSync(old, '#!/bin/sh\necho v18.19.0\n', { mode: 0o755 });
    const tooOld = run(INSTALL, ['--root', root, '--node', old]);
    assert.equal(tooOld.code, 1, tooOld.out);
    assert.match(tooOld.out, /node .*node18 is v18\.19\.0; tty2mqtt needs Node\.js 20 or newer/);
    const home = run(INSTALL, ['--root', root, '--node', '/home/pi/.nvm/versions/node/v22.11.0/bin/node']);
    assert.equal(home.code, 1, home.out);
    assert.match(home.out, /is in a home directory, which the service cannot see \(ProtectHome=yes/);
    const fakePath = mkdtempSync(join(tmpdir(), 'tty2mqtt-path-'));
    writeFileSync(join(fakePath, 'node'), '#!/bin/sh\necho v16.20.2\n', { mode: 0o755 });
    const onPath = run(INSTALL, ['--root', root], { PATH: `${fakePath}:${process.env['PATH'] ?? ''}` });
    rmSync(fakePath, { recursive: true });
    assert.equal(onPath.code, 1, onPath.out);
    assert.match(onPath.out, /is v16\.20\.2; tty2mqtt needs Node\.js 20 or newer/);
    assert.deepEqual(snapshotTree(root, skip), before, 'nothing changed');
  });

  it('passes systemd-analyze verify (which checks that ExecStart exists)', () => {
    // verify looks for ExecStart's command inside --root; the staging tree has no Node of its
    // own, so it gets a stand-in at the path the unit names, running this test's node.
    const standIn = join(root, NODE);
    mkdirSync(join(root, NODE_DIR), { recursive: true });
    writeFileSync(standIn, `#!/bin/sh\nexec ${process.execPath} "$@"\n`, { mode: 0o755 });
    try {
      const ok = run('systemd-analyze', ['verify', `--root=${root}`, UNIT]);
      assert.equal(ok.code, 0, ok.out);
      assert.equal(ok.out.trim(), '');
      // The same check fails without that node: verify is really looking.
      renameSync(standIn, `${standIn}.away`);
      const missing = run('systemd-analyze', ['verify', `--root=${root}`, UNIT]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.out, new RegExp(`Command ${NODE} is not executable`));
    } finally {
      rmSync(join(root, NODE_DIR), { recursive: true, force: true });
    }
  });

  it('scores 2.0 or better in systemd-analyze security --offline=true', () => {
    const r = run('systemd-analyze', ['security', '--offline=true', '--no-pager', join(root, UNIT)]);
    const m = /Overall exposure level for tty2mqtt\.service: (\d+\.\d+)/.exec(r.out);
    assert.ok(m, r.out);
    const score = Number(m[1]);
    const open = r.out
      .split('\n')
      .filter((l) => l.startsWith('✗'))
      .map((l) => l.replace(/\s{2,}/g, ' | ').trim());
    console.log(`systemd-analyze security score: ${score}\nremaining findings:\n${open.join('\n')}`);
    assert.ok(score <= 2.0, `exposure ${score}`);
  });

  it('the installed command checks the starter config as the service user', () => {
    const uid = String(idOf(root, 'passwd', 'tty2mqtt'));
    const gid = String(idOf(root, 'group', 'tty2mqtt'));
    const cli = join(root, 'opt/tty2mqtt/bin/tty2mqtt.js');
    const config = join(root, 'etc/tty2mqtt/gateway.yaml');
    const asService = [
      '--reuid',
      uid,
      '--regid',
      gid,
      '--clear-groups',
      '--no-new-privs',
      process.execPath,
      cli,
    ];
    const r = run('setpriv', [...asService, 'check', '-c', config]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /configuration OK/);
    assert.match(r.out, new RegExp(`^node +${process.execPath} ${process.version}$`, 'm'));
    // The exit status RestartPreventExitStatus=78 relies on: a credential without systemd.
    const broken = join(root, 'etc/tty2mqtt/credential.yaml');
    writeFileSync(
      broken,
      readFileSync(config, 'utf8').replace(
        '  broker: embedded ',
        '  broker: external\n  url: mqtt://127.0.0.1:1883\n  username: gw\n  password_file: credential:mqtt-password\n  #',
      ),
      { mode: 0o644 },
    );
    const env = { PATH: PATH_WITH_NODE, CREDENTIALS_DIRECTORY: '' };
    const bad = run('setpriv', [...asService, 'check', '-c', broken], env);
    rmSync(broken);
    assert.equal(bad.code, 78, bad.out);
    assert.match(
      bad.out,
      /credential\.yaml:\d+:\d+: mqtt\.password_file: credential:mqtt-password needs systemd's LoadCredential=/,
    );
  });

  it('uninstalls the unit, command, package and user, keeping config and queue; --purge removes them', () => {
    const r = run(INSTALL, ['--root', root, '--uninstall']);
    assert.equal(r.code, 0, r.out);
    for (const gone of [UNIT, '/usr/local/bin/tty2mqtt', '/opt/tty2mqtt'])
      assert.ok(!existsSync(join(root, gone)) && !isLink(join(root, gone)), gone);
    assert.equal(idOf(root, 'passwd', 'tty2mqtt'), undefined);
    assert.equal(idOf(root, 'group', 'tty2mqtt'), undefined);
    assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^dialout:x:20:$/m);
    assert.ok(existsSync(join(root, 'etc/tty2mqtt/gateway.yaml')));
    assert.ok(existsSync(join(root, 'var/lib/tty2mqtt')));
    const again = run(INSTALL, ['--root', root, '--uninstall']);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /Nothing to do: tty2mqtt is not installed\./);
    const purge = run(INSTALL, ['--root', root, '--uninstall', '--purge']);
    assert.equal(purge.code, 0, purge.out);
    assert.ok(!existsSync(join(root, 'etc/tty2mqtt')));
    assert.ok(!existsSync(join(root, 'var/lib/tty2mqtt')));
  });
});

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
