// loadConfig and summarizeConfig against fixture files (docs/contract.md §1 `check`, §2, §3, §5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portIdleTimeoutMs } from '../../../src/config/idle-timeout.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { LoadOptions } from '../../../src/config/load.ts';
import { summarizeConfig } from '../../../src/config/summary.ts';
import { ConfigError, ErrorCodes, isGatewayError } from '../../../src/errors.ts';
import type { GatewayConfig } from '../../../src/config/schema.ts';
import { createTestCa } from '../../helpers/test-ca.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/config');
const SHIPPED = join(FIX, 'shipped');
const AVAILABLE = 'broken, escape, extra, misnamed, mys, roomy, sensor';

function options(file: string, extra: Partial<LoadOptions> = {}): LoadOptions {
  return { file, cwd: FIX, env: {}, shippedDevicesDir: SHIPPED, hostname: 'test-host', ...extra };
}

/** The lines `tty2mqtt check` would print for a broken config. */
async function problemLines(opts: LoadOptions): Promise<string[]> {
  try {
    await loadConfig(opts);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.code, ErrorCodes.CONFIG_INVALID);
    return e.message.split('\n');
  }
  assert.fail('the config loaded, but problems were expected');
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-config-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void describe('the repository gateway.yaml', () => {
  void it('loads from ./gateway.yaml and resolves the defaults', async () => {
    const loaded = await loadConfig({
      cwd: ROOT,
      env: {},
      shippedDevicesDir: join(ROOT, 'devices'),
      hostname: 'my pi!',
    });
    const { config } = loaded;
    assert.equal(loaded.file, join(ROOT, 'gateway.yaml'));
    assert.equal(loaded.dir, ROOT);
    assert.equal(config.gateway.id, 'my-pi-');
    assert.equal(config.gateway.base_topic, 'iot/home1');
    assert.equal(config.mqtt.broker, 'embedded');
    assert.equal(config.mqtt.client_id, 'tty2mqtt-my-pi-');
    assert.equal(config.embedded_broker.listen, '127.0.0.1:1883');
    assert.equal(config.queue.path, join(ROOT, 'data/queue.db'));
    assert.equal(config.queue.max_bytes, 256 * 1024 * 1024);
    assert.equal(config.devices_dir, join(ROOT, 'devices'));
    assert.equal(config.ports.length, 1);
    assert.equal(config.ports[0]?.name, 'livingroom');
    // No idle_timeout written: the port takes its profile's default (5 × climate's 10 s, at least 60 s).
    assert.equal(config.ports[0]?.idle_timeout, undefined);
    const climate = loaded.profiles.get('climate');
    assert.equal(climate?.statedIntervalMs, 10_000);
    assert.equal(portIdleTimeoutMs(config.ports[0], climate), 60_000);
    assert.equal(climate?.file, join(ROOT, 'devices/climate/profile.yaml'));
    assert.equal(climate?.topicTemplate, '{port}/{field}');
    // ResolvedConfig is usable wherever a GatewayConfig is expected.
    const asGatewayConfig: GatewayConfig = config;
    assert.equal(asGatewayConfig.log.level, 'info');
  });

  void it('puts the queue under $STATE_DIRECTORY when systemd sets it', async () => {
    const loaded = await loadConfig({
      cwd: ROOT,
      env: { STATE_DIRECTORY: '/var/lib/tty2mqtt:/var/lib/other' },
      shippedDevicesDir: join(ROOT, 'devices'),
    });
    assert.equal(loaded.config.queue.path, '/var/lib/tty2mqtt/queue.db');
  });

  void it('is deep-frozen', async () => {
    const loaded = await loadConfig({ cwd: ROOT, env: {}, shippedDevicesDir: join(ROOT, 'devices') });
    assert.ok(Object.isFrozen(loaded));
    assert.ok(Object.isFrozen(loaded.config.ports[0]));
    assert.ok(Object.isFrozen(loaded.profiles.get('climate')?.fields));
    assert.throws(() => (loaded.profiles as Map<string, unknown>).set('x', {}), TypeError);
  });

  void it('summarizes with an example topic per field', async () => {
    const loaded = await loadConfig({
      cwd: ROOT,
      env: {},
      shippedDevicesDir: join(ROOT, 'devices'),
      hostname: 'pi',
    });
    const text = summarizeConfig(loaded);
    assert.match(text, /gateway id +pi\n/);
    assert.match(text, /broker +embedded, listening on 127\.0\.0\.1:1883/);
    assert.match(text, /field +temperature +iot\/home1\/livingroom\/temperature /);
    assert.match(text, /field +humidity +iot\/home1\/livingroom\/humidity /);
    assert.match(text, /command +led +iot\/home1\/livingroom\/led\/set/);
    assert.ok(text.includes(join(ROOT, 'data/queue.db')));
    assert.ok(text.includes(join(ROOT, 'devices/climate/profile.yaml')));
  });

  void it('summarizes the shipped mysensors-gateway profile by its generic topic', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'gateway.yaml'),
        [
          'version: 1',
          'gateway: { id: gw, base_topic: iot/h }',
          'mqtt: { broker: external, url: "mqtt://127.0.0.1:1883" }',
          'ports:',
          '  - { name: radio, path: /dev/ttyUSB0, device: mysensors-gateway }',
        ].join('\n'),
      );
      const text = summarizeConfig(
        await loadConfig(options('gateway.yaml', { cwd: dir, shippedDevicesDir: join(ROOT, 'devices') })),
      );
      assert.match(text, /presented +iot\/h\/radio\/<node>\/<child>\/<V_TYPE> /);
      assert.doesNotMatch(text, /field +temperature/);
    });
  });
});

