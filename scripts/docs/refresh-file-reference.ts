import * as z from 'zod';
import {
  AuroraRefreshFileSchema,
  RdsRefreshFileSchema,
} from '../../lambdas/shared/refresh-model/refresh-file-schema';

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is open-ended JSON
type JsonSchema = Record<string, any>;

/** One field of the refresh file, as the reference table lists it. */
interface FieldRow {
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly description: string;
}

/**
 * The refresh file reference as a Markdown table, generated from the zod schemas of the concise form
 * (the same source as refresh-file.schema.json): one row per field, with its type and constraints, whether
 * it is required, and its description. A field only one service has says so.
 */
export function refreshFileReference(): string {
  const rds = fieldRows(RdsRefreshFileSchema);
  const aurora = fieldRows(AuroraRefreshFileSchema);
  const auroraByPath = new Map(aurora.map((row) => [row.path, row]));
  const rdsPaths = new Set(rds.map((row) => row.path));
  const merged: string[] = [];
  const rowText = (row: FieldRow, only?: string) =>
    `| \`${row.path}\` | ${row.type} | ${row.required ? 'yes' : ''} | ${only ? `(${only} only) ` : ''}${tableCell(row.description)} |`;
  for (const row of rds) {
    const other = auroraByPath.get(row.path);
    if (other === undefined) merged.push(rowText(row, 'rds'));
    else if (other.description === row.description) {
      const type = other.type === row.type ? row.type : `${row.type} \\| ${other.type}`;
      merged.push(rowText({ ...row, type }));
    } else merged.push(rowText(row, 'rds'), rowText(other, 'aurora'));
  }
  // Aurora-only fields go after the RDS ones, in their own order.
  for (const row of aurora) if (!rdsPaths.has(row.path)) merged.push(rowText(row, 'aurora'));
  return ['| field | type | required | description |', '| --- | --- | --- | --- |', ...merged].join('\n');
}

function fieldRows(schema: z.ZodType): FieldRow[] {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-07',
    unrepresentable: 'any',
    reused: 'inline',
  }) as JsonSchema;
  const rows: FieldRow[] = [];
  walkObject(json, '', rows);
  return rows.filter((row) => row.path !== '$schema');
}

function walkObject(schema: JsonSchema, prefix: string, rows: FieldRow[]): void {
  const required = new Set<string>(schema.required ?? []);
  for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    const path = prefix ? `${prefix}.${name}` : name;
    rows.push({
      path,
      type: typeOf(property),
      required: required.has(name),
      description: property.description ?? '',
    });
    const branches = objectsIn(property);
    if (branches.length === 1)
      walkObject(branches[0]?.schema ?? {}, `${path}${branches[0]?.suffix ?? ''}`, rows);
    else if (branches.length > 1) rows.push(...mergedBranches(branches, path));
  }
}

/**
 * The fields of a union of objects (such as `restore`, one object per restore type) as one list: a field in
 * several branches is one row with their types joined, required "for" the branches that require it.
 */
function mergedBranches(branches: { schema: JsonSchema; suffix: string }[], path: string): FieldRow[] {
  const byPath = new Map<string, { rows: FieldRow[]; requiredIn: string[] }>();
  for (const branch of branches) {
    const discriminator = Object.values((branch.schema.properties ?? {}) as Record<string, JsonSchema>).find(
      (property) => property.const !== undefined,
    )?.const;
    const rows: FieldRow[] = [];
    walkObject(branch.schema, `${path}${branch.suffix}`, rows);
    for (const row of rows) {
      const entry = byPath.get(row.path) ?? { rows: [], requiredIn: [] };
      entry.rows.push(row);
      if (row.required) entry.requiredIn.push(String(discriminator));
      byPath.set(row.path, entry);
    }
  }
  return [...byPath.entries()].map(([fieldPath, { rows, requiredIn }]) => {
    const types = [...new Set(rows.map((row) => row.type))];
    const everywhere = requiredIn.length === branches.length;
    const someBranches = requiredIn.length > 0 && !everywhere;
    return {
      path: fieldPath,
      type: types.join(' \\| '),
      required: everywhere,
      description: `${someBranches ? `Required with ${requiredIn.map((value) => `\`${value}\``).join(', ')}. ` : ''}${rows.find((row) => row.description)?.description ?? ''}`,
    };
  });
}

/** The object schemas inside a property (itself, its array items, the object branches of a union). */
function objectsIn(schema: JsonSchema): { schema: JsonSchema; suffix: string }[] {
  if (schema.type === 'object' && schema.properties) return [{ schema, suffix: '' }];
  if (schema.type === 'array' && schema.items) {
    return objectsIn(schema.items).map((found) => ({ ...found, suffix: `[]${found.suffix}` }));
  }
  const branches = (schema.anyOf ?? schema.oneOf ?? []) as JsonSchema[];
  return branches.flatMap(objectsIn);
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (Array.isArray(schema.enum))
    return schema.enum.map((value: unknown) => `\`${JSON.stringify(value)}\``).join(' \\| ');
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (branches) return [...new Set(branches.map(typeOf))].join(' or ');
  const limits = [
    schema.minimum !== undefined && schema.maximum !== undefined ? `${schema.minimum}–${schema.maximum}` : '',
    schema.minItems !== undefined ? `≥ ${schema.minItems} items` : '',
    schema.maxItems !== undefined ? `≤ ${schema.maxItems} items` : '',
  ].filter(Boolean);
  let type: string;
  if (schema.type === 'array') type = `array of ${schema.items ? typeOf(schema.items) : 'values'}`;
  else if (schema.type === 'object') type = 'object';
  else type = String(schema.type ?? 'any');
  return limits.length > 0 ? `${type} (${limits.join(', ')})` : type;
}

function tableCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
