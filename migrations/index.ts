import { ServiceInstance1764000000000 } from './1764000000000-service-instance';

/** Every migration in order. Append new ones at the end; never edit one that has landed. */
export const MIGRATIONS = [ServiceInstance1764000000000];
