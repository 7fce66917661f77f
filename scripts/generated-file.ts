import { readFileSync, writeFileSync } from 'node:fs';

/**
 * A generator's command line: writes `text` to `output`, or with `--check` fails when the
 * committed file differs from it, naming the npm script that regenerates it.
 */
export function writeOrCheck(output: string, text: string, npmScript: string): void {
  if (!process.argv.includes('--check')) return writeFileSync(output, text);
  if (readFileSync(output, 'utf8') !== text) {
    process.stderr.write(`${output} is not what the generator makes: run npm run ${npmScript}\n`);
    process.exit(1);
  }
}
