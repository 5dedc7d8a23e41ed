/**
 * Optimizers as users name them (`optimizers.adam({ learningRate })` or 'adam'), and the
 * update step recorded at the end of every training step: one dispatch over the flat
 * parameter buffer, its state in one buffer [slots, params].
 */
import type { Device } from '../device/device.js';
import type { OptimizerRecorder } from './step-compiler.js';
import { encodeHyper, initialState, optimizerStateSlots, optimizerUpdate, withDefaults, type OptimizerConfig, type OptimizerKind } from '../kernels/optimizer.js';
import type { RecordContext } from './layers/layer.js';
import type { WeightStore } from './weights.js';

export type { OptimizerConfig, OptimizerKind };
export type OptimizerSpec = OptimizerConfig | OptimizerKind;

type Args<K extends OptimizerKind> = Omit<OptimizerConfig, 'kind'> & { kind?: K };

export const optimizers = {
  sgd: (args: Args<'sgd'> = {}): OptimizerConfig => ({ ...args, kind: 'sgd' }),
  adam: (args: Args<'adam'> = {}): OptimizerConfig => ({ ...args, kind: 'adam' }),
  adadelta: (args: Args<'adadelta'> = {}): OptimizerConfig => ({ ...args, kind: 'adadelta' }),
  rmsprop: (args: Args<'rmsprop'> = {}): OptimizerConfig => ({ ...args, kind: 'rmsprop' }),
  adagrad: (args: Args<'adagrad'> = {}): OptimizerConfig => ({ ...args, kind: 'adagrad' }),
};

export function resolveOptimizer(spec: OptimizerSpec): OptimizerConfig {
  const config = typeof spec === 'string' ? { kind: spec } : spec;
  if (!config || !(config.kind in optimizers)) {
    throw new Error(`unknown optimizer ${JSON.stringify(typeof spec === 'string' ? spec : config?.kind)} (supported: ${Object.keys(optimizers).join(', ')})`);
  }
  withDefaults(config); // throws on a hyper-parameter the kind does not have
  for (const [name, value] of Object.entries(config)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) throw new Error(`${config.kind}: ${name} must be a non-negative number, got ${value}`);
  }
  return config;
}

export interface Optimizer extends OptimizerRecorder {
  readonly config: OptimizerConfig;
  /** (slots, params) f32: the optimizer's state over the flat parameter buffer, for checkpoints. */
  readonly state: GPUBuffer;
  /** Changes the learning rate from the next step on (one 4-byte write). */
  setLearningRate(rate: number): void;
}

export function createOptimizer(device: Device, spec: OptimizerSpec, weights: WeightStore): Optimizer {
  let config = resolveOptimizer(spec);
  const count = weights.paramCount;
  const state = device.upload(`${config.kind} state`, initialState(config, count)); // (slots, count)
  const hyperValues = encodeHyper(config);
  const hyper = device.upload(`${config.kind} hyper-parameters`, hyperValues);
  return {
    get config() {
      return config;
    },
    state,
    record(ctx: RecordContext) {
      ctx.graph.add({
        label: `${config.kind} update`,
        reads: [],
        writes: [],
        build: async () => [
          await optimizerUpdate(device, config, { count }, {
            params: weights.params,
            grads: weights.grads,
            state: { buffer: state, offset: 0, size: optimizerStateSlots(config.kind) * count * 4 },
            hyper,
            stepInfo: ctx.stepInfo,
          }),
        ],
      });
    },
    setLearningRate(rate: number) {
      if (!(Number.isFinite(rate) && rate >= 0)) throw new Error(`learning rate must be a non-negative number, got ${rate}`);
      config = { ...config, learningRate: rate };
      hyperValues[0] = rate;
      device.gpu.queue.writeBuffer(hyper, 0, hyperValues, 0, 1);
    },
    destroy() {
      state.destroy();
      hyper.destroy();
    },
  };
}
