// The status page in a real browser: Debian's headless Chromium opens the page
// of the real daemon (real Mosquitto, a device on a socat pty), sees the port, its state
// and its last values, follows a new reading without a reload, requests nothing but our
// own server, runs none of the markup a device sends, and renders what we claim — checked
// in the pixels of a full-page screenshot (copied to /tmp/tty2mqtt-status-page.png).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { PAGE_COLOURS } from '../../src/ops/status-page.ts';
import { launchChromium } from '../helpers/chromium.ts';
import type { Chromium } from '../helpers/chromium.ts';
import { openDevice } from '../helpers/device.ts';
import type { DeviceEnd } from '../helpers/device.ts';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const SCREENSHOT_COPY = '/tmp/tty2mqtt-status-page.png';

// A device with a free-text field: its value is untrusted markup on purpose.
const PROFILE = `id: attic-notes
description: attic sensor with a free-text note, JSON lines
protocol: line
line: { format: json, checksum: none, ack: false, max_bytes: 256 }
fields:
  temperature: { type: number, min: -40, max: 85, unit: "°C" }
  note: { type: string, max_length: 100 }
publish: { topic: "{port}/{field}", mode: per_field, qos: 1, retain: false }
`;

const XSS_VALUE = '<img src=x onerror="window.__xss=1">';

