/** Writes refresh-files/refresh-file.schema.json from the zod schemas (`npm run schema`). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSON_SCHEMA_PATH, refreshFileJsonSchemaText } from '../lambdas/shared/refresh-model/json-schema';

const path = join(__dirname, '..', JSON_SCHEMA_PATH);
writeFileSync(path, refreshFileJsonSchemaText());
console.log(`wrote ${JSON_SCHEMA_PATH}`);
