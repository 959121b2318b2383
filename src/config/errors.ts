import { ExitCode } from '../exit-codes.js';

/** Where a configuration problem was found. `value` is already redacted for secrets. */
export interface ConfigLocation {
  file?: string;
  section?: string;
  option?: string;
  value?: string;
}

/** An invalid configuration: start-up stops with exit status 78 (EX_CONFIG). */
export class ConfigError extends Error {
  readonly exitCode: ExitCode = ExitCode.CONFIG;
  file?: string;
  section?: string;
  option?: string;
  value?: string;

  constructor(message: string, where: ConfigLocation = {}) {
    super(message);
    this.name = 'ConfigError';
    this.file = where.file;
    this.section = where.section;
    this.option = where.option;
    this.value = where.value;
  }
}

/** Several problems of a configuration, each a ConfigError; the message has one line for each. */
export class ConfigProblems extends ConfigError {
  constructor(readonly problems: readonly ConfigError[]) {
    super(problems.map((p) => p.message).join('\n'), problems[0]);
    this.name = 'ConfigProblems';
  }
}

/** A bad command line: exit status 64 (EX_USAGE). */
export class UsageError extends ConfigError {
  override readonly exitCode: ExitCode = ExitCode.USAGE;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const REDACTED = '***';
