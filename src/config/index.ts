export { ConfigError, ConfigProblems, UsageError, type ConfigLocation } from './errors.js';
export type { DeadLetterConfig, InfluxConfig, MonitoringConfig, PersisterConfig, RepositoriesConfig, SupervisorConfig, TopicConfig, TopicSection } from './types.js';
export { parseArgs, resolveConfigFiles, USAGE, type ParsedArgs, type SearchEnv } from './args.js';
export { loadConfig, loadEffectiveConfig, redactedConfig, type EffectiveOptions } from './load.js';
export { formatIni } from './print.js';
export { SCHEMA, SUPPORTED_DRIVERS, type OptionSpec, type OptionType, type SectionSpec } from './schema.js';
