import { importDefaultExport } from '../consumer';
import type { AnySagaDefinition } from '../saga';
import type { Topology, WorkflowSpec } from '../topology';
import { WorkflowModuleError } from './workflow-errors';

/** A workflow loaded from the module its topology entry names. */
export interface LoadedWorkflow {
  type: string;
  module: string;
  definition: AnySagaDefinition;
}

/** Whether a module's default export is a `defineSaga(...)` result. */
export function isSagaDefinition(value: unknown): value is AnySagaDefinition {
  const v = value as Partial<AnySagaDefinition> | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.type === 'string' &&
    Array.isArray(v.steps) &&
    v.steps.length > 0 &&
    v.steps.every((s) => typeof s?.name === 'string' && typeof s.retry === 'object')
  );
}

/**
 * Imports the module of one workflow entry and checks that its default export is a `defineSaga(...)`
 * result of the entry's type. Throws WorkflowModuleError: one line naming the file and what is wrong.
 */
export async function loadWorkflowModule(root: string, spec: WorkflowSpec): Promise<LoadedWorkflow> {
  let exported: unknown;
  try {
    exported = await importDefaultExport(root, spec.module, isSagaDefinition);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    throw new WorkflowModuleError(`${spec.module}: workflow "${spec.type}" could not be loaded: ${reason}`, {
      cause: err,
    });
  }
  if (!isSagaDefinition(exported)) {
    throw new WorkflowModuleError(
      `${spec.module}: workflow "${spec.type}": the default export is not a defineSaga(...) result`,
    );
  }
  if (exported.type !== spec.type) {
    throw new WorkflowModuleError(
      `${spec.module}: defines saga type "${exported.type}", but the topology loads it as "${spec.type}"`,
    );
  }
  return { type: spec.type, module: spec.module, definition: exported };
}

/** Every workflow the topology names, loaded in order (the first bad module ends the load). */
export async function loadWorkflows(
  topology: Pick<Topology, 'root' | 'workflows'>,
): Promise<LoadedWorkflow[]> {
  const loaded: LoadedWorkflow[] = [];
  for (const spec of topology.workflows) loaded.push(await loadWorkflowModule(topology.root, spec));
  return loaded;
}
