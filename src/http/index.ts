export { HttpServer, type HttpServerOptions } from './http-server';
export { HttpProblem, type ProblemDetails } from './problem';
export { PROBLEM_JSON, problemMiddleware } from './problem-middleware';
export { systemRoutes } from './system-routes';
