/** pino logs: JSON lines, or readable ones when stderr is a terminal. */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LogOptions {
  debug?: boolean;
  /** Write JSON to this file instead of stderr (`[DEFAULT] log_file` in `log_dir`). */
  file?: string;
  /** With `file`: also to stderr (`[DEFAULT] use_stderr`). */
  alsoStderr?: boolean;
  /** Force readable output (default: when stderr is a TTY and no file is given). */
  pretty?: boolean;
  /** Write each line before going on (default: buffered, written in the background). */
  sync?: boolean;
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.debug ? 'debug' : 'info';
  const base = { name: 'monasca-persister' };
  const sync = options.sync ?? false;
  const redact = { paths: ['password', '*.password', 'config.influxdb.password', 'saslPlainPassword', '*.saslPlainPassword', 'sasl.password'], censor: '***' };
  if (options.file) {
    const file = pino.destination({ dest: options.file, mkdir: true, sync });
    if (!options.alsoStderr) return pino({ level, base, redact }, file);
    const stderr = pino.destination({ dest: 2, sync });
    return pino({ level, base, redact }, pino.multistream([{ level, stream: file }, { level, stream: stderr }]));
  }
  const pretty = options.pretty ?? process.stderr.isTTY;
  if (pretty) {
    return pino({
      level,
      base,
      redact,
      transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' } },
    });
  }
  return pino({ level, base, redact }, pino.destination({ dest: 2, sync }));
}
