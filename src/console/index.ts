export { consoleRoutes, type ConsoleRoutesDeps } from './console-routes';
export { escapeHtml } from './console-page';
