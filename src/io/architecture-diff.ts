/**
 * The first difference between the architecture a checkpoint was written by (the Keras 3
 * JSON in its metadata) and a model's, in words, so that a mismatch is blamed on the
 * architecture before any tensor shape: "layer 3 (dense): Dense units 128 in the
 * checkpoint, 64 in this model".
 */
import type { SavableModel } from '../nn/savable-model.js';
import { kerasModelConfig } from './keras-json.js';

interface LayerEntry {
  class_name: string;
  config: Record<string, unknown>;
}

/** Layer entries of a Keras 3 Sequential JSON, InputLayer first. */
function layersOf(json: unknown): LayerEntry[] | undefined {
  const layers = (json as { config?: { layers?: unknown } } | undefined)?.config?.layers;
  return Array.isArray(layers) ? (layers as LayerEntry[]) : undefined;
}

function describeLayers(layers: LayerEntry[]): string {
  return layers.map((l) => l.class_name).join(', ');
}

/** Undefined when the architectures agree (or the saved one cannot be read). */
export function architectureDifference(savedJson: string | undefined, model: SavableModel): string | undefined {
  if (savedJson === undefined) return undefined;
  let saved: LayerEntry[] | undefined;
  try {
    saved = layersOf(JSON.parse(savedJson));
  } catch {
    return undefined;
  }
  const ours = layersOf(kerasModelConfig(model, 'keras3'));
  if (!saved || !ours) return undefined;
  if (saved.length !== ours.length) {
    return `the checkpoint's model has ${saved.length - 1} layers (${describeLayers(saved.slice(1))}), this model ${ours.length - 1} (${describeLayers(ours.slice(1))})`;
  }
  for (let i = 0; i < saved.length; i++) {
    const [a, b] = [saved[i], ours[i]];
    const where = i === 0 ? 'the input' : `layer ${i} (${String(b.config.name)})`;
    if (a.class_name !== b.class_name) return `${where} is ${a.class_name} in the checkpoint, ${b.class_name} in this model`;
    for (const key of Object.keys({ ...a.config, ...b.config })) {
      if (key === 'name') continue;
      const [x, y] = [JSON.stringify(a.config[key]), JSON.stringify(b.config[key])];
      if (x !== y) return `${where}: ${a.class_name} ${key} ${x} in the checkpoint, ${y} in this model`;
    }
  }
  return undefined;
}
