import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { errorsOf, parseRefreshFile } from '../../../../lambdas/shared/refresh-model';
import {
  JSON_SCHEMA_PATH,
  refreshFileJsonSchemaText,
} from '../../../../lambdas/shared/refresh-model/json-schema';

const root = join(__dirname, '..', '..', '..', '..');
const directory = join(root, 'refresh-files');
const examples = readdirSync(directory).filter(
  (name) => name.endsWith('.json') && !name.endsWith('.schema.json'),
);
const load = (name: string): unknown => JSON.parse(readFileSync(join(directory, name), 'utf8'));

describe('refresh-files/', () => {
  it('has an example for every restore type, both services and the per-step form', () => {
    const parsed = examples.map((name) => parseRefreshFile(load(name)));
    const kinds = new Set(
      parsed.map((result) => `${result.refreshFile?.service}/${result.refreshFile?.restore.type}`),
    );
    const forms = new Set(parsed.map((result) => result.form));

    expect([...kinds].sort()).toEqual(
      expect.arrayContaining([
        'aurora/fastcloning',
        'aurora/restorepoint',
        'rds/fromsnapshot',
        'rds/latestpoint',
        'rds/restorepoint',
      ]),
    );
    expect([...forms].sort()).toEqual(['concise', 'per-step']);
  });

  it.each(examples)('%s validates with no error', (name) => {
    const result = parseRefreshFile(load(name));

    expect(errorsOf(result)).toEqual([]);
    expect(result.refreshFile).toBeDefined();
  });

  it.each(examples)('%s explains itself in a comment', (name) => {
    expect((load(name) as { comment?: string }).comment?.length).toBeGreaterThan(40);
  });
});

describe('refresh-file.schema.json', () => {
  it('is up to date with the zod schemas (run `npm run schema` after changing them)', () => {
    expect(readFileSync(join(root, JSON_SCHEMA_PATH), 'utf8')).toBe(refreshFileJsonSchemaText());
  });

  it.each(examples)('accepts %s, so editors do not flag valid files', (name) => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(refreshFileJsonSchemaText()));

    expect(validate(load(name))).toBe(true);
  });

  it('rejects an unknown field, so editors flag typos', () => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(refreshFileJsonSchemaText()));
    const file = { ...(load('rds-mysql-latestpoint.json') as object), tagz: {} };

    expect(validate(file)).toBe(false);
  });
});
