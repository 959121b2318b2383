/**
 * systemd's notify protocol (`Type=notify`, `WatchdogSec=`): READY=1 once every consumer has
 * joined its group, WATCHDOG=1 while the actors make progress, STOPPING=1 when a stop begins, and
 * STATUS= lines that `systemctl status` shows. Outside systemd (no NOTIFY_SOCKET) it does nothing.
 *
 * The notify socket is a Unix datagram socket, which Node.js cannot open without a native module;
 * each message is sent by systemd's own `systemd-notify`, which waits until systemd has processed
 * it (so that the message is counted as the service's even though the sender is a child process).
 * The unit needs `NotifyAccess=all` for that (etc/monasca-persister.service).
 *
 * Progress, for the watchdog: the supervisor received an event within the watchdog period. Each
 * pipeline reports Kafka contact to it every second while a broker answers, so a wedged event loop
 * (no timer runs) or a supervisor that stopped hearing from its pipelines stops the pings, and
 * systemd kills and restarts the process. Kafka out of reach for longer is the supervisor's to
 * decide (`kafka_loss_grace_seconds`): keep WatchdogSec above it.
 */
import { spawn } from 'node:child_process';
import type { Logger } from './log.js';
import type { SupervisorState } from './monitor.js';

export interface NotifyTarget {
  /** The supervisor's state changes, as the monitor follows them. */
  onSupervisorState(listener: (state: SupervisorState, reason?: string) => void): void;
  /** When the supervisor last received an event (performance.now()). */
  lastSupervisorEvent(): number;
}

export interface SystemdNotifier {
  /** Stops the watchdog's timer. */
  close(): void;
}

/** Sends `assignments` (`READY=1`...) to systemd; undefined outside systemd. */
export type Send = (assignments: string[]) => void;

function systemdNotify(log: Logger): Send {
  let warned = false;
  return (assignments) => {
    const child = spawn('systemd-notify', assignments, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const fail = (why: string) => {
      if (warned) return;
      warned = true;
      log.warn({ assignments, why }, 'cannot notify systemd (is systemd-notify installed, and NotifyAccess=all set?); the service may be taken for not started or hung');
    };
    child.on('error', (err) => fail(err.message));
    child.on('exit', (code) => {
      if (code !== 0) fail(`systemd-notify exited ${code}: ${stderr.trim()}`);
    });
  };
}

/**
 * Notifies systemd of the daemon's life when run by it (`env.NOTIFY_SOCKET` set); `send` replaces
 * systemd-notify in tests.
 */
export function notifySystemd(target: NotifyTarget, log: Logger, env: NodeJS.ProcessEnv = process.env, send?: Send): SystemdNotifier | undefined {
  if (!env.NOTIFY_SOCKET) return undefined;
  const notify = send ?? systemdNotify(log);
  let ready = false;
  let stopping = false;
  target.onSupervisorState((state, reason) => {
    const status = `STATUS=${state}${reason ? `: ${reason}` : ''}`;
    if (state === 'running' && !ready) {
      ready = true;
      notify(['READY=1', status]);
    } else if (state === 'stopping' && !stopping) {
      stopping = true;
      notify(['STOPPING=1', status]);
    } else notify([status]);
  });

  // WATCHDOG_USEC is set when the unit has WatchdogSec=; WATCHDOG_PID, when set, names the process meant.
  const usec = Number(env.WATCHDOG_USEC);
  const forMe = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  if (!(usec > 0) || !forMe) return { close: () => {} };
  const periodMs = usec / 1000;
  let stalled = false;
  const timer = setInterval(() => {
    const progressed = performance.now() - target.lastSupervisorEvent() < periodMs;
    if (progressed) notify(['WATCHDOG=1']);
    else if (!stalled) log.warn({ periodMs }, 'no progress of the supervisor within the watchdog period: the systemd watchdog is not pinged');
    stalled = !progressed;
  }, periodMs / 2);
  timer.unref();
  log.info({ watchdogMs: periodMs }, 'systemd notify: watchdog on');
  return { close: () => clearInterval(timer) };
}
