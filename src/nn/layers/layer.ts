/** The base of every layer: shape inference, weights, and the ops of its forward and backward pass. */
import type { Device } from '../../device/device.js';
import type { Backward } from '../../graph/autodiff.js';
import type { Graph, TensorId } from '../../graph/graph.js';
import type { Binding, BufferRange, Dispatch } from '../../runtime/dispatch.js';
import type { Regularizer } from '../regularizers.js';
import type { WeightSlot, WeightSpec, WeightStore } from '../weights.js';
import { show } from '../validate.js';
import type { ConfigReader, KerasConfig, KerasFlavor } from './keras-config.js';

/** What a layer sees while it records its ops for one compiled step. */
export interface RecordContext {
  device: Device;
  graph: Graph;
  weights: WeightStore;
  /** Training step (dropout active, batch statistics) or inference. */
  training: boolean;
  batch: number;
  /** (4) u32: [step, seed, 0, 0], written by the host before each step. */
  stepInfo: BufferRange;
}

export interface Recorded {
  y: TensorId;
  /** Absent for layers with nothing to differentiate in inference mode. */
  backward?: Backward;
  /**
   * y is a ReLU's output (so y ≥ 0) whose backward this layer's Backward applies itself unless
   * its gradient arrives with `reluApplied` (see src/graph/autodiff.ts): the next layer is told
   * so (InputFacts) and may fuse that ReLU's backward into its own.
   */
  reluOutput?: boolean;
}

/** What the layer before tells a layer about its input x. */
export interface InputFacts {
  /**
   * x is a ReLU's output whose backward its maker leaves to this layer if it can fuse it:
   * a layer whose input gradient comes out of a kernel that can zero it where x ≤ 0 does so
   * and returns that gradient with `reluApplied`; a layer whose output is positive exactly
   * where the relevant input is (Flatten, Dropout) passes the fact on as reluOutput and the
   * flag back unchanged.
   */
  reluOutput: boolean;
}

/** The facts about the model's input: data, no ReLU. */
export const DATA_INPUT: InputFacts = { reluOutput: false };

export interface LayerArgs {
  name?: string;
  /** Per-sample input shape, without the batch dimension (Keras `input_shape`). */
  inputShape?: number[];
  /**
   * false freezes the layer, as Keras' `trainable = False`: its weights are not trained (no
   * gradient, no optimizer state, no regularization penalty) but still used. Default true.
   */
  trainable?: boolean;
}

/** An argument implemented at one value only: `value` as the error message shows it. */
export interface FixedArg {
  value: string;
  fits(value: unknown): boolean;
}

/** Fixed arguments of the layers that take them (TF.js' names; Keras' go through the JSON reader). */
export const FIXED: Record<string, FixedArg> = {
  dataFormat: { value: "'channelsLast'", fits: (v) => v === 'channelsLast' },
};

/** Regularizers, constraints and noise shapes: none. */
const NULL_ONLY: FixedArg = { value: 'null', fits: (v) => v === null };

/** `keys`, each fixed at null. */
export function noneOf(keys: readonly string[]): Record<string, FixedArg> {
  return Object.fromEntries(keys.map((key) => [key, NULL_ONLY]));
}

const COMMON_FIXED_ARGS: Record<string, FixedArg> = {
  dtype: { value: "'float32'", fits: (v) => v === 'float32' },
};

export abstract class Layer {
  /** Keras class name, e.g. `Conv2D`. */
  abstract readonly className: string;
  /** Prefix of the automatic name, e.g. `conv2d` (Keras: conv2d, conv2d_1, ...). */
  abstract readonly namePrefix: string;
  name: string;
  readonly inputShape?: number[];
  /** Per-sample output shape; set by build(). */
  outputShape: number[] = [];
  weightSlots: WeightSlot[] = [];
  /** false: frozen (LayerArgs.trainable). */
  readonly trainable: boolean;
  /**
   * Keras' activity_regularizer (Dense and Conv2D): a penalty on the layer's output, its sum
   * over the batch divided by the batch size, as Keras 3 adds it (the step compiler records it).
   */
  activityRegularizer?: Regularizer;
  /**
   * false: the layer's backward gives no input gradient (random augmentation), so it may only
   * come before the first layer with trainable weights (checkInputGradients).
   */
  readonly hasInputGradient: boolean = true;

  /**
   * @param kind the Keras class name, for argument errors (thrown before the subclass's
   *   className is set)
   * @param argNames the arguments the subclass takes besides name and inputShape: any other
   *   is refused, since a misspelt one (activaton: 'relu') would otherwise mean the default
   * @param fixedArgs TF.js arguments the subclass implements at one value only (besides
   *   dtype): accepted at that value, refused as unsupported at any other
   */
  constructor(kind: string, args: LayerArgs, argNames: readonly string[] = [], fixedArgs: Record<string, FixedArg> = {}) {
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new Error(`${kind}: takes an object of arguments, got ${JSON.stringify(args) ?? String(args)}`);
    const known = [...argNames, 'name', 'inputShape', 'trainable'];
    const fixed: Record<string, FixedArg> = { ...COMMON_FIXED_ARGS, ...fixedArgs };
    // An undefined value means the default whatever its name, so it is let through.
    const unknown = Object.entries(args).filter(([key, value]) => value !== undefined && !known.includes(key) && !Object.hasOwn(fixed, key)).map(([key]) => key);
    if (unknown.length > 0) throw new Error(`${kind}: unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (${kind} takes ${known.join(', ')})`);
    for (const [key, value] of Object.entries(args)) {
      const only = Object.hasOwn(fixed, key) ? fixed[key] : undefined;
      if (only && value !== undefined && !only.fits(value)) throw new Error(`${kind}: ${key} ${JSON.stringify(value)} is not supported (only ${only.value})`);
    }
    if (args.trainable !== undefined && typeof args.trainable !== 'boolean') throw new Error(`${kind}: trainable must be true or false, got ${JSON.stringify(args.trainable)}`);
    this.trainable = args.trainable ?? true;
    this.name = args.name ?? '';
    if (args.inputShape !== undefined && !(Array.isArray(args.inputShape) && args.inputShape.length > 0 && args.inputShape.every((d) => Number.isSafeInteger(d) && d > 0))) {
      throw new Error(`${kind}: inputShape must be a list of positive integers such as [28, 28, 1], got ${JSON.stringify(args.inputShape)}`);
    }
    this.inputShape = args.inputShape ? [...args.inputShape] : undefined;
  }

