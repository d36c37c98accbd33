/**
 * `@ferry/transforms`: Apache Kafka Connect's built-in single message transforms and predicates
 * (`org.apache.kafka.connect.transforms.*`), with Apache's class names, config keys and behaviour, and Ferry's own
 * mapping transforms (`io.ferry.transforms.Map`, `Route`, `predicates.Matches`: JSONata expressions). See
 * docs/transforms.md.
 */
import type { ConnectRecord, PluginDescriptor, Predicate, Transformation } from '@ferry/api'
import { CastKey, CastValue } from './Cast.ts'
import { DropHeaders } from './DropHeaders.ts'
import { ExtractFieldKey, ExtractFieldValue } from './ExtractField.ts'
import { Filter } from './Filter.ts'
import { FlattenKey, FlattenValue } from './Flatten.ts'
import { HeaderFromKey, HeaderFromValue } from './HeaderFrom.ts'
import { HoistFieldKey, HoistFieldValue } from './HoistField.ts'
import { InsertFieldKey, InsertFieldValue } from './InsertField.ts'
import { InsertHeader } from './InsertHeader.ts'
import { MaskFieldKey, MaskFieldValue } from './MaskField.ts'
import { FerryMap, MAP_CLASS } from './mapping/Map.ts'
import { FerryMatches, MATCHES_CLASS } from './mapping/Matches.ts'
import { FerryRoute, ROUTE_CLASS } from './mapping/Route.ts'
import { HasHeaderKey } from './predicates/HasHeaderKey.ts'
import { RecordIsTombstone } from './predicates/RecordIsTombstone.ts'
import { TopicNameMatches } from './predicates/TopicNameMatches.ts'
import { RegexRouter } from './RegexRouter.ts'
import { ReplaceFieldKey, ReplaceFieldValue } from './ReplaceField.ts'
import { SetSchemaMetadataKey, SetSchemaMetadataValue } from './SetSchemaMetadata.ts'
import { TimestampConverterKey, TimestampConverterValue } from './TimestampConverter.ts'
import { TimestampRouter } from './TimestampRouter.ts'
import { ValueToKey } from './ValueToKey.ts'

export { Cast, CastKey, CastValue } from './Cast.ts'
export { DropHeaders } from './DropHeaders.ts'
export { ExtractField, ExtractFieldKey, ExtractFieldValue } from './ExtractField.ts'
export { Filter } from './Filter.ts'
export { Flatten, FlattenKey, FlattenValue } from './Flatten.ts'
export { HeaderFrom, HeaderFromKey, HeaderFromValue } from './HeaderFrom.ts'
export { HoistField, HoistFieldKey, HoistFieldValue } from './HoistField.ts'
export { InsertField, InsertFieldKey, InsertFieldValue } from './InsertField.ts'
export { InsertHeader } from './InsertHeader.ts'
export { MaskField, MaskFieldKey, MaskFieldValue } from './MaskField.ts'
export { FerryMap } from './mapping/Map.ts'
export { FerryMatches } from './mapping/Matches.ts'
export { FerryRoute } from './mapping/Route.ts'
export { HasHeaderKey } from './predicates/HasHeaderKey.ts'
export { RecordIsTombstone } from './predicates/RecordIsTombstone.ts'
export { TopicNameMatches } from './predicates/TopicNameMatches.ts'
export { RegexRouter } from './RegexRouter.ts'
export { ReplaceField, ReplaceFieldKey, ReplaceFieldValue } from './ReplaceField.ts'
export { SetSchemaMetadata, SetSchemaMetadataKey, SetSchemaMetadataValue } from './SetSchemaMetadata.ts'
export { TimestampConverter, TimestampConverterKey, TimestampConverterValue } from './TimestampConverter.ts'
export { TimestampRouter } from './TimestampRouter.ts'
export {
  compileJavaRegex,
  JavaPatternSyntaxError,
  type JavaRegex,
  javaMatches,
  javaReplaceFirst,
  UnsupportedJavaRegexError,
} from './util/java-regex.ts'
export { SimpleDateFormat, UnsupportedDatePatternError } from './util/simple-date-format.ts'
export { ValueToKey } from './ValueToKey.ts'

