/**
 * Keras model JSON: the fixtures (every preset as Keras 3 and Keras 2 `to_json()` output)
 * build the preset's model; the writer reproduces the fixtures; every unsupported argument is
 * an error naming the layer and the argument. No GPU: models are built, not compiled.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromKerasJson, toKerasJson } from '../../src/io/keras-json.js';
import { Sequential, layers } from '../../src/index.js';
import { presets, presetNames } from '../../src/nn/presets.js';

const fixture = (layout: 'keras2' | 'keras3', name: string) => readFileSync(new URL(`../fixtures/keras/${layout}/${name}.json`, import.meta.url), 'utf8');

/** A small Keras 3 model to mutate in the error tests. */
function smallKeras3(): Record<string, any> {
  return JSON.parse(toKerasJson(new Sequential([
    layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
    layers.batchNormalization(),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ])));
}

function layerConfig(model: Record<string, any>, className: string): Record<string, any> {
  return model.config.layers.find((l: any) => l.class_name === className).config;
}

describe('Keras model JSON', () => {
  for (const name of presetNames) {
    for (const layout of ['keras3', 'keras2'] as const) {
      it(`${layout} fixture of ${name} builds the preset's model and is written back unchanged`, () => {
        const text = fixture(layout, name);
        const model = fromKerasJson(text);
        expect(model.summary()).toBe(presets[name]().model.summary());
        expect(JSON.parse(toKerasJson(model, { layout }))).toEqual(JSON.parse(text));
      });
    }
  }

  it('round-trips the layers and arguments the presets do not use, in both layouts', () => {
    const model = new Sequential([
      layers.conv2d({ filters: 5, kernelSize: [3, 2], strides: [2, 1], padding: 'same', useBias: false, kernelInitializer: 'heNormal', inputShape: [9, 7, 3] }),
      layers.activation({ activation: 'tanh' }),
      layers.averagePooling2d({ poolSize: [2, 3], strides: 1, padding: 'same' }),
      layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      layers.flatten({ name: 'my_flatten' }),
      layers.dense({ units: 6, activation: 'sigmoid', kernelInitializer: 'heUniform', biasInitializer: 'ones' }),
      layers.dense({ units: 4 }),
      layers.activation({ activation: 'softmax' }),
    ]);
    model.name = 'custom';
    for (const layout of ['keras3', 'keras2'] as const) {
      const text = toKerasJson(model, { layout });
      const back = fromKerasJson(text);
      expect(back.name).toBe('custom');
      expect(back.summary()).toBe(model.summary());
      expect(toKerasJson(back, { layout })).toBe(text);
    }
  });

  it('reads the TF.js converter wrapper, a TF.js model.json and the Keras ≤ 2.2 layer list', () => {
    const keras2 = JSON.parse(fixture('keras2', 'mnist-cnn'));
    const summary = presets['mnist-cnn']().model.summary();
    expect(fromKerasJson({ keras_version: '2.4.0', backend: 'tensorflow', model_config: keras2 }).summary()).toBe(summary);
    expect(fromKerasJson({ format: 'layers-model', modelTopology: keras2, weightsManifest: [] }).summary()).toBe(summary);
    // Keras 2.0-2.2: config is the layer list, the input shape on the first layer.
    const old = { class_name: 'Sequential', config: keras2.config.layers.slice(1), keras_version: '2.1.6', backend: 'tensorflow' };
    expect(fromKerasJson(old).summary()).toBe(summary);
    // TF.js writes Glorot uniform as a VarianceScaling.
    layerConfig(keras2, 'Dense').kernel_initializer = { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } };
    expect(fromKerasJson(keras2).summary()).toBe(summary);
  });

  it('accepts newer fields that are off (null or false) and ignores initializer and dropout seeds', () => {
    const m = smallKeras3();
    m.config.layers[0].config.optional = false; // InputLayer, Keras ≥ 3.6
    layerConfig(m, 'Dense').lora_rank = null;
    layerConfig(m, 'Conv2D').kernel_initializer.config.seed = 42;
    expect(fromKerasJson(m).countParams()).toBe(fromKerasJson(smallKeras3()).countParams());
  });

  const errors: [string, (m: Record<string, any>) => unknown, RegExp][] = [
    ['an unknown layer', (m) => m.config.layers.splice(2, 0, { module: 'keras.layers', class_name: 'LSTM', config: { name: 'lstm', units: 4 } }), /LSTM layer 'lstm': unknown layer class 'LSTM'/],
    ['channels_first', (m) => (layerConfig(m, 'Conv2D').data_format = 'channels_first'), /Conv2D layer 'conv2d': unsupported argument data_format: "channels_first"/],
    ['a dilation with strides', (m) => Object.assign(layerConfig(m, 'Conv2D'), { dilation_rate: [2, 2], strides: [2, 2] }), /Conv2D layer 'conv2d': strides above 1 with a dilationRate above 1 are not supported, as in Keras/],
    ['groups', (m) => (layerConfig(m, 'Conv2D').groups = 2), /Conv2D layer 'conv2d': unsupported argument groups: 2/],
    ['an activation', (m) => (layerConfig(m, 'Conv2D').activation = 'hard_silu'), /Conv2D layer 'conv2d': unsupported argument activation: "hard_silu"/],
    ['an initializer', (m) => (layerConfig(m, 'Dense').kernel_initializer = { module: 'keras.initializers', class_name: 'STFT', config: { side: 'real', window: 'hann', periodic: false, scaling: 'density' }, registered_name: null }), /Dense layer 'dense': unsupported argument kernel_initializer: .*STFT.*\(supported: GlorotUniform, .*VarianceScaling, .*Orthogonal, Identity/],
    ['an Identity on a conv kernel', (m) => (layerConfig(m, 'Conv2D').kernel_initializer = { class_name: 'Identity', config: {} }), /Conv2D layer 'conv2d': kernelInitializer: identity initializes 2-D weights \(a Dense kernel\), not of 4 axes/],
    ['a VarianceScaling of an unknown mode', (m) => (layerConfig(m, 'Dense').kernel_initializer = { class_name: 'VarianceScaling', config: { scale: 3, mode: 'fan_sum', distribution: 'uniform' } }), /Dense layer 'dense': unsupported argument kernel_initializer: .*\(mode must be fan_in, fan_out or fan_avg\)/],
    ['a RandomUniform upside down', (m) => (layerConfig(m, 'Dense').kernel_initializer = { class_name: 'RandomUniform', config: { minval: 1, maxval: -1 } }), /Dense layer 'dense': unsupported argument kernel_initializer: .*\(randomUniform minval \(1\) must not exceed maxval \(-1\)\)/],
    ['an initializer argument Keras does not have', (m) => (layerConfig(m, 'Dense').kernel_initializer = { class_name: 'RandomNormal', config: { mean: 0, sigma: 1 } }), /Dense layer 'dense': unsupported argument kernel_initializer: .*\(arguments sigma\)/],
    ['an activity regularizer on a softmax output', (m) => (layerConfig(m, 'Dense').activity_regularizer = { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 }, registered_name: null }), /Dense layer 'dense': an activityRegularizer on a softmax output is not supported/],
    ['an orthogonal regularizer', (m) => (layerConfig(m, 'Dense').kernel_regularizer = { module: 'keras.regularizers', class_name: 'OrthogonalRegularizer', config: { factor: 0.01, mode: 'rows' }, registered_name: null }), /Dense layer 'dense': kernel_regularizer: unsupported regularizer OrthogonalRegularizer \(supported: L1, L2, L1L2\)/],
    ['a negative regularizer factor', (m) => (layerConfig(m, 'Conv2D').kernel_regularizer = { class_name: 'L2', config: { l2: -0.01 } }), /Conv2D layer 'conv2d': kernel_regularizer: l2 must be a finite number ≥ 0, got -0.01/],
    ['a frozen model', (m) => (m.config.trainable = false), /a frozen model \(trainable: false\) is not supported/],
    ['trainable that is not a boolean', (m) => (layerConfig(m, 'Dense').trainable = 'no'), /Dense layer 'dense': trainable must be true or false, got "no"/],
    ['another dtype', (m) => (layerConfig(m, 'Dense').dtype = 'float16'), /Dense layer 'dense': unsupported argument dtype: "float16"/],
    ['an unknown argument with a value', (m) => (layerConfig(m, 'Dense').lora_rank = 4), /Dense layer 'dense': unsupported argument lora_rank: 4/],
    ['a batch norm axis other than the last', (m) => (layerConfig(m, 'BatchNormalization').axis = 1), /BatchNormalization layer 'batch_normalization': axis 1 is not supported/],
    ['a batch norm initializer', (m) => (layerConfig(m, 'BatchNormalization').gamma_initializer = { class_name: 'Zeros', config: {} }), /BatchNormalization layer 'batch_normalization': unsupported argument gamma_initializer/],
    ['softmax inside the model', (m) => (layerConfig(m, 'Conv2D').activation = 'softmax'), /Conv2D layer 'conv2d'.*softmax/],
    ['a custom layer', (m) => (m.config.layers[1].module = 'my_package.layers'), /Conv2D layer 'conv2d': module "my_package.layers" is not Keras' own/],
    ['an inconsistent build shape', (m) => (m.config.layers.find((l: any) => l.class_name === 'Dense').build_config.input_shape = [null, 50]), /Dense layer 'dense': build_config.input_shape is \[50\], but the previous layer outputs \[36\]: inconsistent shapes/],
    ['an inconsistent input shape', (m) => (m.build_config.input_shape = [null, 9, 9, 1]), /inconsistent input shapes/],
    ['an unknown dimension', (m) => (m.config.layers[0].config.batch_shape = [null, null, 8, 1]), /InputLayer layer 'input_layer': batch_shape: every dimension but the batch must be a known positive integer/],
    ['a layer that cannot follow', (m) => m.config.layers.splice(4, 1), /the model's output must be flat \[classes\], got \[3,3,3\]: end with Flatten and Dense/],
    ['a missing argument', (m) => delete layerConfig(m, 'Dense').units, /Dense layer 'dense': units must be a positive integer, got undefined/],
    ['a Functional model without its inputs', (m) => (m.class_name = 'Functional'), /a Functional model is read only when its layers form one chain \(a Sequential model\): input_layers must name one layer, got undefined/],
    ['a subclassed model', (m) => (m.class_name = 'MyModel'), /only Sequential models \(and functional ones that are a chain of layers\) are supported, got class_name "MyModel"/],
    ['two layers of one name', (m) => (layerConfig(m, 'Flatten').name = 'conv2d'), /two layers are named 'conv2d'/],
    ['a missing input shape', (m) => {
      m.config.layers.shift();
      delete m.config.build_input_shape;
      delete m.build_config;
    }, /the input shape is missing/],
  ];
  for (const [what, mutate, message] of errors) {
    it(`refuses ${what} with an error naming the layer and argument`, () => {
      const model = smallKeras3();
      mutate(model);
      expect(() => fromKerasJson(JSON.stringify(model))).toThrow(message);
    });
  }

  it("reads Keras' ReLU and Softmax layers as the layers they equal (a slope makes ReLU a LeakyReLU, a maximum of 6 relu6), and refuses their other settings", () => {
    const withActivationLayers = () => {
      const m = smallKeras3();
      const [conv, , , , dense] = m.config.layers.slice(1);
      conv.config.activation = 'linear';
      dense.config.activation = 'linear';
      m.config.layers.splice(2, 0, { module: 'keras.layers', class_name: 'ReLU', config: { name: 're_lu', trainable: true, dtype: 'float32', max_value: null, negative_slope: 0.0, threshold: 0.0 }, registered_name: null });
      m.config.layers.push({ module: 'keras.layers', class_name: 'Softmax', config: { name: 'softmax', trainable: true, dtype: 'float32', axis: -1 }, registered_name: null });
      return m;
    };
    const model = fromKerasJson(JSON.stringify(withActivationLayers()));
    expect(model.layers.map((l) => [l.className, l.name, l.config().activation])).toEqual([
      ['Conv2D', 'conv2d', 'linear'],
      ['Activation', 're_lu', 'relu'],
      ['BatchNormalization', 'batch_normalization', undefined],
      ['MaxPooling2D', 'max_pooling2d', undefined],
      ['Flatten', 'flatten', undefined],
      ['Dense', 'dense', 'linear'],
      ['Activation', 'softmax', 'softmax'],
    ]);
    // A maximum of 6 is relu6; any other maximum, or 6 with a negative slope, is refused.
    const relu6 = withActivationLayers();
    relu6.config.layers[2].config.max_value = 6;
    const relu6Model = fromKerasJson(JSON.stringify(relu6));
    expect([relu6Model.layers[1].className, relu6Model.layers[1].config().activation]).toEqual(['Activation', 'relu6']);
    const relu5 = withActivationLayers();
    relu5.config.layers[2].config.max_value = 5;
    expect(() => fromKerasJson(JSON.stringify(relu5))).toThrow(/ReLU layer 're_lu': unsupported argument max_value: 5/);
    relu6.config.layers[2].config.negative_slope = 0.1;
    expect(() => fromKerasJson(JSON.stringify(relu6))).toThrow(/ReLU layer 're_lu': unsupported argument max_value: 6/);
    const leaky = withActivationLayers();
    leaky.config.layers[2].config.negative_slope = 0.1;
    const leakyModel = fromKerasJson(JSON.stringify(leaky));
    expect([leakyModel.layers[1].className, leakyModel.layers[1].config()]).toEqual(['LeakyReLU', { negative_slope: 0.1 }]);
    const threshold = withActivationLayers();
    threshold.config.layers[2].config.threshold = 0.5;
    expect(() => fromKerasJson(JSON.stringify(threshold))).toThrow(/ReLU layer 're_lu': unsupported argument threshold: 0.5/);
    const axis1 = withActivationLayers();
    axis1.config.layers.at(-1).config.axis = 0;
    expect(() => fromKerasJson(JSON.stringify(axis1))).toThrow(/Softmax layer 'softmax': unsupported argument axis: 0/);
  });

  it('refuses text that is not JSON, and JSON that is not a model', () => {
    expect(() => fromKerasJson('{"class_name": "Sequential", ')).toThrow(/Keras model JSON: not valid JSON/);
    expect(() => fromKerasJson('[1, 2]')).toThrow(/expected an object with class_name and config, got a list/);
    expect(() => fromKerasJson({ class_name: 'Sequential', config: {} })).toThrow(/config.layers .* is missing/);
  });
});