void describe('a valid fixture with env substitution and a shipped profile', () => {
  void it('substitutes ${VAR} and ${VAR:-default}, typing unquoted values', async () => {
    const loaded = await loadConfig(options('ok-full.yaml', { env: { BAUD: '57600' } }));
    const { config } = loaded;
    assert.equal(config.gateway.base_topic, 'iot/test');
    assert.equal(config.ports[0]?.baud_rate, 57600);
    assert.deepEqual(config.ports[0]?.vars, { room: 'kitchen-main' });
    assert.equal(config.queue.path, join(FIX, 'state/q.db'));
    assert.equal(config.devices_dir, join(FIX, 'devices'));
    assert.equal(loaded.profiles.get('extra')?.file, join(SHIPPED, 'extra/profile.yaml'));
    assert.equal(loaded.profiles.get('mys')?.topicTemplate, '{port}/{node}/{field}');
    assert.equal(loaded.profiles.get('extra')?.topicTemplate, '{port}');
  });

  void it('uses the variables that are set', async () => {
    const env = { BAUD: '9600', BASE_TOPIC: 'site/b', ROOM_SUFFIX: 'east' };
    const { config } = await loadConfig(options('ok-full.yaml', { env }));
    assert.equal(config.gateway.base_topic, 'site/b');
    assert.deepEqual(config.ports[0]?.vars, { room: 'kitchen-east' });
  });

  void it('summarizes vars, {node} and json topics', async () => {
    const text = summarizeConfig(await loadConfig(options('ok-full.yaml', { env: { BAUD: '9600' } })));
    assert.ok(text.includes('iot/test/kitchen/kitchen-main/temperature'), text);
    assert.ok(text.includes('iot/test/garden/<node>/temperature'), text);
    assert.match(text, /json +iot\/test\/meter +\{power\}/);
  });
});

