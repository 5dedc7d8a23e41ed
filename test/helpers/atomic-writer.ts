/**
 * Child process of the atomic-write test (run with scripts/run.mjs): replaces the file PATH
 * over and over with SIZE bytes of one value, a different value each time, through
 * writeFileAtomic, and prints 'writing' once under way, until it is killed.
 *   node scripts/run.mjs test/helpers/atomic-writer.ts PATH SIZE
 */
import { writeFileAtomic } from '../../src/io/files.js';

const [path, size] = [process.argv[2], Number(process.argv[3])];
for (let i = 2; ; i++) {
  await writeFileAtomic(path, new Uint8Array(size).fill((i % 250) + 1));
  if (i === 3) console.log('writing');
}