  /** Checks the input shape, sets outputShape and returns the weights this layer needs. */
  protected abstract configure(inputShape: number[], random: () => number): WeightSpec[];

  /**
   * Makes the choices record() needs that take time on the device (the tuner timing a
   * layer's algorithms), once per compiled step, just before record(); `needs.inputGradient`:
   * the step will ask the layer's backward for its input gradient; `needs.weightGradient`: for
   * its weights' gradients (a training step). Most layers have none.
   */
  async prepare(_ctx: RecordContext, _needs: { inputGradient: boolean; weightGradient: boolean }): Promise<void> {}

  /** Records the forward ops for a batch (and returns the backward recorder). */
  abstract record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded;

  /**
   * The layer's arguments as Keras' `model.to_json()` writes them in the layer's `config`, in
   * Keras' order, without the name, trainable and dtype that every layer has (the model
   * writer adds those). Keras 3's form unless `flavor` asks for tf.keras 2 or TF.js.
   * Each layer class also has the inverse, `static fromConfig` (see LayerClass).
   */
  abstract config(flavor?: KerasFlavor): KerasConfig;

  /** Whether Keras 3 writes a `build_config` (the input shape) for this layer: layers with a build step do. */
  abstract readonly keras3BuildConfig: boolean;

  /** `random` draws the initial weights (seeded by the model). */
  build(inputShape: number[], store: WeightStore, random: () => number): void {
    const specs = this.configure(inputShape, random);
    // A frozen layer's weights live with the non-trainable ones: the optimizer never sees them.
    this.weightSlots = specs.map((s) => store.add({ ...s, name: `${this.name}/${s.name}`, trainable: s.trainable && this.trainable }));
  }

  /** Number of weights, trainable and not, as Keras counts them. */
  get paramCount(): number {
    return this.weightSlots.reduce((sum, s) => sum + s.elements, 0);
  }

  protected fail(message: string): never {
    throw new Error(`${this.className} layer '${this.name}': ${message}`);
  }
}

/**
 * A layer class as the Keras JSON reader sees it (the registry in index.ts maps Keras class
 * names to these). fromConfig reads the layer's own arguments from `config` strictly, leaving
 * the reader to refuse what nobody read; `args` carries the name and input shape, which the
 * model reader has already taken.
 */
export interface LayerClass {
  fromConfig(config: ConfigReader, args: LayerArgs): Layer;
}

/** The index of the first layer with trainable weights (layers.length when none has any). */
export function firstTrainedLayer(layers: readonly Layer[]): number {
  const index = layers.findIndex((layer) => layer.weightSlots.some((slot) => slot.trainable));
  return index < 0 ? layers.length : index;
}

/**
 * Refuses a layer without an input gradient after a layer with trainable weights: training
 * would need the gradient it cannot give.
 */
export function checkInputGradients(layers: readonly Layer[]): void {
  const first = firstTrainedLayer(layers);
  const misplaced = layers.slice(first + 1).find((layer) => !layer.hasInputGradient);
  if (misplaced) {
    throw new Error(
      `${misplaced.className} layer '${misplaced.name}' comes after '${layers[first].name}', which has trainable weights: it has no input gradient, so put it before the first layer with trainable weights (at the model's input, as Keras' augmentation examples do)`,
    );
  }
}

/** Checks a positive integer argument of a layer. */
export function positiveInt(layer: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${layer}: ${arg} must be a positive integer, got ${String(v)}`);
  return v;
}

/** A dropout rate: a number in [0, 1) (1 would drop everything and scale by 1/0). */
export function dropoutRate(layer: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new Error(`${layer}: rate must be in [0, 1), got ${show(v)}`);
  return v;
}

/** Keras' `int or (int, int)` arguments such as kernelSize and strides. */
export function pair(layer: string, arg: string, v: number | [number, number]): [number, number] {
  const [a, b] = typeof v === 'number' ? [v, v] : v;
  return [positiveInt(layer, arg, a), positiveInt(layer, arg, b)];
}

/**
 * Records one element-wise op: a new tensor `label` of `shape`, written by the one dispatch
 * `dispatch` makes from the bindings (`bind`) of what it reads and of that output. Returns the output.
 */
export function recordElementwise(
  graph: Graph,
  label: string,
  reads: TensorId[],
  shape: readonly number[],
  dispatch: (bind: (t: TensorId) => Binding, output: Binding) => Promise<Dispatch>,
): TensorId {
  const output = graph.tensor(label, shape);
  graph.add({ label, reads, writes: [output], createDispatches: async (bind) => [await dispatch(bind, bind(output))] });
  return output;
}

/** For the layers beside this file. */
export { elements } from '../../data/shape.js';
