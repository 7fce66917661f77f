import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate, OUTPUT } from '../../../../scripts/generate-validators';
import { SPEC_PATH, specAvailable } from '../../../support/spec';

const ROOT = join(__dirname, '../../../..');

describe('validators generated from spec/openadr3.yaml', () => {
  test('the committed validators are what the generator makes (npm run generate:validators)', () => {
    expect(readFileSync(OUTPUT, 'utf8') === generate()).toBe(true);
  });

  test('at run time they import only Ajv runtime helpers and the formats module', () => {
    const requires = [...readFileSync(OUTPUT, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]);
    expect(new Set(requires)).toEqual(new Set(['./formats', 'ajv/dist/runtime/ucs2length']));
  });

  test('spec/openadr3.yaml is the 3.1.0 document, with its licence beside it', () => {
    expect(readFileSync(join(ROOT, 'spec/LICENSE'), 'utf8')).toContain('Apache License');
    expect(readFileSync(join(ROOT, 'spec/NOTICE'), 'utf8')).toContain('OpenADR Alliance');
    if (!specAvailable()) return console.warn(`${SPEC_PATH} is absent: the copy is not compared with it`);
    expect(readFileSync(join(ROOT, 'spec/openadr3.yaml'), 'utf8') === readFileSync(SPEC_PATH, 'utf8')).toBe(true);
  });
});
