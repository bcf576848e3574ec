import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { analyzeDrift } from '../analyzeDrift.ts';
import { createWorld } from '../testing/world.ts';

/**
 * The HTML report opens in a real browser (Debian's headless Chromium) and shows its plots:
 * every chart is laid out with a visible size, the histograms really paint baseline and live
 * bars (pixels of both colours in a screenshot), and the page fetches nothing.
 */

const CHROMIUM = '/usr/bin/chromium';

/**
 * Runs in the browser (as source text: the project's TypeScript has no DOM types): decodes a
 * PNG and counts the pixels near the baseline (blue) and live (orange) colours.
 */
const COUNT_COLOURS = `async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data;
  let blueish = 0;
  let orangeish = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], g = data[i + 1], b = data[i + 2];
    if (b > r + 40 && b > g) blueish++;
    if (r > b + 80 && g > b + 20) orangeish++;
  }
  return { blueish, orangeish };
}`;
const available = existsSync(CHROMIUM);
const suite = available ? describe : describe.skip;
if (!available) {
  console.warn(
    `report/html.chromium.test.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`,
  );
}

suite(
  `HTML report in headless Chromium (${available ? CHROMIUM : `skipped: ${CHROMIUM} is not installed; apt-get install -y chromium`})`,
  () => {
    let browser: BrowserContext;
    let file: string;
    const dir = mkdtempSync(join(tmpdir(), 'drift-report-'));

    beforeAll(async () => {
      const w = await createWorld({ minLabels: 30 });
      // Three runs so the over-time charts have points: clean, clean + ground truth, shifted.
      await w.capture(100, { at: '2026-12-03T19:30:00Z' });
      await analyzeDrift(w.deps);
      w.clock.advanceMinutes(60);
      const { rows, ids } = await w.capture(80, { at: '2026-12-03T20:30:00Z' });
      await w.objects.put(
        'raw',
        'ground-truth/day-1.csv',
        ['inference_id,diagnosis', ...rows.map((r, i) => `${ids[i]},${r.diagnosis}`)].join('\n'),
      );
      await analyzeDrift(w.deps);
      w.clock.advanceMinutes(60);
      const shifted = await w.capture(100, {
        at: '2026-12-03T21:30:00Z',
        shift: true,
        probability: (r) => ((r.id * 7919) % 100) / 100,
      });
      await w.objects.put(
        'raw',
        'ground-truth/day-2.jsonl',
        shifted.rows
          .map((r, i) => JSON.stringify({ inference_id: shifted.ids[i], diagnosis: r.diagnosis }))
          .join('\n'),
      );
      const summary = await analyzeDrift(w.deps);
      file = join(dir, 'report.html');
      writeFileSync(file, w.objects.text('artifacts', `${summary.report_prefix}report.html`) ?? '');

      // A fresh profile (Playwright takes it as launchPersistentContext's userDataDir).
      browser = await chromium.launchPersistentContext(
        mkdtempSync(join(tmpdir(), 'chromium-profile-')),
        {
          executablePath: CHROMIUM,
          headless: true,
          viewport: { width: 1280, height: 900 },
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      );
    }, 30_000);

    afterAll(async () => {
      await browser?.close();
    });

    it('lays out every chart, fetches nothing and logs no error', async () => {
      // Prepare
      const page = await browser.newPage();
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (err) => problems.push(err.message));

      // Act
      await page.goto(pathToFileURL(file).href);
      const charts = await page.$$eval('svg.chart', (els) =>
        els.map((el) => {
          const box = el.getBoundingClientRect();
          return {
            kind: el.getAttribute('data-chart'),
            width: box.width,
            height: box.height,
            marks: el.querySelectorAll('rect[height]:not([height="0"]), polyline, circle').length,
          };
        }),
      );

      // Assess
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(problems).toEqual([]);
      expect(charts.filter((c) => c.kind === 'histogram')).toHaveLength(31);
      expect(charts.filter((c) => c.kind === 'bars')).toHaveLength(1);
      expect(charts.filter((c) => c.kind === 'lines')).toHaveLength(2);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(100);
        expect(c.height).toBeGreaterThan(50);
        expect(c.marks).toBeGreaterThan(1);
      }
      expect(await page.title()).toMatch(/^Drift report /);
      await page.close();
    });

    it('paints baseline and live bars (a screenshot has pixels of both colours)', async () => {
      // Prepare
      const page = await browser.newPage();
      await page.goto(pathToFileURL(file).href);

      // Act
      const full = await page.screenshot({ fullPage: true });
      writeFileSync(join(dir, 'report.png'), full);
      const shot = await page.locator('svg[data-feature="radius_mean"]').screenshot();
      const blank = await browser.newPage();
      const colours = (await blank.evaluate(
        `(${COUNT_COLOURS})(${JSON.stringify(shot.toString('base64'))})`,
      )) as {
        blueish: number;
        orangeish: number;
      };

      // Assess
      expect(full.length).toBeGreaterThan(50_000);
      expect(colours.blueish).toBeGreaterThan(100);
      expect(colours.orangeish).toBeGreaterThan(100);
      await blank.close();
      await page.close();
    });
  },
);
