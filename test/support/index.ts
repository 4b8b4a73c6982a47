export { rawAmqp, tempQueue } from './amqp';
export { TEST_DATABASE_URL, testConfig, testEnv } from './config';
export { testDb } from './db';
export { uniqueName } from './names';
export { autoTeardown } from './teardown';
export { REPO_ROOT, spawnTs, spawnWaggle, waitForOutput, type Spawned } from './processes';
