import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SCENARIO_TEXT_KEYS, scenarioSchema } from './schema.ts';
import { finalizeScenario } from './semantics.ts';
import type { Scenario } from './types.ts';
import { fileError, validateYamlText, type SourceError } from './yaml-source.ts';

export type ScenarioError = SourceError;
export type ScenarioParse = { ok: true; scenario: Scenario } | { ok: false; errors: ScenarioError[] };

/** Parses one scenario from YAML text; `path` names the file in errors and locations. */
export function parseScenario(text: string, path: string): ScenarioParse {
  const validated = validateYamlText(text, path, scenarioSchema, SCENARIO_TEXT_KEYS);
  if (!validated.ok) return validated;
  const finished = finalizeScenario(validated.value, validated.source);
  return finished.ok ? finished : { ok: false, errors: validated.source.errorsFor(finished.issues) };
}

export async function loadScenarioFile(path: string): Promise<ScenarioParse> {
  const text = await readTextFile(path);
  return typeof text === 'string' ? parseScenario(text, path) : { ok: false, errors: [text] };
}

/** The file's text, or an error saying why it could not be read. */
export async function readTextFile(path: string): Promise<string | SourceError> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    return fileError(path, `cannot read: ${(error as Error).message}`, 'a readable file');
  }
}

const YAML_FILE = /\.ya?ml$/i;

/** Files named on the command line, and every *.yaml / *.yml under folders, each folder in sorted order. */
export async function findYamlFiles(paths: readonly string[]): Promise<{ files: string[]; errors: SourceError[] }> {
  const files: string[] = [];
  const errors: SourceError[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && YAML_FILE.test(entry.name)) files.push(path);
    }
  };
  for (const path of paths) {
    try {
      if ((await stat(path)).isDirectory()) await walk(path);
      else files.push(path);
    } catch (error) {
      errors.push(fileError(path, `cannot read: ${(error as Error).message}`, 'a scenario file or a folder of them'));
    }
  }
  return { files: [...new Set(files)], errors };
}

/**
 * Loads scenario files and folders. Every file is read and every error reported, so one bad file does not
 * hide the others' problems; scenario ids must be unique across everything loaded.
 */
export async function loadScenarios(...paths: string[]): Promise<{ scenarios: Scenario[]; errors: ScenarioError[] }> {
  const found = await findYamlFiles(paths);
  const scenarios: Scenario[] = [];
  const errors: ScenarioError[] = [...found.errors];
  const byId = new Map<string, Scenario>();
  for (const file of found.files) {
    const result = await loadScenarioFile(file);
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    const { scenario } = result;
    const earlier = byId.get(scenario.id);
    if (earlier !== undefined) {
      const { file: otherFile, line } = earlier.location;
      errors.push({ ...scenario.location, message: `scenario id "${scenario.id}" is already used in ${otherFile}:${line}`, expected: 'a scenario id unique across the suite', found: scenario.id, path: 'id' });
      continue;
    }
    byId.set(scenario.id, scenario);
    scenarios.push(scenario);
  }
  return { scenarios, errors };
}
