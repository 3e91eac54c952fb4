// gateway.yaml `flash:`: off by default, and refused where anyone could use it — the embedded
// broker without `users` reachable beyond loopback or over a WebSocket.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayConfigSchema } from '../../../src/config/schema.ts';

const ports = [{ name: 'shed', path: '/dev/ttyACM0', device: 'climate' }];

function problems(input: Record<string, unknown>): string[] {
  const parsed = gatewayConfigSchema.safeParse({ ports, ...input });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('flash: in gateway.yaml', () => {
  it('is off, with the auto programmer, unless asked for', () => {
    const { flash } = gatewayConfigSchema.parse({ ports });
    assert.deepEqual(flash, { allow: false, programmer: 'auto' });
    assert.deepEqual(problems({ flash: { programmer: 'stk500v2' } }).length, 1);
    assert.deepEqual(problems({ flash: { allow: true, user: 'x' } }).length, 1);
  });

  it('is allowed with the embedded broker on loopback, with users, and with an external broker', () => {
    assert.deepEqual(problems({ flash: { allow: true } }), []);
    assert.deepEqual(
      problems({
        flash: { allow: true },
        embedded_broker: {
          listen: '0.0.0.0:1883',
          users: [{ username: 'admin', password_file: 'a.secret' }],
        },
      }),
      [],
    );
    assert.deepEqual(
      problems({
        flash: { allow: true },
        mqtt: { broker: 'external', url: 'mqtt://broker.lan' },
        embedded_broker: { listen: '0.0.0.0:1883' },
      }),
      [],
    );
  });

  it('is refused where anyone reaching the embedded broker could flash', () => {
    const expected = (why: string) => [
      `flash.allow: firmware updates need embedded_broker.users here: ${why}, so anyone reaching it could replace a board's firmware`,
    ];
    assert.deepEqual(
      problems({ flash: { allow: true }, embedded_broker: { listen: '0.0.0.0:1883' } }),
      expected('the embedded broker listens on 0.0.0.0:1883 without logins'),
    );
    assert.deepEqual(
      problems({ flash: { allow: true }, embedded_broker: { listen: '[::]:1883' } }),
      expected('the embedded broker listens on [::]:1883 without logins'),
    );
    assert.deepEqual(
      problems({ flash: { allow: true }, embedded_broker: { websocket: '127.0.0.1:8080' } }),
      expected('the embedded broker has a WebSocket listener without logins'),
    );
    // The same settings without flash.allow are fine (check warns about them elsewhere).
    assert.deepEqual(problems({ embedded_broker: { listen: '0.0.0.0:1883' } }), []);
  });
});
