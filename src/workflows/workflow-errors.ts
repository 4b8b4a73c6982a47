import { codedError, InvalidInputError, NonRetryableError } from '../errors';

/** A workflow module that cannot be used (missing, throws on load, exports no saga, wrong type); raised at boot. */
export class WorkflowModuleError extends codedError(NonRetryableError, 'WAGGLE_WORKFLOW_INVALID') {}

/** No workflow of that type is loaded in this process. */
export class WorkflowUnknownError extends codedError(InvalidInputError, 'WAGGLE_WORKFLOW_UNKNOWN') {}
