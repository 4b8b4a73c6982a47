import { ServiceInstance1764000000000 } from './1764000000000-service-instance';
import { Admission1764004000001 } from './1764004000001-admission';
import { Channels1764006000001 } from './1764006000001-channels';

/** Every migration in order. Append new ones at the end; never edit one that has landed. */
export const MIGRATIONS = [ServiceInstance1764000000000, Admission1764004000001, Channels1764006000001];
