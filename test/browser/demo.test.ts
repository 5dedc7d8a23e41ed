// End-to-end test of the demo page in real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; no browser is downloaded), with WebGPU on SwiftShader, the
// page served on localhost by `demo/server.mjs` exactly as `npm run demo` serves it.
//
// It trains mnist-conv3 briefly on 256 images, pausing and resuming on the way, checks the
// loss went down and the charts and the test grid updated, draws a digit with the mouse and
// checks the ten probabilities, saves the weights and loads them back, and keeps a
// screenshot in test-output/demo.png. A second page loads Keras-made .keras and .h5 files
// (test/fixtures/keras-files), must show Keras' predictions, and saves each as a .keras file
// with the same weights. Another uses the pretrained model that ships in pretrained/ without
// training: the test images and a test digit traced on the pad with the mouse are read right.
// A last page, without WebGPU, must say so plainly.
//
// CHROMIUM_PATH overrides the browser. Without Chromium the test fails and says how to get it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadMnist } from '../../src/data/mnist.js';
import { decodeKerasModel } from '../../src/io/keras-file/read.js';
import { toKerasJson } from '../../src/io/keras-json.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BASE_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
// WebGPU on the CPU: Chromium 156 headless needs --enable-unsafe-webgpu to expose an
// adapter without a GPU; the other two name SwiftShader (Vulkan on the CPU) explicitly.
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];
const OUTPUT_DIR = 'test-output';
const KERAS_FIXTURES = 'test/fixtures/keras-files/';

let server: ChildProcessWithoutNullStreams | undefined;
let url = '';
const userDataDirs: string[] = [];
const contexts: BrowserContext[] = [];

