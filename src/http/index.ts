export { HttpServer, type HttpServerOptions } from './http-server';
export { HttpProblem, type ProblemDetails } from './problem';
export { PROBLEM_JSON, problemMiddleware } from './problem-middleware';
export { systemRoutes } from './system-routes';
export { parseJsonBody, readJsonBody, type JsonBodyOptions } from './json-body';
export { optionalJsonObject } from './optional-json-object';
export { asProblem } from './invalid-input-problem';
export { queryInt, queryText, queryTime } from './query-params';
export { readRawBody } from './request-body';
export { servedOperations, type ServedOperation } from './served-routes';
export {
  documented,
  fragmentOf,
  jsonRequestBody,
  objectSchema,
  OpenApiDocument,
  openApiRoutes,
  PROBLEM_SCHEMA,
  problemResponse,
  textResponse,
  type OpenApiFragment,
} from './openapi';
export { TenantRateLimiter, type RateDecision, type TenantRateLimitOptions } from './rate-limit';
export { SYSTEM_API } from './system-api';
export { JSON_DEPTH_LIMIT } from './json-depth';
export { refuseUnstorableText } from './unstorable-text-problem';
export { requireUtf8 } from './utf8-body';
export { openEventStream } from './event-stream';