void describe('broken configurations: every problem, located, in words', () => {
  const cases: { file: string; env?: NodeJS.ProcessEnv; lines: string[] }[] = [
    {
      file: 'broken/several.yaml',
      lines: [
        'broken/several.yaml:4:3: gateway.idd: unknown key "idd" (did you mean "id"?)',
        'broken/several.yaml:6:8: mqtt.url: url is only used with broker: external; remove it or set broker: external',
        'broken/several.yaml:8:13: queue.inflight: expected a number, got "lots"',
        'broken/several.yaml:9:14: queue.when_full: expected one of "drop_oldest", "reject_new", got "drop_newest"',
        `broken/several.yaml:14:13: ports[0].device: no device profile "nosuch" in ${FIX}/devices or the shipped profiles (available: ${AVAILABLE})`,
        'broken/several.yaml:17:16: ports[1].baud_rate: expected a whole number, got 9600.5',
        'broken/several.yaml:19:13: ports[1].vars.field: "field" is reserved ({port} {field} {gateway} {node} are set by the gateway); choose another name',
      ],
    },
    {
      file: 'broken/typo.yaml',
      lines: ['broken/typo.yaml:5:5: ports[0].baud: unknown key "baud" (did you mean "baud_rate"?)'],
    },
    {
      file: 'broken/wrong-type.yaml',
      lines: ['broken/wrong-type.yaml:5:16: ports[0].baud_rate: expected a number, got "fast"'],
    },
    {
      file: 'broken/syntax.yaml',
      lines: ['broken/syntax.yaml:4:11: ports[0].path: YAML syntax error: Missing closing "quote'],
    },
    {
      file: 'broken/duplicate-key.yaml',
      lines: [
        'broken/duplicate-key.yaml:6:5: ports[0].path: duplicate key "path"; a key may appear only once in a mapping',
      ],
    },
    {
      file: 'broken/duplicate-port.yaml',
      lines: [
        'broken/duplicate-port.yaml:6:11: ports[1].name: "livingroom" is already the name of ports[0]; port names must be unique',
      ],
    },
    {
      file: 'broken/reserved-port.yaml',
      lines: [
        'broken/reserved-port.yaml:3:11: ports[0].name: "gateway" is reserved for the gateway\'s own topics',
      ],
    },
    {
      file: 'broken/invalid-port-name.yaml',
      lines: [
        'broken/invalid-port-name.yaml:3:11: ports[0].name: "living room" must be one topic level: 1 to 64 of A-Z a-z 0-9 _ . -',
      ],
    },
    {
      file: 'broken/bad-var.yaml',
      lines: [
        'broken/bad-var.yaml:7:13: ports[0].vars.room: "living/room" must be one topic level: 1 to 64 of A-Z a-z 0-9 _ . -',
        'broken/bad-var.yaml:8:7: ports[0].vars.node: "node" is reserved ({port} {field} {gateway} {node} are set by the gateway); choose another name',
      ],
    },
    {
      file: 'broken/missing-var.yaml',
      lines: [
        'broken/missing-var.yaml:3:5: ports[0].vars: profile "roomy" uses {room} in its topic "{port}/{room}/{field}"; add room to this port\'s vars',
      ],
    },
    {
      file: 'broken/missing-required.yaml',
      lines: [
        'broken/missing-required.yaml:3:5: ports[0].path: is required',
        'broken/missing-required.yaml:3:5: ports[0].device: is required',
      ],
    },
    {
      file: 'broken/empty-ports.yaml',
      lines: ['broken/empty-ports.yaml:2:8: ports: must list at least one port'],
    },
    {
      file: 'broken/unknown-profile.yaml',
      lines: [
        `broken/unknown-profile.yaml:5:13: ports[0].device: no device profile "thermostat" in ${FIX}/devices or the shipped profiles (available: ${AVAILABLE})`,
      ],
    },
    {
      file: 'broken/broken-profile.yaml',
      lines: [
        'devices/broken/profile.yaml:5:13: line.checksum: expected one of "none", "optional", "required", got "sometimes"',
        'devices/broken/profile.yaml:7:24: fields.temperature.type: expected one of "number", "integer", "boolean", "string", "enum", got "numbr" (did you mean "number"?)',
        'devices/broken/profile.yaml:8:29: fields.humidity.mn: unknown key "mn" (did you mean "min"?)',
        'devices/broken/profile.yaml:10:8: publish.qos: expected 0, 1 or 2, got 3',
        'devices/misnamed/profile.yaml:2:5: id: "other" must equal the profile\'s folder name "misnamed"',
        'devices/misnamed/profile.yaml:7:44: commands.reset.write: must not contain CR, LF or NUL (a newline is appended)',
      ],
    },
    {
      file: 'broken/escape-template.yaml',
      lines: [
        'devices/escape/profile.yaml:7:10: publish.topic: "{field}/{port}" must start with the level {port}, so each port\'s topics stay under base_topic/<port>/',
      ],
    },
    {
      file: 'broken/unset-env.yaml',
      lines: [
        'broken/unset-env.yaml:4:8: mqtt.url: environment variable TTY2MQTT_TEST_UNSET_URL is not set (write ${TTY2MQTT_TEST_UNSET_URL:-default} for a fallback)',
      ],
    },
  ];
  for (const c of cases) {
    void it(c.file, async () => {
      assert.deepEqual(
        await problemLines(options(c.file, c.env !== undefined ? { env: c.env } : {})),
        c.lines,
      );
    });
  }

  void it('says where it looked when there is no config file', async () => {
    await assert.rejects(loadConfig(options('nope.yaml')), (e: unknown) => {
      assert.ok(isGatewayError(e, ErrorCodes.CONFIG_NOT_FOUND));
      assert.equal(e.message, `no configuration: looked for ${join(FIX, 'nope.yaml')}`);
      return true;
    });
  });
});

