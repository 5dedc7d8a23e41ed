/**
 * The Keras-like Sequential model: a stack of layers that compiles to static GPU steps
 * (src/nn/step-compiler.ts) and trains with fit (src/nn/fit.ts) / trainOnBatch, evaluates
 * and predicts. Formats and checkpoints (src/io/) read and write it from outside, through the
 * SavableModel interface it implements (src/nn/savable-model.ts).
 */
import type { Device } from '../device/device.js';
import { createRng } from '../data/batches.js';
import { createDevice } from '../device/device.js';
import { evaluateBatches, fit, type FitArgs, type FitContext, type History } from './fit.js';
import { checkImages, toTargets, type Labels } from './inputs.js';
import { Layer } from './layers/layer.js';
import { createLoss, type LossRecorder, type LossSpec } from './loss.js';
import { createOptimizer, optimizerStateSlots, resolveOptimizer, type Optimizer, type OptimizerConfig, type OptimizerSpec } from './optimizers.js';
import { preflightWeights } from './preflight.js';
import { Runner } from './runner.js';
import { savableOptimizer, type SavableModel, type TrainingState } from './savable-model.js';
import type { CompiledStep, ModelState, StepMode } from './step-compiler.js';
import { summaryTable } from './summary.js';
import { checkBatchOptions, checkCompileArgs, positiveInteger, show } from './validate.js';
import { WeightStore } from './weights.js';
import { flatOptimizerState, type InitialState } from './initial-state.js';

export interface CompileArgs {
  device: Device;
  /** Required, except for a model read by loadModel from a file that saved its optimizer: then that optimizer resumes, state included. */
  optimizer?: OptimizerSpec;
  /**
   * Default: the loss of the model's file (loadModel), else 'categoricalCrossentropy'. With
   * `{ name, fromLogits: true }` the last layer must be linear, and predict returns its logits.
   */
  loss?: LossSpec;
  metrics?: 'accuracy'[];
  /** Seeds weight initialisation, shuffling and dropout. Default 1. */
  seed?: number;
}

/**
 * The layers of every built model not yet disposed: build() lays a layer's weights out in its
 * model's store, so a layer in a second model, or twice in one, would serve two layouts.
 * Keras shares the weights then; this engine refuses.
 */
const layersInModels = new WeakSet<Layer>();

