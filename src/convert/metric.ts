/** Metric message -> one line of line protocol, as the reference persister writes it. */
import { compareCodePoints, escapeTag, quoteStringField, storableTime, unstorableName, unstorableTag, unstorableTagKey } from './line.js';
import { findValue, NotRepresentable, pyNumberLiteral, redump } from './pyjson.js';
import { type Json, pyFalsy, pyFloat, pyFloatRepr, pyInt, pyStr } from './python.js';
import { type Conversion, dropped, field, isObject, storableText } from './message.js';

/** `text` is the message's JSON text: a few values are printed from it as Python would print them. */
export function toMetricPoint(message: Json, text: string): Conversion {
  if (!isObject(message)) return dropped('message is not a JSON object');
  const metric = message.metric;
  const meta = message.meta;
  if (!isObject(metric)) return dropped('metric is missing or not an object');
  if (!isObject(meta)) return dropped('meta is missing or not an object');
  const name = field(metric, 'name', 'metric');
  if (typeof name !== 'string') return name;
  const tenantId = field(meta, 'tenantId', 'meta');
  if (typeof tenantId !== 'string') return tenantId;
  const region = field(meta, 'region', 'meta');
  if (typeof region !== 'string') return region;
  if (!('timestamp' in metric)) return dropped('metric.timestamp is missing');
  if (!('value' in metric)) return dropped('metric.value is missing');

  const value = pyFloat(metric.value);
  if (value === undefined) return dropped(`metric.value is not a number: ${JSON.stringify(metric.value)}`);
  if (!Number.isFinite(value)) return dropped(`metric.value is ${pyFloatRepr(value)}, which InfluxDB cannot store`);
  const time = pyInt(metric.timestamp);
  if (time === undefined) return dropped(`metric.timestamp is not an integer: ${JSON.stringify(metric.timestamp)}`);
  if (!storableTime(time)) return dropped(`metric.timestamp ${time} is outside the range InfluxDB can store`);

  const dims = 'dimensions' in metric ? metric.dimensions : {};
  if (!isObject(dims)) return dropped('metric.dimensions is not an object');
  const tags: Record<string, string> = {};
  for (const key in dims) {
    const v = dims[key];
    // A number prints as its JSON literal does in Python (`1.0` stays `1.0`).
    tags[key] = typeof v === 'number' ? pyNumberLiteral(literalAt(text, ['metric', 'dimensions', key])) : pyStr(v);
  }
  tags._tenant_id = tenantId;
  tags._region = region;

  const nameProblem = unstorableName(name);
  if (nameProblem) return dropped(`metric.name ${nameProblem}`);
  let series = escapeTag(name);
  for (const key of Object.keys(tags).sort(compareCodePoints)) {
    const val = tags[key];
    const problem = unstorableTagKey(key) && `dimension name ${JSON.stringify(key)} ${unstorableTagKey(key)}`
      || (unstorableTag(val) && `dimension ${JSON.stringify(key)} value ${unstorableTag(val)}`);
    if (problem) return dropped(problem);
    series += `,${escapeTag(key)}=${escapeTag(val)}`;
  }

  let valueMetaText = '{}';
  if (!pyFalsy(metric.value_meta)) {
    try {
      valueMetaText = redump(text, findValue(text, ['metric', 'value_meta']));
    } catch (err) {
      if (err instanceof NotRepresentable) return dropped(`metric.value_meta: ${err.message}`);
      throw err;
    }
  }
  // A JSON integer 0 or -0 is the float 0.0 in Python; JSON.parse makes -0 of `-0`.
  const valueText = value === 0 && typeof metric.value === 'number' ? zeroText(text) : pyFloatRepr(value);
  return storableText(`${series} value=${valueText},value_meta=${quoteStringField(valueMetaText)} ${time}`, tenantId);
}

/** A JSON number's text from where it starts, however long. */
const NUMBER_TEXT = /[-+.\deE]+/y;

function literalAt(text: string, path: string[]): string {
  const start = findValue(text, path);
  NUMBER_TEXT.lastIndex = start;
  return NUMBER_TEXT.exec(text)![0];
}

function zeroText(text: string): string {
  const literal = literalAt(text, ['metric', 'value']);
  return /[.eE]/.test(literal) ? pyNumberLiteral(literal) : '0.0';
}
