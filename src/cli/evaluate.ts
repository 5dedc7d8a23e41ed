/** `webgpu-dl evaluate`: a trained model (weights, or a Keras or TF.js file) tested on MNIST. */
import { createDevice } from '../device/device.js';
import { loadMnist } from '../data/mnist.js';
import { DEFAULT_TRAINING, parseOptions } from './help.js';
import { checkMnistInput, modelForFile, pixelRange } from './model-file.js';
import { lossForModel } from '../nn/loss.js';
import { toPixelRange } from '../nn/pixel-range.js';
import { testLine, tuningLine } from './report.js';
import { adapterChoice, checkLoad, dataDir, positiveInt, tuningMode } from './usage.js';

export async function evaluate(argv: string[]): Promise<void> {
  const values = parseOptions(argv, ['load', 'model', 'limit', 'batch-size', 'tuning', 'data', 'pixel-range']);
  if (!values) return; // --help
  const load = checkLoad('evaluate', values.load, values.model);
  const limit = positiveInt('limit', values.limit);
  const data = dataDir(values.data);
  const batchSize = positiveInt('batch-size', values['batch-size']) ?? 100;
  const tuning = tuningMode(values.tuning ?? 'cached');
  const { model, weights } = await modelForFile(load, values.model, DEFAULT_TRAINING.model);
  checkMnistInput(model);
  const range = pixelRange(model, values['pixel-range']);
  const mnist = await loadMnist({ limit: 1, testLimit: limit, dir: data });
  toPixelRange(mnist.test.images, range);

  const device = await createDevice({ adapter: adapterChoice(), tuning });
  try {
    await model.compile({ device, optimizer: 'sgd', loss: lossForModel(model) }); // evaluation takes no step: any optimizer does
    if (weights) model.setWeights(weights);
    console.log(model.summary());
    const test = await model.evaluate(mnist.test.images, mnist.test.labels, { batchSize });
    console.log(`evaluated ${load} on ${mnist.test.count} ${data ? `test images from ${data}` : 'MNIST test images'}`);
    console.log(tuningLine(device));
    console.log(testLine(test));
    model.dispose();
  } finally {
    device.destroy();
  }
}