function startServer(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['demo/server.mjs', '--port', '0'], { stdio: 'pipe' });
    server = child;
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the demo server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /serving at (http:\/\/\S+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo server exited (code ${code}):\n${output}`));
    });
  });
}

async function openPage(flags: string[]): Promise<{ page: Page; pageErrors: string[] }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'webgpu-dl-chromium-'));
  userDataDirs.push(userDataDir);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreDefaultArgs: ['--headless'],
    args: [...BASE_FLAGS, ...flags],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  contexts.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(url);
  return { page, pageErrors };
}

/**
 * Waits until `condition` (a JavaScript expression evaluated in the page) holds, failing
 * early, with the page's own messages, when the page shows an error or finds no WebGPU.
 */
async function waitUntil(page: Page, condition: string, timeout: number): Promise<void> {
  try {
    await page.waitForFunction(
      (expression) =>
        document.body.dataset.state === 'no-webgpu' || !document.getElementById('errors')!.hidden || Boolean((0, eval)(expression)),
      condition,
      { timeout, polling: 250 },
    );
  } catch (err) {
    // Say where the page was, so that a timeout tells what it waited on instead.
    const status = await page.evaluate(() => `state ${document.body.dataset.state}, status "${document.getElementById('status')!.textContent}"`).catch(() => 'unknown');
    throw new Error(`waited ${timeout / 1000} s for ${condition}; the page: ${status}`, { cause: err });
  }
  const problem = await page.evaluate(() => {
    if (document.body.dataset.state === 'no-webgpu') return `no WebGPU: ${document.getElementById('no-webgpu-reason')!.textContent}`;
    const errors = document.getElementById('errors')!;
    return errors.hidden ? '' : `the page shows errors: ${errors.textContent}`;
  });
  expect(problem).toBe('');
}

const waitForState = (page: Page, state: string, timeout: number) => waitUntil(page, `document.body.dataset.state === ${JSON.stringify(state)}`, timeout);

const text = (page: Page, selector: string) => page.locator(selector).innerText();
const numbers = (page: Page, selector: string, attribute: string) =>
  page.$$eval(selector, (nodes, name) => nodes.map((n) => Number((n as HTMLElement).dataset[name])), attribute);

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the demo's browser test needs it. On Debian/Ubuntu: apt-get install -y chromium ` +
        '(it also brings SwiftShader, the software WebGPU driver); elsewhere set CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  mkdirSync(OUTPUT_DIR, { recursive: true });
  url = await startServer();
}, 90_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  server?.kill();
  for (const dir of userDataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('demo page in headless Chromium', () => {
  it('trains a CNN live, draws a digit, saves and reloads weights', async () => {
    const { page, pageErrors } = await openPage(WEBGPU_FLAGS);
    await waitForState(page, 'ready', 120_000);

    // The adapter and the model summary are shown.
    expect(await text(page, '#adapter')).toMatch(/swiftshader/i);
    expect(await text(page, '#adapter')).toMatch(/software/);
    expect(await text(page, '#summary')).toMatch(/Total params: [\d,]+/);

    // A short run: mnist-conv3, Adam, 256 images, batch 32, 3 epochs.
    await page.selectOption('#preset', 'mnist-conv3');
    await page.selectOption('#optimizer', 'adam');
    await page.fill('#learning-rate', '0.001');
    await page.fill('#epochs', '3');
    await page.fill('#batch-size', '32');
    await page.selectOption('#subset', '256');
    await page.click('#start');

    // Pause once the curves have begun, check nothing moves, resume.
    await waitUntil(page, "Number(document.getElementById('loss-chart').dataset.points ?? 0) >= 2", 180_000);
    await page.click('#pause');
    await waitForState(page, 'paused', 10_000);
    await waitUntil(page, "document.getElementById('status').textContent === 'Paused'", 60_000);
    const pausedAt = await page.$eval('#progress', (p) => (p as HTMLProgressElement).value);
    await page.waitForTimeout(2_000);
    expect(await page.$eval('#progress', (p) => (p as HTMLProgressElement).value)).toBe(pausedAt);
    expect(pausedAt).toBeLessThan(1);
    await page.click('#pause'); // now "Resume"
    await waitForState(page, 'training', 10_000);

    // Finishes: three epochs logged, the loss went down, the charts and the grid updated.
    await waitUntil(page, "document.getElementById('test-accuracy').dataset.accuracy !== undefined", 300_000);
    await waitForState(page, 'ready', 30_000);
    const losses = await numbers(page, '#epoch-log li', 'loss');
    const valLosses = await numbers(page, '#epoch-log li', 'valLoss');
    expect(losses).toHaveLength(3);
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(valLosses[2]).toBeLessThan(valLosses[0]);
    const chartPoints = await numbers(page, 'canvas.chart', 'points');
    expect(Math.min(...chartPoints)).toBeGreaterThanOrEqual(6); // ≥ 3 training chunks + 3 validation points each
    expect(Number(await page.$eval('#test-grid', (g) => (g as HTMLElement).dataset.updates))).toBeGreaterThanOrEqual(4);
    const predicted = await numbers(page, '#test-grid .cell', 'predicted');
    expect(predicted).toHaveLength(40);
    for (const digit of predicted) expect(digit >= 0 && digit <= 9).toBe(true);
    const mistakes = await page.locator('#test-grid .cell.wrong').count();
    const wrongByData = await page.$$eval('#test-grid .cell', (cells) => cells.filter((c) => (c as HTMLElement).dataset.label !== (c as HTMLElement).dataset.predicted).length);
    expect(mistakes).toBe(wrongByData);
    expect(Number(await page.$eval('#test-accuracy', (e) => (e as HTMLElement).dataset.accuracy))).toBeGreaterThan(0.3);
    const speed = Number(await page.$eval('#speed', (e) => (e as HTMLElement).dataset.samplesPerSecond));
    expect(speed).toBeGreaterThan(0);
    console.log(`demo page: ${losses.map((l) => l.toFixed(3)).join(' → ')} training loss, ${speed.toFixed(1)} samples/s, test accuracy ${await text(page, '#test-accuracy')}`);

    // Draw a 7 with the mouse: ten probabilities that sum to 1 appear.
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const pad = (await page.locator('#pad').boundingBox())!;
    const at = (fx: number, fy: number) => [pad.x + fx * pad.width, pad.y + fy * pad.height] as const;
    await page.mouse.move(...at(0.25, 0.2));
    await page.mouse.down();
    await page.mouse.move(...at(0.75, 0.2), { steps: 8 });
    await page.mouse.move(...at(0.45, 0.85), { steps: 10 });
    await page.mouse.up();
    await waitUntil(page, "document.querySelectorAll('#bars .bar[data-p]').length === 10", 60_000);
    const probabilities = await numbers(page, '#bars .bar', 'p');
    expect(probabilities).toHaveLength(10);
    for (const p of probabilities) expect(p >= 0 && p <= 1).toBe(true);
    // float32 softmax over 10 classes: the sum is 1 within a few ulps.
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(await text(page, '#draw-result')).toMatch(/reads a \d/);
    await page.screenshot({ path: join(OUTPUT_DIR, 'demo.png'), fullPage: true });

    // Save the weights, load them back: the same predictions on the same test images.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    expect(download.suggestedFilename()).toBe('mnist-conv3.safetensors');
    const savedPath = join(OUTPUT_DIR, 'demo-weights.safetensors');
    await download.saveAs(savedPath);
    const saved = readFileSync(savedPath);
    const headerLength = Number(saved.readBigUInt64LE(0));
    expect(JSON.parse(saved.subarray(8, 8 + headerLength).toString()).__metadata__.preset).toBe('mnist-conv3');
    const accuracyBefore = await page.$eval('#test-accuracy', (e) => (e as HTMLElement).dataset.accuracy);
    await page.setInputFiles('#load', savedPath);
    await waitUntil(page, "/^Loaded /.test(document.getElementById('status').textContent)", 180_000);
    await waitForState(page, 'ready', 10_000);
    expect(await numbers(page, '#test-grid .cell', 'predicted')).toEqual(predicted);
    expect(await page.$eval('#test-accuracy', (e) => (e as HTMLElement).dataset.accuracy)).toBe(accuracyBefore);
    expect(await text(page, '#model-origin')).toMatch(/loaded from demo-weights\.safetensors/);


    // Other test images: a new grid, predicted.
    const firstLabels = await numbers(page, '#test-grid .cell', 'label');
    const updates = Number(await page.$eval('#test-grid', (g) => (g as HTMLElement).dataset.updates));
    await page.click('#other-tests');
    await waitUntil(page, `Number(document.getElementById('test-grid').dataset.updates) > ${updates}`, 60_000);
    expect(await numbers(page, '#test-grid .cell', 'label')).not.toEqual(firstLabels);
    expect(await text(page, '#grid-summary')).toMatch(/^Test images 41–80: \d+ of 40 right/);

    // Stop: a new run of two epochs stops early and the page is usable again. The click lands
    // after the first chunk; on a loaded machine the rest of the first epoch (32 steps) may
    // already be done by then, so the run may stop after epoch 1, never after both.
    await page.fill('#epochs', '2');
    await page.selectOption('#subset', '1024');
    await page.click('#start');
    await waitUntil(page, "Number(document.getElementById('loss-chart').dataset.points ?? 0) >= 1", 180_000);
    await page.click('#stop');
    await waitUntil(page, "/^(Stopped|Done)/.test(document.getElementById('status').textContent)", 180_000);
    await waitForState(page, 'ready', 10_000);
    const stoppedAfter = /^Stopped after (\d+) full epoch/.exec(await text(page, '#status'));
    expect(stoppedAfter, await text(page, '#status')).not.toBeNull();
    expect(Number(stoppedAfter![1])).toBeLessThan(2);
    expect(await page.locator('#epoch-log li').count()).toBe(Number(stoppedAfter![1]));
    expect(Number(await page.$eval('#progress', (p) => (p as HTMLProgressElement).value))).toBeLessThan(1);

    expect(pageErrors).toEqual([]);
  }, 540_000);

  it('loads Keras .keras and .h5 models with Load model…: their summary, the predictions and accuracy Keras gives; saves them as .keras', async () => {
    const expected = JSON.parse(readFileSync(`${KERAS_FIXTURES}expected.json`, 'utf8'));
    const { page, pageErrors } = await openPage(WEBGPU_FLAGS);
    await waitForState(page, 'ready', 120_000);
    const files = [
      ['conv-adam.keras', 'features (Conv2D)'],
      ['conv-bn.h5', 'norm (BatchNormalization)'],
      ['quickstart.keras', 'flatten (Flatten)'], // outputs logits: the page shows their softmax
      ['gap-untrained.keras', 'global_average_pooling2d (GlobalAveragePooling2D)'],
      ['rescaling.keras', 'rescaling (Rescaling)'], // takes raw 0..255 pixels: the page gives it those
      ['activations.keras', 'activation (Activation)'], // elu, selu, softplus, swish
      ['regularized.keras', 'conv2d_1 (Conv2D)'], // L1, L2 and L1L2 regularizers
      ['functional.h5', 'dropout (Dropout)'], // keras.Model(inputs, outputs) of one chain, legacy HDF5
      ['lenet.keras', 'zero_padding2d (ZeroPadding2D)'], // LeNet-5: zero padding and cropping
    ];
    for (const [file, layer] of files) {
      await page.setInputFiles('#load', KERAS_FIXTURES + file);
      await waitUntil(page, `document.getElementById('status').textContent === 'Loaded ${file}'`, 180_000);
      await waitForState(page, 'ready', 10_000);
      expect(await text(page, '#summary')).toContain(layer);
      expect(await text(page, '#model-origin')).toMatch(new RegExp(`a Keras model \\([\\d,]+ parameters\\) loaded from ${file.replace('.', '\\.')}`));
      // The grid shows the first 40 test images: the classes Keras predicted for them.
      const keras: { classes: number[] } = expected[file];
      expect(await numbers(page, '#test-grid .cell', 'predicted')).toEqual(keras.classes.slice(0, 40));
      // Each cell's title gives the predicted class's probability: a percentage, also for a model of logits.
      const shown = await page.$$eval('#test-grid .cell', (cells) => cells.map((c) => Number(/with ([\d.]+)%/.exec(c.getAttribute('title') ?? '')?.[1])));
      expect(shown.every((p) => p >= 0 && p <= 100)).toBe(true);
      // The page tests on its first n images (fewer on SwiftShader): Keras' accuracy there, from Keras' own classes.
      const n = Number(/on ([\d,]+) images/.exec(await text(page, '#test-accuracy'))![1].replace(/,/g, ''));
      const labels = (await loadMnist({ limit: 1, testLimit: n })).test.labels;
      const kerasAccuracy = keras.classes.slice(0, n).filter((c, i) => c === labels[i]).length / n;
      const accuracy = Number(await page.$eval('#test-accuracy', (e) => (e as HTMLElement).dataset.accuracy));
      expect(Math.abs(accuracy - kerasAccuracy)).toBeLessThanOrEqual(1 / n + 1e-6); // float noise may flip one near tie

      // Save model (.keras), written in the browser (h5wasm's chunk): the same architecture and weights, bit for bit.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-keras')]);
      expect(download.suggestedFilename()).toBe(file.replace(/\.h5$/, '.keras'));
      const savedPath = join(OUTPUT_DIR, `demo-${download.suggestedFilename()}`);
      await download.saveAs(savedPath);
      const saved = decodeKerasModel(new Uint8Array(readFileSync(savedPath)), savedPath);
      const original = decodeKerasModel(new Uint8Array(readFileSync(KERAS_FIXTURES + file)), file);
      expect(toKerasJson(saved)).toEqual(toKerasJson(original));
      expect(saved.initialState!.weights).toEqual(original.initialState!.weights);
    }
    expect(pageErrors).toEqual([]);
  }, 360_000);

  it('uses the pretrained model without training: test images and a traced test digit read right', async () => {
    const { page, pageErrors } = await openPage(WEBGPU_FLAGS);
    await waitForState(page, 'ready', 120_000);
    // The list is what pretrained/ ships, with each one's recorded test accuracy.
    const shipped = readdirSync('pretrained').filter((f) => f.endsWith('.safetensors')).sort();
    expect(shipped).toContain('mnist-conv3.safetensors');
    expect(await page.$$eval('#pretrained option', (options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual(shipped);
    expect(await page.$eval('#pretrained option[value="mnist-conv3.safetensors"]', (o) => o.textContent)).toBe('mnist-conv3 (test 98.4%)');

    await page.selectOption('#pretrained', 'mnist-conv3.safetensors');
    await page.click('#use-pretrained');
    await waitUntil(page, "document.getElementById('status').textContent === 'Loaded mnist-conv3.safetensors'", 180_000);
    await waitForState(page, 'ready', 10_000);
    expect(await text(page, '#model-origin')).toBe('mnist-conv3, pretrained weights shipped with webgpu-dl (pretrained/mnist-conv3.safetensors).');
    expect(await page.$eval('#preset', (s) => (s as HTMLSelectElement).value)).toBe('mnist-conv3');
    // 98.44% on all 10,000 test images (its run record); the page tests on its first 500 here.
    const accuracy = Number(await page.$eval('#test-accuracy', (e) => (e as HTMLElement).dataset.accuracy));
    expect(accuracy).toBeGreaterThan(0.97);
    const labels = await numbers(page, '#test-grid .cell', 'label');
    const predicted = await numbers(page, '#test-grid .cell', 'predicted');
    expect(labels.slice(0, 5)).toEqual([7, 2, 1, 0, 4]);
    expect(predicted.slice(0, 5)).toEqual([7, 2, 1, 0, 4]);
    expect(predicted.filter((c, i) => c === labels[i]).length).toBeGreaterThanOrEqual(38);

    // Trace MNIST's test image 0 (a 7) on the pad with the mouse, row by row, over its inked
    // pixels: the page's own path (pad → 28×28 → model) reads a 7.
    const { images, labels: testLabels } = (await loadMnist({ limit: 1, testLimit: 1 })).test;
    expect(testLabels[0]).toBe(7);
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const pad = (await page.locator('#pad').boundingBox())!;
    const at = (col: number, row: number) => [pad.x + ((col + 0.5) / 28) * pad.width, pad.y + ((row + 0.5) / 28) * pad.height] as const;
    for (let row = 0; row < 28; row++) {
      for (let col = 0; col < 28; col++) {
        if (images[row * 28 + col] <= 0.5 || (col > 0 && images[row * 28 + col - 1] > 0.5)) continue;
        let end = col;
        while (end + 1 < 28 && images[row * 28 + end + 1] > 0.5) end++;
        await page.mouse.move(...at(col, row));
        await page.mouse.down();
        await page.mouse.move(...at(end, row), { steps: 2 });
        await page.mouse.up();
      }
    }
    await waitUntil(page, "/reads a 7/.test(document.getElementById('draw-result').textContent)", 60_000);
    // Predictions follow the strokes a frame late: the reading of the finished drawing is the one that stays.
    await page.waitForTimeout(2_000);
    expect(await text(page, '#draw-result')).toMatch(/reads a 7/);
    await page.screenshot({ path: join(OUTPUT_DIR, 'demo-pretrained.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('says plainly when the browser has no WebGPU', async () => {
    const { page } = await openPage([]); // no --enable-unsafe-webgpu: no adapter on this machine
    await page.waitForFunction(() => document.body.dataset.state === 'no-webgpu', undefined, { timeout: 60_000 });
    expect(await page.locator('#no-webgpu').isVisible()).toBe(true);
    expect(await text(page, '#no-webgpu')).toMatch(/WebGPU is not available in this browser/);
    expect(await text(page, '#no-webgpu')).toMatch(/Chrome or Edge 113/);
    expect(await page.locator('#app').isVisible()).toBe(false);
  }, 90_000);
});
