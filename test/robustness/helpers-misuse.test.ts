/**
 * Misuses of the data and file helpers that need no model (MNIST from buffers, batching,
 * safetensors, PNG input, Keras files): each must throw an error naming the call or file and
 * what was wrong, never a TypeError or RangeError from deep inside, never succeed silently.
 */
import { describe, expect, it } from 'vitest';
import { decodeKerasModel, decodeKerasWeights, decodeSafetensors, encodeSafetensors, imageToInput, mnistFromBuffers, pixelRangeForModel, shuffledIndices, toOneHot, toPixelRange } from '../../src/index.js';

const one = (name: string) => ({ name, shape: [1], data: new Float32Array(1) });
const image = { width: 28, height: 28, channels: 1, pixels: new Uint8Array(28 * 28) };

const cases: [name: string, misuse: () => unknown, message: RegExp][] = [
  ['shuffledIndices of a negative count', () => shuffledIndices(-3, 1), /shuffledIndices: count must be a non-negative integer, got -3/],
  ['shuffledIndices of a fractional count', () => shuffledIndices(2.5, 1), /shuffledIndices: count must be a non-negative integer, got 2.5/],
  ['toOneHot with -1 classes', () => toOneHot(Uint8Array.from([1]), -1), /toOneHot: classes must be a positive integer, got -1/],
  ['toOneHot with 2.5 classes', () => toOneHot(Uint8Array.from([1]), 2.5), /toOneHot: classes must be a positive integer, got 2.5/],
  // Two tensors of one name would make a header whose second entry silently replaces the first.
  ['encodeSafetensors with two tensors of one name', () => encodeSafetensors([one('dense/kernel'), one('dense/kernel')]), /safetensors: two tensors are named dense\/kernel/],
  ['encodeSafetensors with a tensor named __metadata__', () => encodeSafetensors([one('__metadata__')]), /safetensors: a tensor cannot be named __metadata__/],
  ['encodeSafetensors with a plain array', () => encodeSafetensors([{ name: 'w', shape: [2], data: [1, 2] as never }]), /safetensors: w must hold a Float32Array, got Array/],
  ['decodeSafetensors of a string', () => decodeSafetensors('weights.safetensors' as never), /safetensors: expected the file's bytes as a Uint8Array, got string/],
  ['imageToInput without the input shape', () => imageToInput(image, undefined as never), /imageToInput needs the model's input shape \[height, width, channels\]/],
  ['imageToInput of a file name', () => imageToInput('digit.png' as never, [28, 28, 1]), /imageToInput needs an image from decodePng/],
  ['mnistFromBuffers of an object', () => mnistFromBuffers({} as never, new Uint8Array(8), new Uint8Array(8), new Uint8Array(8)), /train-images-idx3-ubyte: expected the file's bytes \(a Uint8Array or an ArrayBuffer\), got Object/],
  ['decodeKerasModel without a name for the file', () => decodeKerasModel(new Uint8Array(64)), /^Keras file: neither a .keras file/],
  ['decodeKerasModel of a string', () => decodeKerasModel('model.keras' as never), /decodeKerasModel\(bytes, source\): bytes must be the file's contents as a Uint8Array, got string/],
  ['pixelRangeForModel of a file name', () => pixelRangeForModel('model.keras' as never), /pixelRangeForModel: expected a model \(with its layers\), got string/],
  ['toPixelRange to 100', () => toPixelRange(new Float32Array(4), 100 as never), /toPixelRange: range must be 1 or 255, got 100/],
  ['toPixelRange of a plain array', () => toPixelRange([0.5] as never, 255), /toPixelRange: images must be a Float32Array \(loadMnist's pixels \/ 255\), got Array/],
  ['decodeKerasWeights without the model', () => decodeKerasWeights(new Uint8Array(64) as never, undefined as never), /decodeKerasWeights\(model, bytes, source\): bytes must be the file's contents as a Uint8Array, got undefined/],
];

describe('helper misuses are refused with the call and the culprit named', () => {
  it.each(cases)('%s', (_, misuse, message) => {
    expect(misuse).toThrow(message);
  });

  it('the helpers still take what they document', () => {
    expect(shuffledIndices(0, 1)).toHaveLength(0);
    expect(Array.from(toOneHot(Uint8Array.from([2]), 3))).toEqual([0, 0, 1]);
    const decoded = decodeSafetensors(encodeSafetensors([one('a'), one('b')]));
    expect(decoded.tensors.map((t) => t.name)).toEqual(['a', 'b']);
    expect(imageToInput(image, [28, 28, 1])).toHaveLength(784);
  });
});
