/**
 * Training that can be paused, resumed and stopped at any moment, and that lets the page
 * breathe: the engine's `model.fit` runs on one chunk of shuffled batches at a time (about
 * a second of work), and between chunks the run yields to the browser, reports its
 * progress and waits while paused. Within a chunk, fit keeps its one-submit-per-step
 * pipeline; a chunk's fit returns the mean loss and accuracy of its batches.
 *
 * Every use of the model's GPU state (training chunks, evaluation, prediction, reading
 * weights) goes through one `GpuSerial`, so a prediction asked for while training runs
 * between two chunks and never in the middle of one.
 */
import { shuffledIndices, type Sequential } from '../src/index.js';

/** Runs async work one piece at a time, in the order asked. */
export class GpuSerial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export interface LabelledImages {
  images: Float32Array; // [count, 28, 28, 1]
  labels: Uint8Array; // [count]
  count: number;
}

export interface ChunkReport {
  epoch: number;
  /** Epochs done so far, fractional: where the chunk ends on the charts' x axis. */
  position: number;
  /** Mean loss and accuracy over this chunk's batches. */
  loss: number;
  accuracy: number;
  samplesDone: number;
  samplesTotal: number;
  /** Training throughput, measured after the first chunk (which includes compiling the step). */
  samplesPerSecond: number | undefined;
  etaSeconds: number | undefined;
}

export interface EpochReport {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export interface TrainingHandlers {
  onChunk(report: ChunkReport): void;
  onEpochEnd(report: EpochReport): void | Promise<void>;
}

/**
 * Aim for chunks of about this long: long enough that the GPU idling at each chunk's end
 * costs little, short enough that pause, stop and the charts respond within about a second.
 */
const CHUNK_MS = 1000;
const MAX_STEPS_PER_CHUNK = 64;

export type RunState = 'running' | 'paused' | 'stopping';

export class TrainingRun {
  state: RunState = 'running';
  private wake: (() => void) | undefined;
  /** True while the run waits at the pause gate. */
  private waiting = false;
  private pauseWaiters: (() => void)[] = [];
  private stepsPerChunk = 1;
  /** Throughput bookkeeping, without the first chunk. */
  private measuredSamples = 0;
  private measuredMs = 0;
  private validationMs: number | undefined;

  constructor(
    private readonly model: Sequential,
    private readonly train: LabelledImages,
    private readonly validation: LabelledImages,
    private readonly settings: { epochs: number; batchSize: number; seed: number },
    private readonly gpu: GpuSerial,
    private readonly handlers: TrainingHandlers,
  ) {}

  /** Pauses before the next chunk; resolves once the chunk in flight (if any) has finished. */
  pause(): Promise<void> {
    if (this.state === 'running') this.state = 'paused';
    return new Promise((resolve) => (this.waiting ? resolve() : this.pauseWaiters.push(resolve)));
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this.wake?.();
  }

  /** Stops after the chunk now running; the model keeps what it has learnt. */
  stop(): void {
    this.state = 'stopping';
    this.wake?.();
  }

  /** Trains until done or stopped; resolves true when every epoch ran. */
  async run(): Promise<boolean> {
    try {
      return await this.trainEpochs();
    } finally {
      this.settlePauseWaiters();
    }
  }

  private async trainEpochs(): Promise<boolean> {
    const { epochs, batchSize, seed } = this.settings;
    const n = this.train.count;
    const pixels = this.train.images.length / n;
    const samplesTotal = epochs * n;
    let firstChunk = true;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffledIndices(n, seed * 1000 + epoch);
      // The epoch's training figures: its chunks' means weighted by their sizes (what fit
      // itself reports per epoch).
      let lossSum = 0;
      let correctSum = 0;
      for (let start = 0; start < n; ) {
        if (!(await this.proceed())) return false;
        const size = Math.min(this.stepsPerChunk * batchSize, n - start);
        const x = new Float32Array(size * pixels); // [size, 28, 28, 1]
        const y = new Uint8Array(size); // [size]
        for (let j = 0; j < size; j++) {
          const i = order[start + j];
          x.set(this.train.images.subarray(i * pixels, (i + 1) * pixels), j * pixels);
          y[j] = this.train.labels[i];
        }
        let ms = 0; // the chunk's own time, without waiting for other GPU work queued before it
        const history = await this.gpu.run(async () => {
          const began = performance.now();
          const result = await this.model.fit(x, y, { batchSize, epochs: 1, shuffle: false, verbose: 0 });
          ms = performance.now() - began;
          return result;
        });
        start += size;
        const loss = history.history.loss[0];
        const accuracy = history.history.accuracy[0];
        lossSum += loss * size;
        correctSum += accuracy * size;
        if (firstChunk) {
          firstChunk = false;
        } else {
          this.measuredSamples += size;
          this.measuredMs += ms;
        }
        // Size the next chunk from this one's pace.
        const msPerStep = ms / Math.ceil(size / batchSize);
        this.stepsPerChunk = Math.max(1, Math.min(MAX_STEPS_PER_CHUNK, Math.round(CHUNK_MS / msPerStep)));

        const samplesDone = epoch * n + start;
        const rate = this.measuredMs > 0 ? (this.measuredSamples / this.measuredMs) * 1000 : undefined;
        const validationLeft = (epochs - epoch) * (this.validationMs ?? 0);
        this.handlers.onChunk({
          epoch,
          position: epoch + start / n,
          loss,
          accuracy,
          samplesDone,
          samplesTotal,
          samplesPerSecond: rate,
          etaSeconds: rate ? (samplesTotal - samplesDone) / rate + validationLeft / 1000 : undefined,
        });
      }
      const validationBegan = performance.now();
      const v = await this.gpu.run(() => this.model.evaluate(this.validation.images, this.validation.labels, { batchSize: Math.max(batchSize, 64) }));
      this.validationMs = performance.now() - validationBegan;
      await this.handlers.onEpochEnd({ epoch, loss: lossSum / n, accuracy: correctSum / n, valLoss: v.loss, valAccuracy: v.accuracy });
    }
    return true;
  }

  /** Yields to the browser, then waits while paused; false when the run should stop. */
  private async proceed(): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (this.state === 'paused') {
      this.waiting = true;
      this.settlePauseWaiters();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.waiting = false;
    this.wake = undefined;
    return this.state === 'running';
  }

  private settlePauseWaiters(): void {
    for (const resolve of this.pauseWaiters.splice(0)) resolve();
  }
}
