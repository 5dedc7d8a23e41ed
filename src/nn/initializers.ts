/** Keras weight initializers, drawn on the CPU from a seeded generator. */

/** The initializers Keras names without arguments: VarianceScaling settings, and constants. */
export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'lecunNormal' | 'lecunUniform' | 'zeros' | 'ones';

/**
 * Keras' VarianceScaling, of which the Glorot, He and LeCun initializers are settings: a
 * standard deviation of sqrt(scale / n), n the fan in, the fan out or their mean; the
 * truncated normal is cut at two of its standard deviations (and widened so that the cut
 * keeps sqrt(scale / n)), the uniform spans ±sqrt(3·scale / n).
 */
export interface VarianceScaling {
  kind: 'varianceScaling';
  scale: number;
  mode: 'fanIn' | 'fanOut' | 'fanAvg';
  distribution: 'truncatedNormal' | 'untruncatedNormal' | 'uniform';
}

/**
 * Keras' initializers with arguments: RandomNormal, RandomUniform, TruncatedNormal (a normal cut
 * at 2 stddev), Constant; Orthogonal (gain times a random orthogonal matrix, for kernels: the
 * weights as a (values / last axis, last axis) matrix) and Identity (gain times the identity
 * matrix, for 2-D kernels).
 */
export type InitializerWithArgs =
  | VarianceScaling
  | { kind: 'randomNormal'; mean: number; stddev: number }
  | { kind: 'randomUniform'; minval: number; maxval: number }
  | { kind: 'truncatedNormal'; mean: number; stddev: number }
  | { kind: 'constant'; value: number }
  | { kind: 'orthogonal'; gain: number }
  | { kind: 'identity'; gain: number };

export type Initializer = InitializerName | InitializerWithArgs;

export const INITIALIZER_NAMES: readonly InitializerName[] = ['glorotUniform', 'glorotNormal', 'heNormal', 'heUniform', 'lecunNormal', 'lecunUniform', 'zeros', 'ones'];

/** The VarianceScaling setting each named initializer is. */
export const NAMED_VARIANCE_SCALING: Partial<Record<InitializerName, Omit<VarianceScaling, 'kind'>>> = {
  glorotUniform: { scale: 1, mode: 'fanAvg', distribution: 'uniform' },
  glorotNormal: { scale: 1, mode: 'fanAvg', distribution: 'truncatedNormal' },
  heNormal: { scale: 2, mode: 'fanIn', distribution: 'truncatedNormal' },
  heUniform: { scale: 2, mode: 'fanIn', distribution: 'uniform' },
  lecunNormal: { scale: 1, mode: 'fanIn', distribution: 'truncatedNormal' },
  lecunUniform: { scale: 1, mode: 'fanIn', distribution: 'uniform' },
};

/** The standard deviation of a normal cut at ±2: a truncated draw is widened by its inverse. */
const TRUNCATED_STD = 0.87962566103423978;

const ARGUMENTS: Record<InitializerWithArgs['kind'], string[]> = {
  varianceScaling: ['scale', 'mode', 'distribution'],
  randomNormal: ['mean', 'stddev'],
  randomUniform: ['minval', 'maxval'],
  truncatedNormal: ['mean', 'stddev'],
  constant: ['value'],
  orthogonal: ['gain'],
  identity: ['gain'],
};

/**
 * Checks an initializer given to a layer (`where`: "Dense: kernelInitializer"); returns it.
 * `fail` reports a problem (a file reader words it its own way); by default it throws `where: why`.
 */
export function checkInitializer(
  where: string,
  value: unknown,
  fail = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  },
): Initializer {
  if (typeof value === 'string') {
    if (!INITIALIZER_NAMES.includes(value as InitializerName)) fail(`unknown initializer '${value}' (supported: ${INITIALIZER_NAMES.join(', ')}, or { kind: ${Object.keys(ARGUMENTS).join(' | ')}, ... })`);
    return value as InitializerName;
  }
  if (typeof value !== 'object' || value === null || !((value as { kind?: unknown }).kind as string in ARGUMENTS)) {
    return fail(`expected an initializer name or { kind: ${Object.keys(ARGUMENTS).join(' | ')}, ... }, got ${JSON.stringify(value)}`);
  }
  const init = value as InitializerWithArgs;
  const allowed = ARGUMENTS[init.kind];
  for (const key of Object.keys(init)) if (key !== 'kind' && !allowed.includes(key)) fail(`${init.kind} has no argument '${key}' (it takes ${allowed.join(', ')})`);
  const finite = (key: string, check = (v: number) => Number.isFinite(v), what = 'a finite number') => {
    const v = (init as unknown as Record<string, unknown>)[key];
    if (typeof v !== 'number' || !check(v)) fail(`${init.kind} ${key} must be ${what}, got ${JSON.stringify(v)}`);
  };
  switch (init.kind) {
    case 'varianceScaling':
      finite('scale', (v) => Number.isFinite(v) && v > 0, 'a positive number');
      if (!['fanIn', 'fanOut', 'fanAvg'].includes(init.mode)) fail(`varianceScaling mode must be fanIn, fanOut or fanAvg, got ${JSON.stringify(init.mode)}`);
      if (!['truncatedNormal', 'untruncatedNormal', 'uniform'].includes(init.distribution)) {
        fail(`varianceScaling distribution must be truncatedNormal, untruncatedNormal or uniform, got ${JSON.stringify(init.distribution)}`);
      }
      break;
    case 'randomNormal':
    case 'truncatedNormal':
      finite('mean');
      finite('stddev', (v) => Number.isFinite(v) && v >= 0, 'a non-negative number');
      break;
    case 'randomUniform':
      finite('minval');
      finite('maxval');
      if (!(init.minval <= init.maxval)) fail(`randomUniform minval (${init.minval}) must not exceed maxval (${init.maxval})`);
      break;
    case 'constant':
      finite('value');
      break;
    case 'orthogonal':
    case 'identity':
      finite('gain');
      break;
  }
  return init;
}

