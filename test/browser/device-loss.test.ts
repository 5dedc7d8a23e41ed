// Device loss in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) with WebGPU on SwiftShader runs test/browser/device-loss-page.ts, bundled
// here with esbuild and served from localhost (WebGPU needs a secure context). The page
// destroys the device in the middle of an epoch; fit must recover on a new device and end
// with the weights an uninterrupted run gets.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { browserOptions } from '../../scripts/esbuild-options.mjs';
import { afterAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// As in demo.test.ts: headless, no sandbox (root in CI), WebGPU on SwiftShader.
const FLAGS = ['--headless=new', '--no-sandbox', '--no-first-run', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

let server: Server | undefined;
let context: BrowserContext | undefined;
let userDataDir = '';

afterAll(async () => {
  await context?.close().catch(() => undefined);
  server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

describe('device loss in headless Chromium', () => {
  it('fit recovers on a new device and ends as an uninterrupted run', async () => {
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`).toBe(true);
    const bundle = await build({
      entryPoints: ['test/browser/device-loss-page.ts'],
      ...browserOptions,
      write: false,
    });
    const script = bundle.outputFiles[0].contents;
    server = createServer((request, response) => {
      if (request.url === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/page.js"></script>');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };

    userDataDir = mkdtempSync(join(tmpdir(), 'webgpu-dl-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, ignoreDefaultArgs: ['--headless'], args: FLAGS });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`http://localhost:${port}/`);
    await page.waitForFunction(() => 'deviceLossResult' in window, undefined, { timeout: 240_000, polling: 250 });
    const result = await page.evaluate(() => (window as unknown as { deviceLossResult: Record<string, unknown> }).deviceLossResult);
    expect(result.error).toBeUndefined();
    expect(result.destroyed).toBe(true);
    expect(result.lost).toMatch(/device lost/);
    expect(result.newDevice).toBe(true);
    expect(result.warnings).toHaveLength(1);
    expect((result.warnings as string[])[0]).toMatch(/^fit: WebGPU device lost: .* in epoch 2; created a new device .* and repeat that epoch$/);
    expect(result.sameHistory).toBe(true);
    expect(result.sameWeights).toBe(true);
  }, 300_000);
});
