/** `layers.*`: Keras layer names in camelCase, as TF.js spells them. */
import { Activation, LeakyReLU, type ActivationArgs, type LeakyReLUArgs } from './activation.js';
import { BatchNormalization, type BatchNormalizationArgs } from './batchnorm.js';
import { LayerNormalization, type LayerNormalizationArgs } from './layernorm.js';
import { Conv2D, type Conv2DArgs } from './conv2d.js';
import { Dense, type DenseArgs } from './dense.js';
import { AlphaDropout, Dropout, SpatialDropout2D, type DropoutArgs } from './dropout.js';
import { PReLU, type PReLUArgs } from './prelu.js';
import { DepthwiseConv2D, type DepthwiseConv2DArgs } from './depthwise-conv2d.js';
import { SeparableConv2D, type SeparableConv2DArgs } from './separable-conv2d.js';
import { Flatten } from './flatten.js';
import { GaussianDropout, GaussianNoise, type GaussianDropoutArgs, type GaussianNoiseArgs } from './noise.js';
import type { LayerArgs, LayerClass } from './layer.js';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, type GlobalPoolingArgs, type PoolingArgs } from './pooling.js';
import { Cropping2D, ZeroPadding2D, type Cropping2DArgs, type ZeroPadding2DArgs } from './padding.js';
import { Rescaling, type RescalingArgs } from './rescaling.js';
import { Reshape, type ReshapeArgs } from './reshape.js';
import { RandomFlip, RandomRotation, RandomTranslation, RandomZoom, type RandomFlipArgs, type RandomRotationArgs, type RandomTranslationArgs, type RandomZoomArgs } from './augmentation.js';
import { RandomBrightness, RandomContrast, type RandomBrightnessArgs, type RandomContrastArgs } from './color-augmentation.js';

export { Activation, AlphaDropout, AveragePooling2D, DepthwiseConv2D, SeparableConv2D, PReLU, BatchNormalization, LayerNormalization, Conv2D, Cropping2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, GaussianDropout, GaussianNoise, GlobalMaxPooling2D, LeakyReLU, MaxPooling2D, RandomBrightness, RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom, Rescaling, Reshape, SpatialDropout2D, ZeroPadding2D };
export type { ActivationArgs, LeakyReLUArgs, BatchNormalizationArgs, LayerNormalizationArgs, Conv2DArgs, DepthwiseConv2DArgs, SeparableConv2DArgs, Cropping2DArgs, DenseArgs, DropoutArgs, GaussianDropoutArgs, GaussianNoiseArgs, GlobalPoolingArgs, LayerArgs, PoolingArgs, RandomBrightnessArgs, RandomContrastArgs, RandomFlipArgs, RandomRotationArgs, RandomTranslationArgs, RandomZoomArgs, RescalingArgs, ReshapeArgs, ZeroPadding2DArgs };
export { Layer, type LayerClass } from './layer.js';

/**
 * The layer classes by Keras class name, which the Keras JSON reader builds from
 * (LayerClass.fromConfig). A new layer is added here, to `layers` below, and nowhere else in nn.
 */
export const layerClasses: Record<string, LayerClass> = {
  Conv2D,
  DepthwiseConv2D,
  SeparableConv2D,
  Dense,
  MaxPooling2D,
  AveragePooling2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  Flatten,
  Reshape,
  Rescaling,
  ZeroPadding2D,
  Cropping2D,
  RandomFlip,
  RandomRotation,
  RandomZoom,
  RandomTranslation,
  RandomContrast,
  RandomBrightness,
  Dropout,
  SpatialDropout2D,
  AlphaDropout,
  GaussianNoise,
  GaussianDropout,
  BatchNormalization,
  LayerNormalization,
  Activation,
  LeakyReLU,
  PReLU,
};

export const layers = {
  conv2d: (args: Conv2DArgs) => new Conv2D(args),
  depthwiseConv2d: (args: DepthwiseConv2DArgs) => new DepthwiseConv2D(args),
  separableConv2d: (args: SeparableConv2DArgs) => new SeparableConv2D(args),
  dense: (args: DenseArgs) => new Dense(args),
  maxPooling2d: (args: PoolingArgs = {}) => new MaxPooling2D(args),
  averagePooling2d: (args: PoolingArgs = {}) => new AveragePooling2D(args),
  globalAveragePooling2d: (args: GlobalPoolingArgs = {}) => new GlobalAveragePooling2D(args),
  globalMaxPooling2d: (args: GlobalPoolingArgs = {}) => new GlobalMaxPooling2D(args),
  flatten: (args: LayerArgs = {}) => new Flatten(args),
  reshape: (args: ReshapeArgs) => new Reshape(args),
  rescaling: (args: RescalingArgs) => new Rescaling(args),
  zeroPadding2d: (args: ZeroPadding2DArgs = {}) => new ZeroPadding2D(args),
  cropping2D: (args: Cropping2DArgs = {}) => new Cropping2D(args),
  randomFlip: (args: RandomFlipArgs = {}) => new RandomFlip(args),
  randomRotation: (args: RandomRotationArgs) => new RandomRotation(args),
  randomZoom: (args: RandomZoomArgs) => new RandomZoom(args),
  randomTranslation: (args: RandomTranslationArgs) => new RandomTranslation(args),
  randomContrast: (args: RandomContrastArgs) => new RandomContrast(args),
  randomBrightness: (args: RandomBrightnessArgs) => new RandomBrightness(args),
  dropout: (args: DropoutArgs) => new Dropout(args),
  spatialDropout2d: (args: DropoutArgs) => new SpatialDropout2D(args),
  alphaDropout: (args: DropoutArgs) => new AlphaDropout(args),
  gaussianNoise: (args: GaussianNoiseArgs) => new GaussianNoise(args),
  gaussianDropout: (args: GaussianDropoutArgs) => new GaussianDropout(args),
  batchNormalization: (args: BatchNormalizationArgs = {}) => new BatchNormalization(args),
  layerNormalization: (args: LayerNormalizationArgs = {}) => new LayerNormalization(args),
  activation: (args: ActivationArgs) => new Activation(args),
  leakyReLU: (args: LeakyReLUArgs = {}) => new LeakyReLU(args),
  prelu: (args: PReLUArgs = {}) => new PReLU(args),
};
