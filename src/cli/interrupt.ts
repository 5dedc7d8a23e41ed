/**
 * Ctrl-C (SIGINT) or SIGTERM while `webgpu-dl train --checkpoint FILE` trains: no further batch
 * is submitted, the checkpoint is written once the GPU has run the steps already submitted to it
 * (fit's signal: up to 2 read-backs' worth, about 6 s of GPU work or 2 steps, run ahead of the GPU), and the command
 * exits with 128 + the signal's number (130, 143), as a shell reports a process killed by it. A second
 * signal quits at once. Without --checkpoint there is nothing to keep, and the signals keep
 * their default (the process ends at once).
 */
import { constants } from 'node:os';

type StopSignal = 'SIGINT' | 'SIGTERM';
const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** The exit code a shell reports for a process ended by `signal`. */
const exitCodeOf = (signal: StopSignal) => 128 + constants.signals[signal];

/** fit rejected with this: training stopped on a signal; `message` says where and how to go on. */
export class Interrupted extends Error {
  readonly exitCode: number;

  constructor(readonly signal: StopSignal) {
    super(`stopped by ${signal}`);
    this.name = 'Interrupted';
    this.exitCode = exitCodeOf(signal);
  }
}

/** Listens for SIGINT and SIGTERM until `dispose()`; `signal` aborts at the first, with an Interrupted. */
export function stopOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: StopSignal) => {
    if (controller.signal.aborted) process.exit(exitCodeOf(name));
    process.stderr.write(`\n${name}: stopping once the steps already submitted to the GPU are done, to write the checkpoint (${name} again: quit at once)\n`);
    controller.abort(new Interrupted(name));
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
    },
  };
}
