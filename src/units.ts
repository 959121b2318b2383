/** Unit conversions shared by the configuration and the actors. */

/** Seconds (as in the configuration file) to whole milliseconds (as timers take them). */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1000);
}
