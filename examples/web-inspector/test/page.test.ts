import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, requireTool, syntheticMapInMapObject } from '@bpfkit/fixtures';
import { type Browser, chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Debian's chromium: installed by scripts/install-system-deps when missing (it needs root), else skipped saying why. */
function chromiumReady(): boolean {
  if (!existsSync('/usr/bin/chromium')) {
    try {
      execFileSync('bash', [fileURLToPath(new URL('../../../scripts/install-system-deps', import.meta.url))], {
        stdio: 'inherit',
      });
    } catch {
      // requireTool says why the test is skipped.
    }
  }
  return requireTool('chromium', 'chromium');
}

const haveChromium = chromiumReady();
const config = fileURLToPath(new URL('../vite.config.ts', import.meta.url));
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

// A page load takes seconds on a busy machine: each test gets room for several.
describe.skipIf(!haveChromium)('the web inspector in headless Chromium', { timeout: 120_000 }, () => {
  let out: string;
  let server: Server;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'bpfkit-inspector-'));
    await build({ configFile: config, logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
    server = createServer((request, response) => {
      const path = join(
        out,
        (request.url ?? '/') === '/' ? 'index.html' : ((request.url ?? '').split('?')[0] as string),
      );
      let body: Buffer;
      try {
        body = readFileSync(path);
      } catch {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
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
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(out, { recursive: true, force: true });
  });

  async function openObject(path: string) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // The longest task the main thread runs (a freeze shows as one long task). Page code is
    // given as text: this file is type-checked without the DOM's types.
    await page.addInitScript(`
      window.longestTask = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.longestTask = Math.max(window.longestTask, entry.duration);
      }).observe({ type: 'longtask', buffered: true });
    `);
    await page.goto(url);
    await page.setInputFiles('#file', path);
    await page.waitForSelector('#programs, #error');
    return { page, errors };
  }

  it('shows programs, maps, slot links and BTF types of the seed object', async () => {
    const { page, errors } = await openObject(fixture('map_in_map').path);
    expect(errors).toEqual([]);
    expect(await page.textContent('#object')).toBe('map_in_map.el.o');
    expect(await page.locator('#programs tbody tr').allTextContents()).toEqual(['handlexdpXDPXDP38']);
    const maps = await page.locator('#maps tbody tr td:first-child').allTextContents();
    expect(maps).toEqual(['inner_map1', 'inner_map2', 'outer_arr', 'outer_hash', 'map_in_m.bss']);
    expect(await page.locator('#slots tbody tr').allTextContents()).toEqual([
      'outer_arr[0] = inner_map1',
      'outer_arr[2] = inner_map2',
      'outer_hash[0] = inner_map2',
      'outer_hash[4] = inner_map1',
    ]);
    expect(await page.locator('#types').textContent()).toContain('inner_map');
    expect(await page.textContent('#problems')).toBe('No problems found.');
    await page.close();
  });

  it('shows problems before anything else', async () => {
    const { page } = await openObject(fixture('bad_slot_mismatch').path);
    const order = await page.evaluate(
      `document.querySelector('#problems').compareDocumentPosition(document.querySelector('#programs')) & Node.DOCUMENT_POSITION_FOLLOWING`,
    );
    expect(order).not.toBe(0);
    await page.close();
  });

  it('drills from a map definition into the struct members and on to their types', async () => {
    const { page } = await openObject(fixture('map_in_map').path);
    await page.fill('#type-filter', 'inner_map');
    await page.locator('#types .type-row', { hasText: 'var' }).first().click();
    await page.locator('#type-detail a.type-link').first().click();
    expect(await page.textContent('#type-detail h3')).toBe('struct inner_map');
    const members = await page.locator('#type-parts tbody tr td:first-child').allTextContents();
    expect(members).toEqual(['type', 'max_entries', 'key', 'value']);
    expect(await page.locator('#type-parts').textContent()).toContain('int (*type)[2]');
    await page.locator('#type-parts a.type-link').nth(2).click();
    expect(await page.textContent('#type-detail h3')).toBe('ptr (anon)');
    await page.close();
  });

  it("shows a program's disassembly as bpfkit disasm prints it, with its maps", async () => {
    const { page } = await openObject(fixture('map_in_map').path);
    await page.click('#programs a.program-link');
    const text = (await page.textContent('#disasm')) ?? '';
    expect(text).toContain('handle (section xdp)');
    expect(text).toMatch(/r1 = .*; map 'outer_arr'/);
    await page.close();
  });

  it('draws the graph bpfkit graph draws', async () => {
    const { page } = await openObject(fixture('map_in_map').path);
    await page.click('#draw-graph');
    await page.waitForSelector('#graph svg');
    const labels = await page.locator('#graph svg g.node title').allTextContents();
    expect(labels.sort()).toEqual(
      ['map_inner_map1', 'map_inner_map2', 'map_map_in_m_bss', 'map_outer_arr', 'map_outer_hash', 'prog_handle'].sort(),
    );
    expect(await page.locator('#graph svg g.edge').count()).toBe(7);
    await page.close();
  });

  it('renders 4,000 types without freezing: only the rows in view exist, and scrolling reaches the last', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-types-'));
    try {
      const path = join(dir, 'types.o');
      writeFileSync(path, syntheticMapInMapObject({ slots: 1, types: 4000 }));
      const { page, errors } = await openObject(path);
      expect(errors).toEqual([]);
      expect(await page.textContent('#type-count')).toMatch(/^(\d+) of \1$/);
      expect(Number(((await page.textContent('#type-count')) ?? '').split(' ')[0])).toBeGreaterThan(4000);
      expect(await page.locator('#types .type-row').count()).toBeLessThan(100);
      const lastName = await page.evaluate(`new Promise((resolve) => {
        const viewport = document.querySelector('#types');
        viewport.scrollTop = viewport.scrollHeight;
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(viewport.textContent)));
      })`);
      expect(lastName).toContain('t3999');
      expect(await page.evaluate('window.longestTask')).toBeLessThan(3000);
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs no script from names in the file or in the object: they show as text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfkit-markup-'));
    try {
      const named = join(dir, '<img src=x onerror=window.pwnedByName=1>.o');
      copyFileSync(fixture('bad_markup_names').path, named);
      const { page } = await openObject(named);
      await page.click('#draw-graph');
      await page.waitForSelector('#graph svg');
      await page.waitForLoadState('networkidle');
      expect(await page.textContent('#object')).toBe('<img src=x onerror=window.pwnedByName=1>.o');
      expect(await page.textContent('#problems')).toContain("section '<img src=x onerror=window.pwned=1>'");
      expect(await page.locator('#programs tbody td').nth(1).textContent()).toBe('<img src=x onerror=window.pwned=1>');
      expect(await page.locator('#report img').count()).toBe(0);
      expect(await page.evaluate(`Object.keys(window).filter((k) => k.startsWith('pwned'))`)).toEqual([]);

      // An error message carries the file name too.
      const notElf = join(dir, '<img src=x onerror=window.pwnedByError=1>.o');
      copyFileSync(fixture('map_in_map').source, notElf);
      const failed = await openObject(notElf);
      await failed.page.waitForLoadState('networkidle');
      expect(await failed.page.textContent('#error')).toContain('<img src=x onerror=window.pwnedByError=1>');
      expect(await failed.page.locator('#report img').count()).toBe(0);
      expect(await failed.page.evaluate(`Object.keys(window).filter((k) => k.startsWith('pwned'))`)).toEqual([]);
      await page.close();
      await failed.page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists what would fail for an invalid object', async () => {
    const { page } = await openObject(fixture('bad_slot_mismatch').path);
    expect(await page.textContent('#problems')).toContain(
      "points to map 'wide' whose value_size 8 differs from the inner definition's 4",
    );
    await page.close();
  });

  it('reports a file that is not an object', async () => {
    const { page } = await openObject(fixture('map_in_map').source);
    expect(await page.textContent('#error')).toContain('not an ELF file');
    await page.close();
  });
});
