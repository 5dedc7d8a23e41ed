/**
 * The Keras-like Sequential model: a stack of layers that compiles to static GPU steps
 * (src/graph/compile.ts) and trains with fit / trainOnBatch, evaluates and predicts.
 */
import type { Device } from '../device/device.js';
import type { CompiledStep, ModelState, StepMode } from '../graph/compile.js';
import { createRng, shuffledIndices } from '../data/batches.js';
import { encodeCheckpoint, type CheckpointInfo } from '../io/checkpoint.js';
import { checkWritablePath, readCheckpoint, writeCheckpoint } from '../io/files.js';
import { toKerasJson, type KerasJsonOptions } from '../io/keras-json.js';
import { checkImages, toTargets, type Labels } from './inputs.js';
import { Layer } from './layers/layer.js';
import { createLoss, type LossName } from './loss.js';
import { createOptimizer, resolveOptimizer, type Optimizer, type OptimizerSpec } from './optimizers.js';
import { optimizerStateSlots } from '../kernels/optimizer.js';
import { preflightWeights } from './preflight.js';
import { Runner, type MetricsSnapshot } from './runner.js';
import { summaryTable } from './summary.js';
import { checkBatchOptions, checkCompileArgs, checkFitOptions, positiveInteger, show } from './validate.js';
import { WeightStore } from './weights.js';

export interface CompileArgs {
  device: Device;
  optimizer: OptimizerSpec;
  loss?: LossName;
  metrics?: 'accuracy'[];
  /** Seeds weight initialisation, shuffling and dropout. Default 1. */
  seed?: number;
}

export interface Logs {
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
}

export interface Progress {
  epoch: number;
  epochs: number;
  /** Training samples of this epoch the GPU has finished. */
  samplesDone: number;
  samplesTotal: number;
  /** Running means over this epoch so far. */
  loss: number;
  accuracy: number;
  /** Milliseconds since the epoch began. */
  elapsedMs: number;
}

export interface Callbacks {
  onEpochBegin?(epoch: number): void | Promise<void>;
  /** Called every few steps (see FitArgs.progressEvery) with figures read back from the GPU. */
  onProgress?(progress: Progress): void;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
}

export interface FitArgs {
  batchSize?: number;
  epochs?: number;
  /** Fraction of the samples, taken from the end as Keras does, held out for validation. */
  validationSplit?: number;
  validationData?: [Float32Array, Labels];
  shuffle?: boolean;
  /** 0: silent; 1: one line per epoch on the console. Default 1. */
  verbose?: 0 | 1;
  callbacks?: Callbacks;
  /** Steps between read-backs of the running loss and accuracy. Default 20. */
  progressEvery?: number;
  /**
   * The epoch to start at (Keras' initial_epoch): epochs initialEpoch..epochs-1 run. To resume
   * from a checkpoint, pass the epoch model.loadCheckpoint returned. Default 0.
   */
  initialEpoch?: number;
  /**
   * Writes a checkpoint (weights, optimizer state, epoch, step counter) after every epoch: to
   * a file (Node), or handed to `write` (e.g. to store it in a browser).
   */
  checkpoint?: { path: string } | { write(bytes: Uint8Array, epoch: number): void | Promise<void> };
  /**
   * Stop at the first non-finite loss read back, restore the weights of the last finite
   * check and throw (default true). False keeps Keras' old behaviour: train on with NaN.
   */
  terminateOnNaN?: boolean;
}

/** What a checkpoint saves and restores (src/io/checkpoint.ts). */
export interface TrainingState {
  device: Device;
  weights: WeightStore;
  optimizer: Optimizer;
  seed: number;
  /** Optimizer steps taken: Adam's t and the dropout stream. */
  step: number;
}

export interface History {
  epoch: number[];
  history: { loss: number[]; accuracy: number[]; val_loss: number[]; val_accuracy: number[] };
}

export class Sequential {
  readonly layers: Layer[] = [];
  name = 'sequential';
  /** Set to true from a callback to stop fit() after the current epoch. */
  stopTraining = false;
  private weights?: WeightStore;
  private state?: ModelState;
  private runner?: Runner;
  private optimizer?: Optimizer;
  private seed = 1;
  private initRandom = createRng(1);
  private disposed = false;