export class Sequential implements SavableModel {
  readonly layers: Layer[] = [];
  name = 'sequential';
  /** Set to true from a callback to stop fit() after the current epoch. */
  stopTraining = false;
  /** Set by loadModel: the weights (and optimizer) compile() starts from instead of initialising them. */
  initialState?: InitialState;
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
    if (this.layers.length === 0) throw new Error('the model has no layers: give them to new Sequential([...]) or add() them');
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
    this.layers.forEach((layer, i) => {
      const inOtherModel = layersInModels.has(layer);
      if (!inOtherModel && this.layers.indexOf(layer) === i) return;
      const which = layer.name ? `layer '${layer.name}'` : `the ${layer.className} layer at position ${i + 1}`;
      throw new Error(`${which} is ${inOtherModel ? 'already in another model' : 'in this model twice'}: shared layers are not supported, create another with layers.*()`);
    });
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
    for (const layer of this.layers) layersInModels.add(layer);
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
    const saved = this.initialState; // weights and optimizer of a model read from a file
    const optimizerSpec = args.optimizer ?? saved?.optimizer?.config;
    if (!optimizerSpec) throw new Error(`compile needs { optimizer }${saved ? ` (the model's file saved no optimizer the engine can resume${saved.optimizerNote ? `: ${saved.optimizerNote}` : ''})` : ' (e.g. \'adam\' or optimizers.sgd({ learningRate: 0.01 }))'}`);
    this.build();
    const loss = createLoss(args.loss ?? saved?.loss ?? 'categoricalCrossentropy', this.layers[this.layers.length - 1]);
    const config = resolveOptimizer(optimizerSpec);
    const weights = this.weights!;
    if (weights.paramCount === 0) throw new Error('compile: every layer with weights is frozen (trainable: false): the optimizer would have nothing to train');
    preflightWeights(device, this.layers, weights, optimizerStateSlots(config));
    if (saved) weights.check(saved.weights);
    this.seed = seed;
    this.initRandom = createRng(seed);
    await this.allocate(device, config, loss, !saved);
    if (saved) {
      const optimizer = this.optimizer!;
      weights.write(device, saved.weights);
      // The saved optimizer resumes only when none is given, as Keras' compile() after load_model.
      const resumed = args.optimizer ? undefined : saved.optimizer;
      if (resumed?.slots) {
        const slotCount = optimizer.state.size / 4 / weights.paramCount;
        device.gpu.queue.writeBuffer(optimizer.state, 0, flatOptimizerState(weights, { ...resumed, slots: resumed.slots }, slotCount));
      }
      if (resumed) this.runner!.optimizerSteps = resumed.iterations;
      this.initialState = undefined; // on the GPU now: let the host copies go
    }
  }

  /** Creates the model's buffers on `device` (initial weights drawn when `initialize`), inside error scopes. */
  private async allocate(device: Device, config: OptimizerConfig, loss: LossRecorder, initialize: boolean): Promise<void> {
    const weights = this.weights!;
    // Inside error scopes, so that a WebGPU error surfaces here and not in a later call.
    const created: { destroy(): void }[] = [];
    try {
      await device.checked('compile', () => {
        weights.allocate(device, initialize);
        created.push(weights);
        const optimizer = createOptimizer(device, config, weights);
        created.push(optimizer);
        const stepInfo = device.createBuffer('step info', 16); // (4) u32
        created.push(stepInfo);
        const metrics = device.createBuffer('metrics', 16); // (4) f32
        created.push(metrics);
        this.optimizer = optimizer;
        this.state = { device, layers: this.layers, weights, inputShape: this.inputShape, classes: this.outputShape[0], stepInfo, metrics, loss, optimizer };
        this.runner = new Runner(this.state, this.seed);
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

  /** For src/io/ (SavableModel): the compiled optimizer and counters a checkpoint or a .keras file holds. */
  trainingState(): TrainingState {
    const { state, runner } = this.compiled();
    return {
      optimizer: savableOptimizer(state.device, state.weights, this.optimizer!),
      loss: state.loss.spec,
      seed: this.seed,
      readMetrics: () => runner.readMetrics(),
      get optimizerSteps() {
        return runner.optimizerSteps;
      },
      set optimizerSteps(value: number) {
        runner.optimizerSteps = value;
      },
    };
  }

  /** The device the model is compiled on: after fit replaced a lost device, the new one. */
  get device(): Device {
    return this.compiled().state.device;
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
    const targets = toTargets(y, n, state.classes, 'y', state.loss.spec.labelSmoothing);
    const compiled = await runner.compiled('train', n);
    runner.clearMetrics();
    const run = await runner.run(compiled, x, targets, true);
    const m = await run!.metrics;
    return { loss: m.loss, accuracy: m.accuracy };
  }

  /**
   * Trains on (x, y) for args.epochs epochs (src/nn/fit.ts); callbacks may set stopTraining.
   * An optimizer with useEma then sets the weights to their moving average, as Keras' fit does.
   */
  async fit(x: Float32Array, y: Labels, args: FitArgs<Sequential> = {}): Promise<History> {
    const history = await fit<Sequential>(this, this.fitContext(), x, y, args);
    this.optimizer!.finalize();
    return history;
  }

  private fitContext(): FitContext {
    const { state, runner } = this.compiled();
    return { state, runner, seed: this.seed, optimizerState: this.optimizer!.state, rebuild: () => this.rebuildOnNewDevice() };
  }

  /**
   * After the device was lost: the same model on a new device created with the old one's
   * options, its buffers allocated but not filled (fit writes its snapshot into them).
   */
  private async rebuildOnNewDevice(): Promise<FitContext> {
    const { state } = this.compiled();
    const config = this.optimizer!.config; // with any learning rate set since compile
    const device = await createDevice(state.device.options);
    this.releaseBuffers();
    this.state = this.runner = this.optimizer = undefined;
    await this.allocate(device, config, state.loss, false);
    return this.fitContext();
  }

  /** Mean loss and accuracy over (x, y), in inference mode (no dropout, moving BN statistics). */
  async evaluate(x: Float32Array, y: Labels, args: { batchSize?: number } = {}): Promise<{ loss: number; accuracy: number }> {
    const { state } = this.compiled();
    const batchSize = checkBatchOptions('evaluate', args);
    const n = checkImages(x, state.inputShape);
    return evaluateBatches(this.compiled(), x, toTargets(y, n, state.classes, 'y', state.loss.spec.labelSmoothing), batchSize);
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
        const compiled = await runner.compiled('predict', size);
        const probs = compiled.probabilities!;
        await runner.run(compiled, x.subarray(start * perSample, (start + size) * perSample), undefined, false, {
          after: (encoder) => encoder.copyBufferToBuffer(probs.buffer, 0, output, start * rowBytes, size * rowBytes),
        });
      }
      return await state.device.readFloats(output, 0, n * state.classes);
    } finally {
      output.destroy();
    }
  }

  /** Frees the model's GPU buffers. */
  dispose(): void {
    this.disposed = true;
    if (this.weights) for (const layer of this.layers) layersInModels.delete(layer);
    this.releaseBuffers();
  }

  private releaseBuffers(): void {
    this.runner?.destroy();
    this.weights?.destroy();
    this.state?.stepInfo.destroy();
    this.state?.metrics.destroy();
    this.state?.optimizer.destroy();
  }
}
