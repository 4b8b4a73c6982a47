import path from 'node:path';
import { REPO_ROOT, spawnProcess, waitForOutput, type Spawned } from '../../support';

export const PYTHON_AGENT = path.join(REPO_ROOT, 'examples/agents/python/agent.py');

/** The example Python agent, running; killed after the test. */
export interface PythonAgent extends Spawned {
  /** Where it takes turns. */
  url: string;
}

/** Starts `examples/agents/python/agent.py` on a free port with `secret`; resolves once it listens. */
export async function startPythonAgent(
  secret: string,
  options: { thinkSeconds: number; wordDelaySeconds: number },
): Promise<PythonAgent> {
  const agent = spawnProcess(
    'python3',
    [
      '-u',
      PYTHON_AGENT,
      '--port',
      '0',
      '--think',
      String(options.thinkSeconds),
      '--word-delay',
      String(options.wordDelaySeconds),
    ],
    { ...(process.env as Record<string, string>), WAGGLE_AGENT_SECRET: secret },
  );
  const [, url] = await waitForOutput(agent, /listening on (http:\/\/\S+)/);
  return { ...agent, url: `${url}/turns` };
}
