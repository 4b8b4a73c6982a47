import chai from 'chai';
import chaiAsPromised from 'chai-as-promised';
import { configureLogger } from '../src/observability';
import { runTeardowns } from './support/teardown';

chai.use(chaiAsPromised);
configureLogger({ level: process.env.WAGGLE_TEST_LOG_LEVEL ?? 'silent' });

export const mochaHooks = {
  async afterEach(): Promise<void> {
    await runTeardowns();
  },
};
