/**
 * Apache's `org.apache.kafka.connect.transforms.ReplaceField`: keeps (`include`) or drops (`exclude`, which wins)
 * top-level fields and renames them (`renames=old:new,...`). A null key/value passes through.
 */
import {
  ConfigDef,
  ConfigException,
  type ConnectRecord,
  type Field,
  LambdaValidator,
  type Schema,
  SchemaBuilder,
  Struct,
  type Transformation,
} from '@ferry/api'
import {
  AnyNonDuplicateValues,
  REPLACE_NULL_WITH_DEFAULT_CONFIG,
  REPLACE_NULL_WITH_DEFAULT_DOC,
  simpleConfig,
} from './util/config.ts'
import { javaSplit } from './util/java.ts'
import { emptyLike, mapEntries, mapSet } from './util/maps.ts'
import { newRecordWith, operatingSchema, operatingValue, type Side } from './util/operating.ts'
import { requireMap, requireStruct } from './util/requirements.ts'
import { copySchemaBasics, SchemaCache } from './util/schema-util.ts'

/** The updated schema of one value schema, and the value field each of its fields comes from. */
interface ReplacePlan {
  schema: Schema
  to: readonly Field[]
  from: Array<Field | null>
}

export const REPLACE_FIELD_OVERVIEW_DOC =
  'Filter or rename fields.<p/>Use the concrete transformation type designed for the record key (<code>org.apache.kafka.connect.transforms.ReplaceField$Key</code>) or value (<code>org.apache.kafka.connect.transforms.ReplaceField$Value</code>).'

const EXCLUDE = 'exclude'
const INCLUDE = 'include'
const RENAMES = 'renames'
const PURPOSE = 'field replacement'

/** Apache's `parseRenameMappings`. */
export function parseRenameMappings(mappings: readonly string[]): Map<string, string> {
  const m = new Map<string, string>()
  for (const mapping of mappings) {
    const parts = javaSplit(mapping, ':')
    if (parts.length !== 2) throw new ConfigException(RENAMES, mappings, `Invalid rename mapping: ${mapping}`)
    m.set(parts[0]!, parts[1]!)
  }
  return m
}

export const REPLACE_FIELD_CONFIG_DEF: ConfigDef = new ConfigDef()
  .define({
    name: EXCLUDE,
    type: 'LIST',
    defaultValue: [],
    validator: AnyNonDuplicateValues.of(true, false),
    importance: 'MEDIUM',
    documentation: 'Fields to exclude. This takes precedence over the fields to include.',
  })
  .define({
    name: INCLUDE,
    type: 'LIST',
    defaultValue: [],
    validator: AnyNonDuplicateValues.of(true, false),
    importance: 'MEDIUM',
    documentation: 'Fields to include. If specified, only these fields will be used.',
  })
  .define({
    name: RENAMES,
    type: 'LIST',
    defaultValue: [],
    validator: LambdaValidator.with(
      (_name, value) => {
        parseRenameMappings(value as string[])
      },
      () => 'list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>',
    ),
    importance: 'MEDIUM',
    documentation: 'Field rename mappings.',
  })
  .define({
    name: REPLACE_NULL_WITH_DEFAULT_CONFIG,
    type: 'BOOLEAN',
    defaultValue: true,
    importance: 'MEDIUM',
    documentation: REPLACE_NULL_WITH_DEFAULT_DOC,
  })

/** The shared implementation; use `ReplaceFieldKey` or `ReplaceFieldValue`. */
export abstract class ReplaceField<R extends ConnectRecord = ConnectRecord> implements Transformation<R> {
  static readonly OVERVIEW_DOC = REPLACE_FIELD_OVERVIEW_DOC
  static readonly CONFIG_DEF = REPLACE_FIELD_CONFIG_DEF

  protected abstract readonly side: Side
  private exclude: Set<string> = new Set()
  private include: Set<string> = new Set()
  private renames: Map<string, string> = new Map()
  private reverseRenames: Map<string, string> = new Map()
  private replaceNullWithDefault = true
  private schemaUpdateCache = new SchemaCache<ReplacePlan>()

  configure(props: Record<string, unknown>): void {
    const config = simpleConfig(REPLACE_FIELD_CONFIG_DEF, props)
    this.exclude = new Set(config.getList(EXCLUDE)!)
    this.include = new Set(config.getList(INCLUDE)!)
    this.renames = parseRenameMappings(config.getList(RENAMES)!)
    this.reverseRenames = new Map()
    for (const [k, v] of this.renames) this.reverseRenames.set(v, k)
    this.replaceNullWithDefault = config.getBoolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)!
    this.schemaUpdateCache = new SchemaCache<ReplacePlan>()
  }

  private filter(fieldName: string): boolean {
    return !this.exclude.has(fieldName) && (this.include.size === 0 || this.include.has(fieldName))
  }

  private renamed(fieldName: string): string {
    return this.renames.get(fieldName) ?? fieldName
  }

  private reverseRenamed(fieldName: string): string {
    return this.reverseRenames.get(fieldName) ?? fieldName
  }

  apply(record: R): R {
    if (operatingValue(record, this.side) == null) return record
    if (operatingSchema(record, this.side) == null) return this.applySchemaless(record)
    return this.applyWithSchema(record)
  }

  config(): ConfigDef {
    return REPLACE_FIELD_CONFIG_DEF
  }

  close(): void {
    this.schemaUpdateCache = new SchemaCache<ReplacePlan>()
  }

  private applySchemaless(record: R): R {
    const value = requireMap(operatingValue(record, this.side), PURPOSE)
    const updated = emptyLike(value)
    for (const [key, fieldValue] of mapEntries(value)) {
      const fieldName = key as string
      if (this.filter(fieldName)) mapSet(updated, this.renamed(fieldName), fieldValue)
    }
    return newRecordWith(record, this.side, null, updated)
  }

  private applyWithSchema(record: R): R {
    const value = requireStruct(operatingValue(record, this.side), PURPOSE)
    let plan = this.schemaUpdateCache.get(value.schema)
    if (plan === undefined) {
      const schema = this.makeUpdatedSchema(value.schema)
      const to = schema.fields()
      // The value's field each updated field comes from (null: none, the lookup by name throws as Apache's does).
      const from = to.map((f) => value.schema.field(this.reverseRenamed(f.name)))
      plan = { schema, to, from }
      this.schemaUpdateCache.put(value.schema, plan)
    }
    const updated = new Struct(plan.schema)
    const { to, from } = plan
    for (let i = 0; i < to.length; i++) {
      const original = from[i] ?? this.reverseRenamed(to[i]!.name)
      updated.put(to[i]!, this.replaceNullWithDefault ? value.get(original) : value.getWithoutDefault(original))
    }
    return newRecordWith(record, this.side, plan.schema, updated)
  }

  private makeUpdatedSchema(schema: Schema): Schema {
    const builder = copySchemaBasics(schema, SchemaBuilder.struct())
    for (const field of schema.fields()) {
      if (this.filter(field.name)) builder.field(this.renamed(field.name), field.schema)
    }
    return builder.build()
  }
}

/** `org.apache.kafka.connect.transforms.ReplaceField$Key`. */
export class ReplaceFieldKey<R extends ConnectRecord = ConnectRecord> extends ReplaceField<R> {
  protected readonly side = 'key'
}

/** `org.apache.kafka.connect.transforms.ReplaceField$Value`. */
export class ReplaceFieldValue<R extends ConnectRecord = ConnectRecord> extends ReplaceField<R> {
  protected readonly side = 'value'
}