function hex(colour: string): [number, number, number] {
  const n = Number.parseInt(colour.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Pixels within `box` whose colour is within `tolerance` of `colour` on every channel. */
function countColour(
  png: PNG,
  box: { x: number; y: number; width: number; height: number },
  colour: string,
  tolerance = 40,
): number {
  const [r, g, b] = hex(colour);
  let n = 0;
  for (let y = Math.max(0, Math.floor(box.y)); y < Math.min(png.height, Math.ceil(box.y + box.height)); y++)
    for (let x = Math.max(0, Math.floor(box.x)); x < Math.min(png.width, Math.ceil(box.x + box.width)); x++) {
      const i = (y * png.width + x) * 4;
      if (
        Math.abs(png.data[i]! - r) <= tolerance &&
        Math.abs(png.data[i + 1]! - g) <= tolerance &&
        Math.abs(png.data[i + 2]! - b) <= tolerance
      )
        n++;
    }
  return n;
}

/** How many pixel rows of `box` hold `colour` at least once (a flat line: a few). */
function strokeRows(
  png: PNG,
  box: { x: number; y: number; width: number; height: number },
  colour: string,
): number {
  let rows = 0;
  for (let y = Math.max(0, Math.floor(box.y)); y < Math.min(png.height, Math.ceil(box.y + box.height)); y++)
    if (countColour(png, { x: box.x, y, width: box.width, height: 1 }, colour) > 0) rows += 1;
  return rows;
}

async function box(
  page: Page,
  selector: string,
): Promise<{ x: number; y: number; width: number; height: number }> {
  const found = await page.locator(selector).first().boundingBox();
  assert.ok(found !== null, `${selector} is not rendered`);
  return found;
}

/** Input written before the gateway has the port open would be flushed at open. */
async function waitForPortOpen(base: string, port: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = (await (await fetch(`${base}/status.json`)).json()) as {
      ports: { name: string; state: string }[];
    };
    if (status.ports.find((p) => p.name === port)?.state === 'open') return;
    if (Date.now() > deadline) throw new Error(`port ${port} not open: ${JSON.stringify(status.ports)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('status page in headless Chromium', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let device: DeviceEnd;
  let browser: Chromium | undefined;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-page-'));
    mkdirSync(join(dir, 'devices', 'attic-notes'), { recursive: true });
    writeFileSync(join(dir, 'devices', 'attic-notes', 'profile.yaml'), PROFILE);
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'attic-dev', gateway: 'attic-gw' });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'version: 1',
        'gateway: { id: pagegw, base_topic: iot/page }',
        `mqtt: { broker: external, url: "${broker.url}", keepalive: 5s }`,
        'devices_dir: ./devices',
        'ports:',
        `  - { name: attic, path: "${pty.gatewayPath}", device: attic-notes, idle_timeout: 0 }`,
        `http: { listen: "127.0.0.1:${port}" }`,
      ].join('\n'),
    );
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('"msg":"tty2mqtt running', 30_000);
    device = await openDevice(pty.devicePath);
    await waitForPortOpen(base, 'attic');
    await device.write('# booting\n'); // the first line after open is discarded
    await device.write(`${JSON.stringify({ temperature: 21.5, note: XSS_VALUE })}\n`);
    // Not JSON: discarded with a warning whose detail quotes the markup.
    await device.write('<script>window.__xss=2</script>\n');
    browser = await launchChromium({ viewport: { width: 1000, height: 800 } });
  });

  after(async () => {
    await browser?.close();
    await device?.close();
    await gateway?.kill('SIGKILL');
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the port, its state and last values, updates live, and draws them', async () => {
    const context = browser!.context;
    const requests: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    const page = await context.newPage();
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${base}/`, { waitUntil: 'load' });

    const card = page.locator('[data-port="attic"]');
    const temperature = card.locator('[data-field="temperature"]');
    await temperature.filter({ hasText: '21.5 °C' }).waitFor({ timeout: 30_000 });
    assert.equal(await card.locator('[data-badge]').first().textContent(), 'open');
    assert.equal(await card.locator('[data-badge]').first().getAttribute('data-badge'), 'open');
    assert.match((await card.textContent()) ?? '', /attic-notes/);
    // The device's markup is shown as text, never run or parsed.
    assert.equal(await card.locator('[data-field="note"]').textContent(), XSS_VALUE);
    await page.locator('#errors').filter({ hasText: '<script>' }).waitFor({ timeout: 30_000 });
    assert.match((await page.locator('#errors').textContent()) ?? '', /line discarded/);
    assert.equal(await page.evaluate('window.__xss'), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('script').count(), 1);
    assert.equal(await page.locator('#gateway').textContent(), 'pagegw');
    assert.match((await page.locator('#summary').textContent()) ?? '', /broker connected/);

    // A new reading reaches the open page without a reload.
    await page.evaluate('window.__marker = 42');
    await device.write(`${JSON.stringify({ temperature: 23.25, note: 'dry' })}\n`);
    await temperature.filter({ hasText: '23.25 °C' }).waitFor({ timeout: 30_000 });
    assert.equal(await card.locator('[data-field="note"]').textContent(), 'dry');
    assert.equal(await page.evaluate('window.__marker'), 42);
    assert.equal(navigations, 1);

    // A broker outage: the readings wait in the queue, and the page says so at a glance —
    // the broker and health badges turn, the depth climbs, the sparkline rises.
    await broker.kill9();
    await page.locator('#summary').filter({ hasText: 'broker disconnected' }).waitFor({ timeout: 30_000 });
    for (const t of [24, 25, 26]) await device.write(`${JSON.stringify({ temperature: t, note: 'wet' })}\n`);
    await page
      .locator('#queue dd')
      .first()
      .filter({ hasText: /^[1-9]\d*$/ })
      .waitFor({ timeout: 30_000 });
    await page.locator('#summary').filter({ hasText: 'unhealthy' }).waitFor({ timeout: 30_000 });
    await temperature.filter({ hasText: '26 °C' }).waitFor({ timeout: 30_000 });

    // Readable on a phone: no horizontal scrolling at 390 px.
    await page.setViewportSize({ width: 390, height: 800 });
    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'));
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.evaluate('window.scrollTo(0, 0)');

    // Pixels: the sparkline's box holds its stroke colour, the badge its green, and the
    // page is not blank.
    const file = join(dir, 'status-page.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = PNG.sync.read(readFileSync(file));
    const spark = await box(page, '#sparkline');
    const badge = await box(page, '[data-port="attic"] [data-badge="open"]');
    copyFileSync(file, SCREENSHOT_COPY); // for a person to look at, pass or fail
    const stroke = countColour(png, spark, PAGE_COLOURS.sparkline);
    assert.ok(stroke > 100, `sparkline stroke: ${stroke} pixels in ${JSON.stringify(spark)}`);
    // The backlog shows as a rise, not a flat line: the stroke spans much of the box's height.
    const rows = strokeRows(png, spark, PAGE_COLOURS.sparkline);
    assert.ok(rows > spark.height * 0.4, `sparkline spans ${rows} of ${spark.height} rows: flat?`);
    assert.ok(
      countColour(png, badge, PAGE_COLOURS.open) > badge.width * badge.height * 0.3,
      'badge is green',
    );
    // The same colours are not everywhere: the stroke is in the sparkline, not the background.
    const whole = { x: 0, y: 0, width: png.width, height: png.height };
    assert.ok(countColour(png, whole, PAGE_COLOURS.sparkline) < png.width * png.height * 0.05);
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4 * 7) colours.add(png.data.readUInt32BE(i));
    assert.ok(colours.size > 50, `only ${colours.size} colours: blank page?`);

    // Self-contained: every request went to our server (page, event stream; the favicon is a data: URL).
    assert.ok(requests.length >= 2);
    for (const url of requests) assert.ok(url.startsWith(`${base}/`), `unexpected request ${url}`);
    assert.ok(requests.includes(`${base}/events`));
    // No script error, no CSP violation.
    assert.deepEqual(errors, []);
    await page.close();
  });
});
