/** Raised when the environment does not describe a runnable waggle; `message` holds one line per problem. */
export class ConfigError extends Error {
  readonly code = 'WAGGLE_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}
