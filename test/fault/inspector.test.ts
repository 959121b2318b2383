/**
 * The live inspector in a real browser: Debian's Chromium (test/helpers/chromium.sh installs it
 * when missing), driven by playwright-core, on a real daemon on the real stack. It sees the actors'
 * tree, the writer backing off and its pipeline's writer down while InfluxDB is cut off through the
 * fault proxy, the supervisor degraded, then running again; events stream in. A screenshot taken
 * while degraded goes to $INSPECTOR_SCREENSHOT (default: the temporary directory).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { createTopic, produce } from '../helpers/kafka.js';
import { sampleMetric } from '../helpers/messages.js';
import { ROOT } from '../helpers/paths.js';
import { FaultProxy } from '../helpers/proxy.js';
import { onTheStack, storedMetricPoints, waitForCommitted } from '../helpers/scenario.js';
import { uniqueName } from '../helpers/stack.js';

const stackRun = onTheStack();

function chromiumPath(): string {
  return execFileSync('bash', [join(ROOT, 'test', 'helpers', 'chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

describe('the live inspector in Chromium', { timeout: 300_000 }, () => {
  test('the writer backs off while InfluxDB is cut off and comes back; the page shows it as it happens', async () => {
    const id = uniqueName('insp');
    const metricsTopic = `metrics-${id}`;
    await createTopic(stackRun.brokers, metricsTopic, 2);
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(stackRun.influxUrl).port) });
    const database = `mon_${id}`;
    const daemon = stackRun.start({
      brokers: stackRun.brokers,
      influxUrl: proxy.url,
      metricsTopic,
      alarmsTopic: `alarms-${id}`,
      group: id,
      database,
      alarmsEnabled: false,
      metricsBatchSize: 100,
      maxWaitSeconds: 1,
      monitoring: { port: 0, inspector: true },
      // slow enough that each state lasts longer than the page's 250 ms updates
      supervisor: { write_attempts: 3, write_retry_initial_seconds: 1, write_retry_max_seconds: 2, restart_initial_delay_seconds: 2, restart_max_delay_seconds: 4, healthy_after_seconds: 3, max_restarts: 50 },
    });
    const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
    try {
      const url = String((await daemon.waitForLog((l) => l.msg === 'monitoring endpoint listening')).url);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${url}/inspector`);
      await page.waitForSelector('#conn.up', { timeout: 30_000 });
      await page.locator('#supervisor', { hasText: /^running$/ }).waitFor({ timeout: 60_000 });
      for (const name of ['supervisor', 'metrics-0', 'consumer', 'converter', 'writer']) {
        assert.equal(await page.locator(`[data-actor="${name}"]`).count(), 1, `actor ${name} in the tree`);
      }
      // The supervisor's machine is drawn, its current state highlighted.
      assert.equal(await page.locator('#diagram [data-path="running"].active').count(), 1);
      assert.equal(await page.locator('#diagram [data-path="stopping.draining"]').count(), 1, 'nested states drawn');

      await produce(stackRun.brokers, metricsTopic, Array.from({ length: 300 }, (_, i) => sampleMetric(i).value));
      await page.waitForSelector('#events tr[data-type="BATCH_FETCHED"]', { timeout: 30_000 });

      proxy.setMode('refuse');
      await produce(stackRun.brokers, metricsTopic, Array.from({ length: 300 }, (_, i) => sampleMetric(300 + i).value));
      await page.locator('[data-actor="writer"] .state', { hasText: 'writing.backingOff' }).waitFor({ timeout: 60_000 });
      await page.locator('[data-actor="metrics-0"] .state', { hasText: 'writer.down' }).waitFor({ timeout: 60_000 });
      await page.locator('#supervisor', { hasText: /^degraded$/ }).waitFor({ timeout: 30_000 });
      await page.locator('[data-actor="consumer"] .state', { hasText: 'consuming.paused' }).waitFor({ timeout: 30_000 });
      // The pipeline's machine, selected, shows its writer region in `down`.
      await page.locator('[data-actor="metrics-0"]').click();
      await page.waitForSelector('#diagram [data-path="active.writer.down"].active', { timeout: 10_000 });
      await page.screenshot({ path: join(process.env.INSPECTOR_SCREENSHOT ?? tmpdir(), 'inspector.png') });

      proxy.setMode('pass');
      await page.locator('[data-actor="metrics-0"] .state', { hasText: 'writer.up' }).waitFor({ timeout: 60_000 });
      await page.locator('#supervisor', { hasText: /^running$/ }).waitFor({ timeout: 30_000 });
      await waitForCommitted(stackRun.brokers, `${id}_metrics`, metricsTopic, 'end', 60_000, daemon);
      assert.equal(await storedMetricPoints(stackRun.influxUrl, database), 600);
      // The events of a chosen actor only.
      await page.selectOption('#filter', 'writer');
      const shown = await page.locator('#events tr td:nth-child(2)').allTextContents();
      assert.ok(shown.length > 0 && shown.every((t) => t.includes('writer')), `only the writer's events: ${shown.slice(0, 5)}`);
      assert.equal((await daemon.stop()).code, 0, daemon.tail());
    } finally {
      await browser.close();
      await proxy.close();
    }
  });
});