/**
 * Why an initializer cannot fill a weight of `rank` axes, as Keras refuses it (Orthogonal needs
 * a matrix or more, Identity a matrix); undefined where it can.
 */
export function initializerRankProblem(init: Initializer, rank: number): string | undefined {
  if (typeof init === 'string') return undefined;
  if (init.kind === 'orthogonal' && rank < 2) return `orthogonal initializes weights of 2 or more axes (kernels), not of ${rank}`;
  if (init.kind === 'identity' && rank !== 2) return `identity initializes 2-D weights (a Dense kernel), not of ${rank} axes`;
  return undefined;
}

/**
 * Keras' fans of a weight shape (compute_fans): a vector's length both ways, a matrix's rows
 * and columns, and beyond, its last two axes times the product of the others (a conv kernel's
 * receptive field).
 */
export function kerasFans(shape: readonly number[]): [number, number] {
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/**
 * Fills a tensor of this shape. fanIn/fanOut follow Keras: dense [in, out] → (in, out);
 * conv HWIO → (kh·kw·cin, kh·kw·cout).
 */
export function initialize(kind: Initializer, shape: readonly number[], fanIn: number, fanOut: number, random: () => number): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (kind === 'zeros') return out;
  if (kind === 'ones') return out.fill(1);
  const init = typeof kind === 'string' ? { kind: 'varianceScaling' as const, ...NAMED_VARIANCE_SCALING[kind]! } : kind;
  switch (init.kind) {
    case 'varianceScaling': {
      const n = init.mode === 'fanIn' ? fanIn : init.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
      // Keras guards an empty fan the same way. (3·scale is exact, so each bound is one rounding.)
      const fan = Math.max(1, n);
      if (init.distribution === 'uniform') return symmetricUniform(out, Math.sqrt((3 * init.scale) / fan), random);
      if (init.distribution === 'untruncatedNormal') return normal(out, 0, Math.sqrt(init.scale / fan), random);
      return truncatedNormal(out, 0, Math.sqrt(init.scale / fan) / TRUNCATED_STD, random);
    }
    case 'randomNormal':
      return normal(out, init.mean, init.stddev, random);
    case 'randomUniform':
      return uniform(out, init.minval, init.maxval, random);
    case 'truncatedNormal':
      return truncatedNormal(out, init.mean, init.stddev, random);
    case 'constant':
      return out.fill(init.value);
    case 'orthogonal':
    case 'identity': {
      const problem = initializerRankProblem(init, shape.length);
      if (problem) throw new Error(problem);
      const cols = shape[shape.length - 1];
      const rows = out.length / cols;
      return init.kind === 'identity' ? identity(out, rows, cols, init.gain) : orthogonal(out, rows, cols, init.gain, random);
    }
  }
}

/** Fills `out` (rows, cols) with gain times the identity matrix (ones on the diagonal of a non-square one). */
function identity(out: Float32Array, rows: number, cols: number, gain: number): Float32Array {
  for (let i = 0; i < Math.min(rows, cols); i++) out[i * cols + i] = gain;
  return out;
}

/**
 * Fills `out` (rows, cols) as Keras' Orthogonal does: gain times the Q of the QR decomposition
 * of a standard normal (max, min) matrix, with R's diagonal made positive, transposed when
 * rows < cols, so that the columns (rows ≥ cols) or the rows are orthonormal. Q by modified
 * Gram–Schmidt in float64, whose R has a positive diagonal by construction (a normal matrix is
 * of full rank with probability 1).
 */
function orthogonal(out: Float32Array, rows: number, cols: number, gain: number, random: () => number): Float32Array {
  const [n, m] = [Math.max(rows, cols), Math.min(rows, cols)];
  // q[j]: the j-th column (n values), orthonormalized against the ones before it.
  const q = Array.from({ length: m }, () => Float64Array.from({ length: n }, () => standardNormal(random)));
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[k][i] * q[j][i];
      for (let i = 0; i < n; i++) q[j][i] -= dot * q[k][i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[j][i] * q[j][i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[j][i] /= norm;
  }
  // Q is (n, m) with q[j] its columns; out is Q (rows ≥ cols) or Qᵀ, row-major.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if (rows >= cols) out[i * cols + j] = gain * q[j][i];
      else out[j * cols + i] = gain * q[j][i];
    }
  }
  return out;
}

/** Fills `out` with values drawn uniformly from [-limit, limit). */
function symmetricUniform(out: Float32Array, limit: number, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = (2 * random() - 1) * limit;
  return out;
}

/** Fills `out` with values drawn uniformly from [lo, hi). */
function uniform(out: Float32Array, lo: number, hi: number, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * random();
  return out;
}

/** A standard normal draw (Box–Muller). */
function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function normal(out: Float32Array, mean: number, std: number, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = mean + std * standardNormal(random);
  return out;
}

/** Fills `out` as Keras' truncated normals do: normal draws of `std` beyond 2·std of the mean drawn again. */
function truncatedNormal(out: Float32Array, mean: number, std: number, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i++) {
    let v: number;
    do {
      v = standardNormal(random);
    } while (Math.abs(v) > 2);
    out[i] = mean + v * std;
  }
  return out;
}
