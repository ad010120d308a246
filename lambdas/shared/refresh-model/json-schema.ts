import * as z from 'zod';
import { PerStepRefreshFileSchema } from './per-step-schema';
import { RefreshFileSchema } from './refresh-file-schema';

/** Where the generated JSON Schema lives, relative to the project root. */
export const JSON_SCHEMA_PATH = 'refresh-files/refresh-file.schema.json';

/**
 * The JSON Schema of both refresh file forms, generated from the zod schemas so editors complete and
 * check refresh files through `"$schema"`. Rules that span several fields are only in `dbrefresh validate`.
 */
export function refreshFileJsonSchema(): Record<string, unknown> {
  const eitherForm = z
    .union([RefreshFileSchema, PerStepRefreshFileSchema])
    .describe(
      'A dbrefresh refresh file: refresh a non-production RDS instance or Aurora cluster from a source. The concise form is recommended; the per-step form of the AWS Database Blog post is accepted as written.',
    );
  const schema = z.toJSONSchema(eitherForm, {
    io: 'input',
    target: 'draft-07',
    unrepresentable: 'any',
    reused: 'ref',
  });
  return { ...schema, title: 'dbrefresh refresh file' };
}

/** The schema file's exact text, formatted as committed. */
export function refreshFileJsonSchemaText(): string {
  return `${JSON.stringify(refreshFileJsonSchema(), null, 2)}\n`;
}
