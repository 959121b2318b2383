/** Generators of Kafka message values for the property-based tests of the converter (fast-check). */
import fc from 'fast-check';

/** Characters that mean something to JSON, line protocol or InfluxDB, among ordinary ones. */
const SPECIAL = [' ', ',', '=', '"', '\\', '\n', '\r', '\t', '#', '{', '}', '\u0000', 'é', '😀', '\ud800', 'time', 'value'];

/** Texts mostly ordinary, often with special characters, sometimes empty or a lone surrogate. */
export const text = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', '.', '-', '_', ...SPECIAL), maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);

const timestamp = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1_500_000_000_000, max: 1_900_000_000_000 }) },
  { weight: 1, arbitrary: fc.maxSafeInteger() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 9_223_372_036_854, 9_223_372_036_855, -9_223_372_036_854) },
);

const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.string(), fc.boolean(), fc.constant('NaN')) },
);

/** A metric message of the usual shape with unusual parts (and now and then a part missing). */
export const metricMessage = fc
  .record(
    {
      metric: fc.record(
        {
          name: text,
          dimensions: fc.oneof({ weight: 5, arbitrary: fc.dictionary(text, text, { maxKeys: 6 }) }, { weight: 1, arbitrary: fc.constant(null) }),
          timestamp,
          value,
          value_meta: fc.oneof(fc.constant(null), fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })),
        },
        { requiredKeys: ['name', 'timestamp', 'value'] },
      ),
      meta: fc.record({ tenantId: text, region: text }),
      creation_time: fc.integer({ min: 0 }),
    },
    { requiredKeys: ['metric', 'meta'] },
  )
  .map((m) => JSON.stringify(m));

/** An alarm state transition of the usual shape with unusual parts. */
export const alarmMessage = fc
  .record({
    'alarm-transitioned': fc.record(
      {
        tenantId: text,
        alarmId: text,
        alarmDefinitionId: text,
        metrics: fc.array(fc.record({ name: text, dimensions: fc.dictionary(text, text, { maxKeys: 3 }) }), { maxLength: 3 }),
        newState: fc.constantFrom('ALARM', 'OK', 'UNDETERMINED'),
        oldState: fc.constantFrom('ALARM', 'OK', 'UNDETERMINED'),
        link: fc.oneof(fc.constant(null), text),
        lifecycleState: fc.oneof(fc.constant(null), text),
        stateChangeReason: text,
        subAlarms: fc.oneof(fc.constant(null), fc.array(fc.record({ subAlarmExpression: fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }), subAlarmState: text, currentValues: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 3 }) }), { maxLength: 2 })),
        timestamp,
      },
      { requiredKeys: ['tenantId', 'alarmId', 'newState', 'oldState', 'stateChangeReason', 'timestamp'] },
    ),
  })
  .map((m) => JSON.stringify(m));