void describe('secrets', () => {
  const SECRET = 'hunter2-do-not-print';
  const config = (extra: string): string =>
    `mqtt:\n  broker: external\n  url: mqtts://gw:pw1234@broker.lan:8883\n  username: gw\n${extra}devices_dir: ${FIX}/devices\nports:\n  - name: a\n    path: /dev/ttyUSB0\n    device: sensor\n`;

  void it('rejects a group-readable password_file with a chmod hint', async () => {
    await withTempDir(async (dir) => {
      const secret = join(dir, 'mqtt.secret');
      await writeFile(secret, `${SECRET}\n`);
      await chmod(secret, 0o644);
      await writeFile(join(dir, 'gateway.yaml'), config('  password_file: mqtt.secret\n'));
      const lines = await problemLines(options('gateway.yaml', { cwd: dir }));
      assert.deepEqual(lines, [
        `gateway.yaml:5:18: mqtt.password_file: password file ${secret} is readable by group or others (mode 0644); run: chmod 600 ${secret}`,
      ]);
      assert.ok(!lines.join('\n').includes(SECRET));
    });
  });

  void it('reads a private password_file, strips the newline, and never prints it', async () => {
    await withTempDir(async (dir) => {
      const secret = join(dir, 'mqtt.secret');
      await writeFile(secret, `${SECRET}\n`);
      await chmod(secret, 0o600);
      await writeFile(join(dir, 'gateway.yaml'), config('  password_file: mqtt.secret\n'));
      const loaded = await loadConfig(options('gateway.yaml', { cwd: dir }));
      assert.equal(loaded.config.mqtt.password, SECRET);
      assert.equal(loaded.config.mqtt.password_file, secret);
      const text = summarizeConfig(loaded);
      assert.ok(!text.includes(SECRET), text);
      assert.ok(!text.includes('pw1234'), text);
      assert.match(text, /external mqtts:\/\/broker\.lan:8883/);
    });
  });

  void it('refuses tls: with a plain mqtt:// or ws:// url, which would silently skip TLS', async () => {
    await withTempDir(async (dir) => {
      for (const [scheme, fix] of [
        ['mqtt', 'mqtts'],
        ['ws', 'wss'],
      ] as const) {
        await writeFile(
          join(dir, 'gateway.yaml'),
          `mqtt:\n  broker: external\n  url: ${scheme}://broker.lan:1883\n  tls: { insecure: false }\ndevices_dir: ${FIX}/devices\nports:\n  - { name: a, path: /dev/x, device: sensor }\n`,
        );
        assert.deepEqual(await problemLines(options('gateway.yaml', { cwd: dir })), [
          `gateway.yaml:3:8: mqtt.url: tls is set but ${scheme}:// is a plain connection; use ${fix}:// (or remove tls)`,
        ]);
      }
      await writeFile(
        join(dir, 'gateway.yaml'),
        `mqtt:\n  broker: external\n  url: mqtts://broker.lan:8883\n  tls: { insecure: false }\ndevices_dir: ${FIX}/devices\nports:\n  - { name: a, path: /dev/x, device: sensor }\n`,
      );
      await loadConfig(options('gateway.yaml', { cwd: dir }));
    });
  });

  void it('refuses a broker password_file that looks like a mosquitto_passwd hash but is not one', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'u.passwd'), 'u:$7$101$not-base64$nope\n', { mode: 0o600 });
      await writeFile(
        join(dir, 'gateway.yaml'),
        `embedded_broker:\n  users:\n    - { username: u, password_file: u.passwd }\ndevices_dir: ${FIX}/devices\nports:\n  - { name: a, path: /dev/x, device: sensor }\n`,
      );
      const lines = await problemLines(options('gateway.yaml', { cwd: dir }));
      assert.equal(lines.length, 1);
      assert.match(
        lines[0] ?? '',
        /^gateway\.yaml:3:37: embedded_broker\.users\[0\]\.password_file: password file u\.passwd /,
      );
      assert.ok(!(lines[0] ?? '').includes('not-base64'), 'the content is never printed');
    });
  });

  void it('check names TLS files that read fine but cannot work: no certificate in ca, a key not the cert’s', async () => {
    const ca = createTestCa();
    try {
      const a = ca.issue('a', { commonName: 'a', altNames: [], client: true });
      const b = ca.issue('b', { commonName: 'b', altNames: [], client: true });
      await withTempDir(async (dir) => {
        await writeFile(
          join(dir, 'gateway.yaml'),
          `mqtt:\n  broker: external\n  url: mqtts://broker.lan:8883\n  tls: { ca: "${a.keyFile}", cert: "${a.certFile}", key: "${b.keyFile}" }\ndevices_dir: ${FIX}/devices\nports:\n  - { name: a, path: /dev/x, device: sensor }\n`,
        );
        const lines = await problemLines(options('gateway.yaml', { cwd: dir }));
        assert.equal(lines.length, 2, lines.join('\n'));
        assert.match(
          lines[0] ?? '',
          /^gateway\.yaml:4:\d+: mqtt\.tls\.ca: .*a\.key holds no PEM certificate/,
        );
        assert.match(
          lines[1] ?? '',
          /^gateway\.yaml:4:\d+: mqtt\.tls\.key: .*b\.key is not the key of the certificate .*a\.pem$/,
        );
      });
    } finally {
      ca.cleanup();
    }
  });

  void it('reports a missing password_file for an embedded broker user', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'gateway.yaml'),
        `embedded_broker:\n  users:\n    - { username: u, password_file: u.secret }\ndevices_dir: ${FIX}/devices\nports:\n  - { name: a, path: /dev/x, device: sensor }\n`,
      );
      assert.deepEqual(await problemLines(options('gateway.yaml', { cwd: dir })), [
        `gateway.yaml:3:37: embedded_broker.users[0].password_file: password file ${join(dir, 'u.secret')} does not exist`,
      ]);
    });
  });

  void it('never prints a value that came from the environment or a password', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'gateway.yaml'),
        `gateway:\n  id: \${GW_ID}\nmqtt:\n  password: \${MQTT_PW}\n  broker: external\n  url: mqtt://broker.lan\n  keepalive: \${KEEP}\ndevices_dir: ${FIX}/devices\nports:\n  - { name: a, path: /dev/x, device: sensor }\n`,
      );
      const env = { GW_ID: 'hunter 2', MQTT_PW: '12345', KEEP: SECRET };
      const lines = await problemLines(options('gateway.yaml', { cwd: dir, env }));
      const text = lines.join('\n');
      for (const secret of ['hunter 2', '12345', SECRET]) assert.ok(!text.includes(secret), text);
      assert.deepEqual(lines, [
        'gateway.yaml:2:7: gateway.id: must be one topic level: 1 to 64 of A-Z a-z 0-9 _ . -',
        'gateway.yaml:4:13: mqtt.password: expected a string, got a number',
        'gateway.yaml:7:14: mqtt.keepalive: the value is not a duration (e.g. 250ms, 30s, 5m, 2h, 7d)',
      ]);
    });
  });
});

