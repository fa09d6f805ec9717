import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, requireTool } from '@bpfkit/fixtures';
import { type Browser, chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const haveChromium = requireTool('chromium', 'chromium');
const config = fileURLToPath(new URL('../vite.config.ts', import.meta.url));
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

describe.skipIf(!haveChromium)('the web inspector in headless Chromium', () => {
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
      'outer_arr0inner_map1',
      'outer_arr2inner_map2',
      'outer_hash0inner_map2',
      'outer_hash4inner_map1',
    ]);
    expect(await page.locator('#types').textContent()).toContain('inner_map');
    expect(await page.textContent('#problems')).toBe('No problems found.');
    await page.close();
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
