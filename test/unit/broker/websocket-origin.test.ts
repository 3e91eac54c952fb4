import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { originForLog, refusedOrigin } from '../../../src/broker/websocket-origin.ts';

const allowed = new Set(['http://localhost:3000', 'https://ha.example']);

void describe('refusedOrigin', () => {
  void it('lets requests without an Origin through: they do not come from a web page', () => {
    assert.equal(refusedOrigin({}, allowed), undefined);
    assert.equal(refusedOrigin({ host: '127.0.0.1:8080' }, new Set()), undefined);
  });

  void it('lets exactly the listed origins through', () => {
    assert.equal(refusedOrigin({ origin: 'http://localhost:3000' }, allowed), undefined);
    assert.equal(refusedOrigin({ origin: 'https://ha.example' }, allowed), undefined);
  });

  void it('refuses anything else, look-alikes and `null` included, in either header', () => {
    for (const origin of [
      'http://evil.example',
      'http://localhost:3000.evil.example',
      'https://localhost:3000',
      'http://localhost:3001',
      'HTTP://LOCALHOST:3000',
      'null',
      '',
    ])
      assert.equal(refusedOrigin({ origin }, allowed), origin);
    assert.equal(
      refusedOrigin({ 'sec-websocket-origin': 'http://evil.example' }, allowed),
      'http://evil.example',
    );
    assert.equal(
      refusedOrigin(
        { origin: 'http://localhost:3000', 'sec-websocket-origin': 'http://evil.example' },
        allowed,
      ),
      'http://evil.example',
    );
    assert.equal(refusedOrigin({ origin: 'http://localhost:3000' }, new Set()), 'http://localhost:3000');
  });

  void it('quotes at most 200 characters of an origin in logs', () => {
    assert.equal(originForLog('http://a.example'), 'http://a.example');
    assert.equal(originForLog(`http://${'a'.repeat(1000)}`).length, 201);
  });
});
