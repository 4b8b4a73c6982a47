export { ConfigError } from './config-error';
export { DURATION_PATTERN, formatDuration, isDuration, parseDuration } from './duration';
export { hidePasswords } from './hide-passwords';
export { nodeUrls } from './node-urls';
export { describeConfig, loadConfig, variablesMarkdown, type WaggleConfig } from './load-config';
export { VARIABLES, type VariableSpec } from './variables';
