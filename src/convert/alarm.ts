/** Alarm state transition message -> one `alarm_state_history` line, as the reference writes it. */
import { escapeTag, quoteStringField, storableTime, unstorableTag } from './line.js';
import { findValue, NotRepresentable, redump } from './pyjson.js';
import { type Json, pyFalsy, pyInt, pyStr } from './python.js';
import { type Conversion, dropped, field, isObject, storableText } from './message.js';

// The reference renames these keys in the JSON text of subAlarms, wherever they occur.
const SNAKE_CASE_KEYS: [RegExp, string][] = [
  ['subAlarmExpression', 'sub_alarm_expression'],
  ['currentValues', 'current_values'],
  ['metricDefinition', 'metric_definition'],
  ['subAlarmState', 'sub_alarm_state'],
].map(([from, to]) => [new RegExp(`"${from}":`, 'g'), `"${to}":`]);

function subAlarmsText(subAlarms: Json | undefined, text: string): string {
  if (pyFalsy(subAlarms)) return '[]';
  let json = redump(text, findValue(text, ['alarm-transitioned', 'subAlarms']));
  for (const [from, to] of SNAKE_CASE_KEYS) json = json.replace(from, to);
  return json;
}

const TEXT_FIELDS = ['alarmId', 'newState', 'oldState', 'stateChangeReason'] as const;

/** `text` is the message's JSON text: the JSON-text fields are made from it as Python would write them. */
export function toAlarmPoint(message: Json, text: string): Conversion {
  if (!isObject(message)) return dropped('message is not a JSON object');
  const t = message['alarm-transitioned'];
  if (!isObject(t)) return dropped('alarm-transitioned is missing or not an object');
  const tenantId = field(t, 'tenantId', 'alarm-transitioned');
  if (typeof tenantId !== 'string') return tenantId;
  const values: Record<string, string> = {};
  for (const key of TEXT_FIELDS) {
    const v = field(t, key, 'alarm-transitioned');
    if (typeof v !== 'string') return v;
    values[key] = v;
  }
  if (!('metrics' in t)) return dropped('alarm-transitioned.metrics is missing');
  if (!('subAlarms' in t)) return dropped('alarm-transitioned.subAlarms is missing');
  if (!('timestamp' in t)) return dropped('alarm-transitioned.timestamp is missing');
  const time = pyInt(t.timestamp);
  if (time === undefined) return dropped(`alarm-transitioned.timestamp is not an integer: ${JSON.stringify(t.timestamp)}`);
  if (!storableTime(time)) return dropped(`alarm-transitioned.timestamp ${time} is outside the range InfluxDB can store`);
  let metricsText: string;
  let subAlarms: string;
  try {
    metricsText = redump(text, findValue(text, ['alarm-transitioned', 'metrics']));
    subAlarms = subAlarmsText(t.subAlarms, text);
  } catch (err) {
    if (err instanceof NotRepresentable) return dropped(`alarm-transitioned: ${err.message}`);
    throw err;
  }
  const tenantProblem = unstorableTag(tenantId);
  if (tenantProblem) return dropped(`alarm-transitioned.tenantId ${tenantProblem}`);

  const optional = (v: Json | undefined) => (v === undefined || v === null ? '' : pyStr(v));
  const fields = [
    `tenant_id=${quoteStringField(tenantId)}`,
    `alarm_id=${quoteStringField(values.alarmId)}`,
    `metrics=${quoteStringField(metricsText)}`,
    `new_state=${quoteStringField(values.newState)}`,
    `old_state=${quoteStringField(values.oldState)}`,
    `link=${quoteStringField(optional(t.link))}`,
    `lifecycle_state=${quoteStringField(optional(t.lifecycleState))}`,
    `reason=${quoteStringField(values.stateChangeReason)}`,
    `reason_data=${quoteStringField('{}')}`,
    `sub_alarms=${quoteStringField(subAlarms)}`,
  ];
  return storableText(`alarm_state_history,tenant_id=${escapeTag(tenantId)} ${fields.join(',')} ${time}`, tenantId);
}