void describe('a `# yaml-language-server: $schema=…` first line (as in the shipped files)', () => {
  const MODELINE = '# yaml-language-server: $schema=schema/gateway.schema.json\n';
  const PROFILE_MODELINE = '# yaml-language-server: $schema=../../schema/profile.schema.json\n';

  void it('is a comment: problems keep their FILE:LINE:COL in gateway.yaml and in profiles', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'devices', 'mydev'), { recursive: true });
      await writeFile(
        join(dir, 'devices', 'mydev', 'profile.yaml'),
        `${PROFILE_MODELINE}id: mydev\nline: { format: kv }\nfields:\n  t: { type: number, mni: 0 }\n`,
      );
      await writeFile(
        join(dir, 'gateway.yaml'),
        `${MODELINE}qeue: {}\nports:\n  - { name: a, path: /dev/x, device: mydev, baud_rate: fast }\n`,
      );
      assert.deepEqual(await problemLines(options('gateway.yaml', { cwd: dir })), [
        'gateway.yaml:2:1: qeue: unknown key "qeue" (did you mean "queue"?)',
        'gateway.yaml:4:56: ports[0].baud_rate: expected a number, got "fast"',
        'devices/mydev/profile.yaml:5:22: fields.t.mni: unknown key "mni"',
      ]);
    });
  });

  void it('changes nothing in a valid file', async () => {
    await withTempDir(async (dir) => {
      const body = `devices_dir: ${FIX}/devices\nports:\n  - { name: a, path: /dev/x, device: sensor }\n`;
      await writeFile(join(dir, 'plain.yaml'), body);
      await writeFile(join(dir, 'marked.yaml'), MODELINE + body);
      const plain = await loadConfig(options('plain.yaml', { cwd: dir }));
      const marked = await loadConfig(options('marked.yaml', { cwd: dir }));
      assert.deepEqual(marked.config, plain.config);
    });
  });
});
