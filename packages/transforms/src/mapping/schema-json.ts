/**
 * A declared output schema, written as the `"schema"` of a JsonConverter envelope (`schemas.enable=true`):
 * `{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"at","type":"int64","optional":true,
 * "name":"org.apache.kafka.connect.data.Timestamp","version":1}]}`. The JsonConverter's parser (@ferry/api's
 * `parseEnvelopeSchema`), strict as a config should be: a key it does not know is refused rather than ignored, and
 * `default` is in the document notation of document.ts.
 */
import { ConfigException, parseEnvelopeSchema, type Schema } from '@ferry/api'
import { toSchema } from './result.ts'

/** Parses the declared schema in config key `key`; a ConfigException naming the key and what is wrong otherwise. */
export function parseSchemaJson(key: string, text: string): Schema {
  let node: unknown
  try {
    node = JSON.parse(text)
  } catch (e) {
    throw new ConfigException(key, text, `not JSON: ${(e as Error).message}`)
  }
  try {
    return parseEnvelopeSchema(node, {
      strict: true,
      defaultValue: (schema, value, where) => toSchema(value, schema, where),
    }) as Schema
  } catch (e) {
    if (e instanceof ConfigException) throw e
    throw new ConfigException(key, text, (e as Error).message)
  }
}
