export { admissionProblem } from './admission-problems';
export { eventsApi } from './events-api';
export { eventsRoutes, type EventsRoutesDeps } from './events-routes';
