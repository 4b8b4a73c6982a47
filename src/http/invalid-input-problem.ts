import { errorCode, errorKind } from '../errors';
import { HttpProblem } from './problem';

const NOT_FOUND = new Set([
  'WAGGLE_SAGA_NOT_FOUND',
  'WAGGLE_WEBHOOK_ENDPOINT_NOT_FOUND',
  'WAGGLE_PARKING_LOT_UNKNOWN',
  'WAGGLE_TOOL_NOT_FOUND',
]);
const CONFLICT = new Set(['WAGGLE_SAGA_STATE']);

/** Turns the rooms' invalid-input errors into problem+json answers (404, 409 or 400). */
export async function asProblem<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof HttpProblem || errorKind(err) !== 'invalid-input') throw err;
    const code = errorCode(err);
    const status = NOT_FOUND.has(code) ? 404 : CONFLICT.has(code) ? 409 : 400;
    const problems = (err as { problems?: string[] }).problems;
    throw new HttpProblem(
      status,
      code.replace(/^WAGGLE_/, ''),
      (err as Error).message,
      problems ? { problems } : {},
    );
  }
}