  constructor(layers: Layer[] = []) {
    for (const layer of layers) this.add(layer);
  }

  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new Error('Sequential.add expects a layer made by layers.*()');
    if (this.weights) throw new Error('cannot add layers to a model that is already built');
    if (this.layers.length === 0 && !layer.inputShape) throw new Error(`the first layer needs inputShape, e.g. layers.conv2d({ ..., inputShape: [28, 28, 1] })`);
    this.layers.push(layer);
  }

  get inputShape(): number[] {
    if (this.layers.length === 0) throw new Error('the model has no layers');
    return this.layers[0].inputShape!;
  }

  get outputShape(): number[] {
    this.build();
    return this.layers[this.layers.length - 1].outputShape;
  }

  /**
   * Infers every layer's shapes, names them as Keras does and lays out their weights.
   * Runs once, from summary() or compile(); a layer that cannot follow the previous one
   * throws here and leaves the model unbuilt.
   */
  build(): void {
    if (this.weights) return;
    const store = new WeightStore();
    // Initial values are drawn when compile() allocates the weights, from compile's seed.
    const random = () => this.initRandom();
    const counts = new Map<string, number>();
    let shape = this.inputShape;
    for (const layer of this.layers) {
      if (!layer.name) {
        const n = counts.get(layer.namePrefix) ?? 0;
        layer.name = n === 0 ? layer.namePrefix : `${layer.namePrefix}_${n}`;
      }
      counts.set(layer.namePrefix, (counts.get(layer.namePrefix) ?? 0) + 1);
      layer.build(shape, store, random);
      shape = layer.outputShape;
    }
    if (shape.length !== 1) throw new Error(`the model's output must be flat [classes], got [${shape}]: end with Flatten and Dense`);
    this.weights = store;
  }

  summary(): string {
    this.build();
    return summaryTable(this.name, this.layers);
  }

  countParams(): number {
    this.build();
    return this.layers.reduce((sum, l) => sum + l.paramCount, 0);
  }

  async compile(args: CompileArgs): Promise<void> {
    this.checkNotDisposed();
    const { device, seed } = checkCompileArgs(args);
    if (this.state) throw new Error('the model is already compiled');
    const loss = createLoss(args.loss ?? 'categoricalCrossentropy', this.layers[this.layers.length - 1]);
    const config = resolveOptimizer(args.optimizer);
    this.build();
    const weights = this.weights!;
    preflightWeights(device, this.layers, weights, optimizerStateSlots(config.kind));
    this.seed = seed;
    this.initRandom = createRng(seed);
    // Inside error scopes, so that a WebGPU error surfaces here and not in a later call.
    const created: { destroy(): void }[] = [];
    try {
      await device.checked('compile', () => {
        weights.allocate(device);
        created.push(weights);
        const optimizer = createOptimizer(device, config, weights);
        created.push(optimizer);
        const stepInfo = device.createBuffer('step info', 16); // (4) u32
        created.push(stepInfo);
        const metrics = device.createBuffer('metrics', 16); // (4) f32
        created.push(metrics);
        this.optimizer = optimizer;
        this.state = { device, layers: this.layers, weights, inputShape: this.inputShape, classes: this.outputShape[0], stepInfo, metrics, loss, optimizer };
        this.runner = new Runner(this.state, seed);
      });
    } catch (err) {
      for (const c of created) c.destroy();
      this.runner?.destroy();
      this.state = this.runner = this.optimizer = undefined;
      throw err;
    }
  }

  private checkNotDisposed(): void {
    if (this.disposed) throw new Error('the model was disposed (dispose() freed its GPU buffers): build and compile a new model');
  }

  private compiled(): { state: ModelState; runner: Runner } {
    this.checkNotDisposed();
    if (!this.state || !this.runner) throw new Error('the model is not compiled: call model.compile({ device, optimizer, loss }) first');
    return { state: this.state, runner: this.runner };
  }

  /** The compiled step of a mode and batch size, built on first use (its dispatches are what bench/ times). */
  async compiledStep(mode: StepMode, batch: number): Promise<CompiledStep> {
    const { runner } = this.compiled();
    if (!['train', 'evaluate', 'predict'].includes(mode)) throw new Error(`compiledStep: mode must be 'train', 'evaluate' or 'predict', got ${show(mode)}`);
    return runner.compiled(mode, positiveInteger('compiledStep', 'batch', batch));
  }

  /** The architecture as Keras' `model.to_json()` writes it (Keras 3 layout unless options.layout is 'keras2'). */
  toKerasJson(options?: KerasJsonOptions): string {
    return toKerasJson(this, options);
  }

  /** For src/io/checkpoint.ts: the compiled state a checkpoint holds. */
  trainingState(): TrainingState {
    const { state, runner } = this.compiled();
    return {
      device: state.device,
      weights: state.weights,
      optimizer: this.optimizer!,
      seed: this.seed,
      get step() {
        return runner.step;
      },
      set step(value: number) {
        runner.step = value;
      },
    };
  }

  /** Node: writes a checkpoint file after `epoch` completed epochs (fit's `checkpoint` option does it every epoch). */
  async saveCheckpoint(path: string, epoch: number): Promise<void> {
    await writeCheckpoint(this, path, epoch);
  }

  /**
   * Node: restores a checkpoint into this compiled model (same architecture, seed and
   * optimizer kind). Resume with fit(x, y, { epochs, initialEpoch: returned.epoch }).
   */
  async loadCheckpoint(path: string): Promise<CheckpointInfo> {
    return readCheckpoint(this, path);
  }

  /** Keras order and layouts: per layer kernel then bias; BatchNormalization gamma, beta, moving mean, moving variance. */
  async getWeights(): Promise<Float32Array[]> {
    const { state } = this.compiled();
    return state.weights.read(state.device);
  }

  setWeights(values: Float32Array[]): void {
    const { state } = this.compiled();
    state.weights.write(state.device, values);
  }

  /** One optimizer step on one batch; returns that batch's loss and accuracy. */
  async trainOnBatch(x: Float32Array, y: Labels): Promise<{ loss: number; accuracy: number }> {
    const { state, runner } = this.compiled();
    const n = checkImages(x, state.inputShape);
    const targets = toTargets(y, n, state.classes);
    const step = await runner.compiled('train', n);
    runner.clearMetrics();
    const run = await runner.run(step, x, targets, true);
    const m = await run!.metrics;
    return { loss: m.loss, accuracy: m.accuracy };
  }

  async fit(x: Float32Array, y: Labels, args: FitArgs = {}): Promise<History> {
    const { state, runner } = this.compiled();
    const { batchSize, epochs, initialEpoch, progressEvery } = checkFitOptions(args as Record<string, unknown>);
    const n = checkImages(x, state.inputShape);
    const targets = toTargets(y, n, state.classes);
    const perSample = x.length / n;
    const classes = state.classes;
    const history: History = { epoch: [], history: { loss: [], accuracy: [], val_loss: [], val_accuracy: [] } };

    let trainCount = n;
    let validation: { x: Float32Array; targets: Float32Array } | undefined;
    if (args.validationData) {
      const [vx, vy] = args.validationData;
      const vn = checkImages(vx, state.inputShape, 'validationData x');
      validation = { x: vx, targets: toTargets(vy, vn, classes, 'validationData y') };
    } else if (args.validationSplit) {
      const split = args.validationSplit;
      trainCount = Math.floor(n * (1 - split));
      if (trainCount === 0 || trainCount === n) throw new Error(`validationSplit ${split} of ${n} samples leaves no training or no validation samples`);
      validation = { x: x.subarray(trainCount * perSample), targets: targets.subarray(trainCount * classes) };
    }

    if (args.checkpoint && 'path' in args.checkpoint) await checkWritablePath(args.checkpoint.path, 'fit: checkpoint.path');
    if (initialEpoch === epochs) return history; // nothing to run (e.g. resumed after the last epoch): compile nothing
    const full = await runner.compiled('train', Math.min(batchSize, trainCount));
    const remainder = trainCount % batchSize;
    const last = remainder && trainCount > batchSize ? await runner.compiled('train', remainder) : full;
    const xBatch = new Float32Array(full.batch * perSample);
    const tBatch = new Float32Array(full.batch * classes);
    this.stopTraining = false;

    for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      await args.callbacks?.onEpochBegin?.(epoch);
      // Each epoch's order derives from (seed, epoch) alone, so a resumed fit repeats it.
      const order = args.shuffle === false ? Uint32Array.from({ length: trainCount }, (_, i) => i) : shuffledIndices(trainCount, epochShuffleSeed(this.seed, epoch));
      const started = performance.now();
      runner.clearMetrics();
      const steps = Math.ceil(trainCount / batchSize);
      let latest: Promise<MetricsSnapshot> | undefined;
      for (let s = 0; s < steps; s++) {
        const start = s * batchSize;
        const size = Math.min(batchSize, trainCount - start);
        const step = size === full.batch ? full : last;
        for (let j = 0; j < size; j++) {
          const i = order[start + j];
          xBatch.set(x.subarray(i * perSample, (i + 1) * perSample), j * perSample);
          tBatch.set(targets.subarray(i * classes, (i + 1) * classes), j * classes);
        }
        const read = s === steps - 1 || (s + 1) % progressEvery === 0;
        const run = await runner.run(step, xBatch.subarray(0, size * perSample), tBatch.subarray(0, size * classes), read);
        if (run) {
          latest = run.metrics;
          const onProgress = args.callbacks?.onProgress;
          if (onProgress) {
            void run.metrics.then((m) =>
              onProgress({ epoch, epochs, samplesDone: m.samples, samplesTotal: trainCount, loss: m.loss, accuracy: m.accuracy, elapsedMs: performance.now() - started }),
            );
          }
        }
      }
      const totals = await latest!;
      const logs: Logs = { loss: totals.loss, accuracy: totals.accuracy };
      if (validation) {
        const v = await this.evaluateTargets(validation.x, validation.targets, batchSize);
        logs.val_loss = v.loss;
        logs.val_accuracy = v.accuracy;
      }
      history.epoch.push(epoch);
      history.history.loss.push(logs.loss);
      history.history.accuracy.push(logs.accuracy);
      if (validation) {
        history.history.val_loss.push(logs.val_loss!);
        history.history.val_accuracy.push(logs.val_accuracy!);
      }
      if ((args.verbose ?? 1) === 1) {
        const seconds = (performance.now() - started) / 1000;
        const val = validation ? ` - val_loss: ${logs.val_loss!.toFixed(4)} - val_accuracy: ${logs.val_accuracy!.toFixed(4)}` : '';
        console.log(`Epoch ${epoch + 1}/${epochs} - ${seconds.toFixed(1)}s - loss: ${logs.loss.toFixed(4)} - accuracy: ${logs.accuracy.toFixed(4)}${val}`);
      }
      await args.callbacks?.onEpochEnd?.(epoch, logs);
      const checkpoint = args.checkpoint;
      if (checkpoint && 'path' in checkpoint) await writeCheckpoint(this, checkpoint.path, epoch + 1);
      else if (checkpoint) await checkpoint.write(await encodeCheckpoint(this, epoch + 1), epoch + 1);
    }
    return history;
  }

  /** Mean loss and accuracy over (x, y), in inference mode (no dropout, moving BN statistics). */
  async evaluate(x: Float32Array, y: Labels, args: { batchSize?: number } = {}): Promise<{ loss: number; accuracy: number }> {
    const { state } = this.compiled();
    const batchSize = checkBatchOptions('evaluate', args);
    const n = checkImages(x, state.inputShape);
    return this.evaluateTargets(x, toTargets(y, n, state.classes), batchSize);
  }

  private async evaluateTargets(x: Float32Array, targets: Float32Array, batchSize: number): Promise<{ loss: number; accuracy: number }> {
    const { state, runner } = this.compiled();
    const perSample = state.inputShape.reduce((a, b) => a * b, 1);
    const n = x.length / perSample;
    runner.clearMetrics();
    let latest: Promise<MetricsSnapshot> | undefined;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const step = await runner.compiled('evaluate', size);
      const read = start + size >= n || (start / batchSize) % 50 === 49;
      const run = await runner.run(step, x.subarray(start * perSample, (start + size) * perSample), targets.subarray(start * state.classes, (start + size) * state.classes), read);
      if (run) latest = run.metrics;
    }
    const m = await latest!;
    return { loss: m.loss, accuracy: m.accuracy };
  }

  /** Class probabilities, (N, classes) row-major. */
  async predict(x: Float32Array, args: { batchSize?: number } = {}): Promise<Float32Array> {
    const { state, runner } = this.compiled();
    const batchSize = checkBatchOptions('predict', args);
    const n = checkImages(x, state.inputShape);
    const perSample = x.length / n;
    const rowBytes = state.classes * 4;
    const output = state.device.createBuffer('predictions', n * rowBytes);
    try {
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const step = await runner.compiled('predict', size);
        const probs = step.probabilities!;
        await runner.run(step, x.subarray(start * perSample, (start + size) * perSample), undefined, false, (encoder) =>
          encoder.copyBufferToBuffer(probs.buffer, 0, output, start * rowBytes, size * rowBytes),
        );
      }
      return await state.device.readFloats(output, 0, n * state.classes);
    } finally {
      output.destroy();
    }
  }

  /** Frees the model's GPU buffers. */
  dispose(): void {
    this.disposed = true;
    this.runner?.destroy();
    this.weights?.destroy();
    this.state?.stepInfo.destroy();
    this.state?.metrics.destroy();
    this.state?.optimizer.destroy();
  }
}

/** The shuffle seed of one epoch: a mix of the model's seed and the epoch number. */
function epochShuffleSeed(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}
