export { demoToolRoutes, demoWeather, registerDemoTools } from './demo-tools';
export { SagaRuntime, installSagaRuntime, sagaRuntimeFor, type SagaRuntimeOptions } from './saga-runtime';
export { parkingLotsOf, schedulerRole } from './scheduler-role';
