/** Command-line options of `npm run bench` (bench/index.ts). */
import { presetNames } from '../src/nn/presets.js';

export const HELP = `webgpu-dl bench: kernel and training throughput, side by side with TF.js' WebGPU backend
on the same adapter, in one run.

  npm run bench [-- OPTIONS]        (node scripts/run.mjs bench/index.ts [OPTIONS])

Options:
  --quick               tiny sizes and one preset (mnist-conv3 at batch 8): a smoke test in seconds
  --kernels NAME,...    kernel families to time: matmul, im2col, col2im, pool, conv (a conv
                        layer's tuned algorithm, Winograd or im2col + matmul), activation,
                        column-sum, dropout, batchnorm, softmax, optimizer (default: all;
                        'none' skips the kernel section)
  --presets NAME,...    presets to train and to take kernel shapes from: ${presetNames.join(', ')}
                        (default: all; 'none' skips the training section)
  --reps N              timed repetitions of every kernel and timed steps of every engine
                        training run (default: as many as fill a time budget per figure)
  --warmup N            untimed calls or steps before each figure (default 1)
  --tfjs-steps N        timed TF.js training steps (default: as many as fill ~20 s, at least 1)
  --tfjs-matmul NAME,... presets whose GEMM shapes TF.js also runs, besides the square
                        matmuls (default: mnist-conv3, mnist-cnn; 'all': every preset, which
                        adds minutes: TF.js' largest GEMMs take 10-30 s a call on SwiftShader)
  --matmul-candidates NAME,...
                        presets on whose GEMMs every matmul kernel is timed beside the
                        tuner's pick, besides the square matmuls (default: mnist-conv3,
                        mnist-cnn; 'all': every preset, which adds minutes: the slowest
                        kernels take 10-20 s a call on the largest GEMMs). The other tuned
                        families' candidates are timed on every preset's shapes
  --no-tfjs             leave the peer out
  --no-training         time kernels only (still over the presets' shapes)
  --breakdown NAME,...  presets whose training step is timed dispatch by dispatch
                        (default: mnist-conv3, mnist-cnn, among those trained)
  --json                print one JSON object on stdout; the table goes to stderr (through
                        npm, 'npm run -s bench -- --json' keeps npm's banner off stdout)
  --out DIR             where the JSON, markdown and SVG files go (default bench/results)
  --no-save             write no files
  --update-readme       replace the README's Performance section with this run's results
  --help                this text

Files: DIR/<date>-<adapter>.json, .md (the report) and .svg (the ratio chart).`;

export interface BenchOptions {
  quick: boolean;
  kernels: string[] | undefined;
  presets: string[];
  reps: number | undefined;
  warmup: number;
  tfjsSteps: number | undefined;
  tfjs: boolean;
  tfjsMatmul: string[];
  matmulCandidates: string[];
  training: boolean;
  breakdown: string[];
  json: boolean;
  out: string;
  save: boolean;
  updateReadme: boolean;
  help: boolean;
}

export const KERNEL_FAMILIES = ['matmul', 'im2col', 'col2im', 'pool', 'conv', 'activation', 'column-sum', 'dropout', 'batchnorm', 'softmax', 'optimizer'];

function list(value: string | undefined, name: string, known: readonly string[]): string[] {
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a comma-separated list`);
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 1 && items[0] === 'none') return [];
  for (const item of items) if (!known.includes(item)) throw new Error(`--${name}: unknown '${item}' (known: ${known.join(', ')}, none)`);
  return items;
}

function count(value: string | undefined, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} needs an integer ≥ ${min}, got ${value}`);
  return n;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    quick: false,
    kernels: undefined,
    presets: [...presetNames],
    reps: undefined,
    warmup: 1,
    tfjsSteps: undefined,
    tfjs: true,
    tfjsMatmul: ['mnist-conv3', 'mnist-cnn'],
    matmulCandidates: ['mnist-conv3', 'mnist-cnn'],
    training: true,
    breakdown: ['mnist-conv3', 'mnist-cnn'],
    json: false,
    out: 'bench/results',
    save: true,
    updateReadme: false,
    help: false,
  };
  let presetsGiven = false;
  let tfjsMatmulGiven = false;
  let matmulCandidatesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => argv[++i];
    switch (arg) {
      case '--quick': options.quick = true; break;
      case '--kernels': options.kernels = list(next(), 'kernels', KERNEL_FAMILIES); break;
      case '--presets': options.presets = list(next(), 'presets', presetNames); presetsGiven = true; break;
      case '--reps': options.reps = count(next(), 'reps', 1); break;
      case '--warmup': options.warmup = count(next(), 'warmup', 0); break;
      case '--tfjs-steps': options.tfjsSteps = count(next(), 'tfjs-steps', 1); break;
      case '--tfjs-matmul': {
        const value = next();
        options.tfjsMatmul = value === 'all' ? [...presetNames] : list(value, 'tfjs-matmul', presetNames);
        tfjsMatmulGiven = true;
        break;
      }
      case '--matmul-candidates': {
        const value = next();
        options.matmulCandidates = value === 'all' ? [...presetNames] : list(value, 'matmul-candidates', presetNames);
        matmulCandidatesGiven = true;
        break;
      }
      case '--no-tfjs': options.tfjs = false; break;
      case '--no-training': options.training = false; break;
      case '--breakdown': options.breakdown = list(next(), 'breakdown', presetNames); break;
      case '--json': options.json = true; break;
      case '--out': {
        const dir = next();
        if (!dir || dir.startsWith('--')) throw new Error('--out needs a directory');
        options.out = dir;
        break;
      }
      case '--no-save': options.save = false; break;
      case '--update-readme': options.updateReadme = true; break;
      case '--help': case '-h': options.help = true; break;
      default: throw new Error(`unknown option '${arg}' (see --help)`);
    }
  }
  if (options.quick && !presetsGiven) options.presets = ['mnist-conv3'];
  // A run narrowed to some presets compares their GEMMs with TF.js, unless told otherwise.
  if (presetsGiven && !tfjsMatmulGiven) options.tfjsMatmul = [...options.presets];
  if (presetsGiven && !matmulCandidatesGiven) options.matmulCandidates = [...options.presets];
  return options;
}

/** Whether a kernel family (e.g. `max pool backward`) is among the --kernels names. */
export function familySelected(options: BenchOptions, family: string): boolean {
  if (!options.kernels) return true;
  const name = family.replace(/ /g, '-');
  return options.kernels.some((k) => name === k || name.includes(k));
}