const T = 'org.apache.kafka.connect.transforms.'
const P = 'org.apache.kafka.connect.transforms.predicates.'

type TransformPlugin = PluginDescriptor<Transformation<ConnectRecord> | Predicate<ConnectRecord>>

function transformation(
  className: string,
  create: () => Transformation<ConnectRecord>,
  aliases?: readonly string[],
): TransformPlugin {
  return Object.freeze({ className, kind: ['transformation'] as const, create, ...(aliases ? { aliases } : {}) })
}

function predicate(
  className: string,
  create: () => Predicate<ConnectRecord>,
  aliases?: readonly string[],
): TransformPlugin {
  return Object.freeze({ className, kind: ['predicate'] as const, create, ...(aliases ? { aliases } : {}) })
}

/** Every built-in transformation and predicate, under Apache's class names: this package's plugins. */
export const plugins: readonly TransformPlugin[] = Object.freeze([
  transformation(`${T}Cast$Key`, () => new CastKey()),
  transformation(`${T}Cast$Value`, () => new CastValue()),
  transformation(`${T}DropHeaders`, () => new DropHeaders()),
  transformation(`${T}ExtractField$Key`, () => new ExtractFieldKey()),
  transformation(`${T}ExtractField$Value`, () => new ExtractFieldValue()),
  transformation(`${T}Filter`, () => new Filter()),
  transformation(`${T}Flatten$Key`, () => new FlattenKey()),
  transformation(`${T}Flatten$Value`, () => new FlattenValue()),
  transformation(`${T}HeaderFrom$Key`, () => new HeaderFromKey()),
  transformation(`${T}HeaderFrom$Value`, () => new HeaderFromValue()),
  transformation(`${T}HoistField$Key`, () => new HoistFieldKey()),
  transformation(`${T}HoistField$Value`, () => new HoistFieldValue()),
  transformation(`${T}InsertField$Key`, () => new InsertFieldKey()),
  transformation(`${T}InsertField$Value`, () => new InsertFieldValue()),
  transformation(`${T}InsertHeader`, () => new InsertHeader()),
  transformation(`${T}MaskField$Key`, () => new MaskFieldKey()),
  transformation(`${T}MaskField$Value`, () => new MaskFieldValue()),
  transformation(`${T}RegexRouter`, () => new RegexRouter()),
  transformation(`${T}ReplaceField$Key`, () => new ReplaceFieldKey()),
  transformation(`${T}ReplaceField$Value`, () => new ReplaceFieldValue()),
  transformation(`${T}SetSchemaMetadata$Key`, () => new SetSchemaMetadataKey()),
  transformation(`${T}SetSchemaMetadata$Value`, () => new SetSchemaMetadataValue()),
  transformation(`${T}TimestampConverter$Key`, () => new TimestampConverterKey()),
  transformation(`${T}TimestampConverter$Value`, () => new TimestampConverterValue()),
  transformation(`${T}TimestampRouter`, () => new TimestampRouter()),
  transformation(`${T}ValueToKey`, () => new ValueToKey()),
  predicate(`${P}HasHeaderKey`, () => new HasHeaderKey()),
  predicate(`${P}RecordIsTombstone`, () => new RecordIsTombstone()),
  predicate(`${P}TopicNameMatches`, () => new TopicNameMatches()),
  // Ferry's own mapping transforms (JSONata), named Ferry.* as well as by their simple names.
  transformation(MAP_CLASS, () => new FerryMap(), ['Ferry.Map']),
  transformation(ROUTE_CLASS, () => new FerryRoute(), ['Ferry.Route']),
  predicate(MATCHES_CLASS, () => new FerryMatches(), ['Ferry.Matches']),
])
