/**
 * The `webgpu-dl` command: dispatches to train.ts, predict.ts and evaluate.ts, and turns
 * errors into exit codes (2: usage, 130/143: stopped by a signal, 1: anything else). The help
 * text is help.ts'.
 *   webgpu-dl train [--model NAME] [--epochs N] [--batch-size B] [--optimizer NAME]
 *                   [--learning-rate X] [--lr-schedule S] [--limit N] [--test-limit N]
 *                   [--save FILE] [--load FILE] [--seed S] [--checkpoint FILE]
 *                   [--checkpoint-every STEPS|Nmin] [--resume FILE] [--tuning MODE]
 *                   [--validation-data D] [--record FILE.json]
 *   webgpu-dl predict --load FILE [--input image.png|images.idx] [--model NAME] [--limit N]
 *                     [--tuning MODE]
 *   webgpu-dl evaluate --load FILE [--model NAME] [--limit N] [--batch-size B] [--tuning MODE]
 */
import { evaluate } from './evaluate.js';
import { HELP } from './help.js';
import { Interrupted } from './interrupt.js';
import { predict } from './predict.js';
import { train } from './train.js';
import { UsageError } from './usage.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = { train, predict, evaluate };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      console.log(HELP);
      return command === undefined ? 2 : 0;
    }
    if (Object.hasOwn(COMMANDS, command)) {
      await COMMANDS[command](rest);
      return 0;
    }
    throw new UsageError(`unknown command '${command}'`);
  } catch (err) {
    if (err instanceof Interrupted) {
      console.error(`webgpu-dl: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`webgpu-dl: ${(err as Error).message}\nRun 'webgpu-dl --help' for usage.`);
      return 2;
    }
    console.error(`webgpu-dl: ${(err as Error).message}`);
    return 1;
  }
}
