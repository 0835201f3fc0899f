/**
 * Configuration-set files: the combinations of Comms Hub and device models and firmware a suite runs
 * against, like Playwright projects. Each set may plant known defects in the simulators, so a suite can
 * prove it catches them.
 */
import { z } from 'zod';
import { readTextFile } from './loader.ts';
import { ROLES, type Role } from './roles.ts';
import { patternRegex } from './selection.ts';
import { validateYamlText, type PathIssue, type SourceError, type SourceLocation } from './yaml-source.ts';
import { closedObject, kebabId, oneOrMany, withoutUndefined } from './zod-kit.ts';

export interface DeviceIdentity {
  readonly manufacturer?: string;
  readonly model: string;
  readonly firmware: string;
}

export interface ConfigurationSet {
  readonly id: string;
  readonly label: string;
  readonly roles: Readonly<Partial<Record<Role, DeviceIdentity>>>;
  /** Defects the simulator of each role should plant, e.g. `gsme: [refuse-future-dated-mode-change]`. */
  readonly defects: Readonly<Partial<Record<Role, readonly string[]>>>;
  readonly location: SourceLocation;
}

export interface ConfigurationMatrix {
  readonly id: string;
  readonly description: string;
  readonly sets: readonly ConfigurationSet[];
}

const deviceIdentity = closedObject({
  manufacturer: z.string().min(1).optional(),
  model: z.string().min(1),
  firmware: z.string().min(1),
});

const perRole = <T extends z.ZodType>(schema: T) => closedObject(Object.fromEntries(ROLES.map((role) => [role, schema.optional()])) as Record<Role, z.ZodOptional<T>>);

const setSchema = closedObject({
  id: kebabId('a configuration set id'),
  label: z.string().min(1),
  roles: perRole(deviceIdentity),
  defects: perRole(oneOrMany(kebabId('a defect name'))).optional(),
});

const matrixSchema = closedObject({
  id: kebabId('a matrix id'),
  description: z.string().optional(),
  sets: z.array(setSchema).min(1),
});

const MATRIX_TEXT_KEYS: ReadonlySet<string> = new Set(['id', 'model', 'firmware', 'manufacturer', 'label']);

export type MatrixParse = { ok: true; matrix: ConfigurationMatrix } | { ok: false; errors: SourceError[] };

export function parseMatrix(text: string, path: string): MatrixParse {
  const validated = validateYamlText(text, path, matrixSchema, MATRIX_TEXT_KEYS);
  if (!validated.ok) return validated;
  const { value, source } = validated;
  const issues: PathIssue[] = [];
  const seen = new Map<string, number>();
  value.sets.forEach((set, index) => {
    const first = seen.get(set.id);
    if (first === undefined) seen.set(set.id, index);
    else issues.push({ path: ['sets', index, 'id'], message: `set id "${set.id}" is already used by set ${first + 1}`, expected: 'a set id unique in this file' });
  });
  if (issues.length > 0) return { ok: false, errors: source.errorsFor(issues) };
  return {
    ok: true,
    matrix: {
      id: value.id,
      description: value.description ?? '',
      sets: value.sets.map((set, index) => ({
        id: set.id,
        label: set.label,
        roles: withoutUndefined(Object.fromEntries(Object.entries(set.roles).map(([role, identity]) => [role, identity && withoutUndefined(identity)]))),
        defects: withoutUndefined(set.defects ?? {}),
        location: source.locate(['sets', index]),
      })),
    },
  };
}

export async function loadMatrixFile(path: string): Promise<MatrixParse> {
  const text = await readTextFile(path);
  return typeof text === 'string' ? parseMatrix(text, path) : { ok: false, errors: [text] };
}

/**
 * Sets whose id or label matches `pattern` (a regular expression, ignoring case); all sets without one.
 * Throws SelectionError for a pattern that is not a regular expression.
 */
export function selectSets(matrix: ConfigurationMatrix, pattern?: string): ConfigurationSet[] {
  if (pattern === undefined) return [...matrix.sets];
  const regex = patternRegex(pattern, '--set');
  return matrix.sets.filter((set) => regex.test(set.id) || regex.test(set.label));
}
