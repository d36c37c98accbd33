/**
 * Test helpers for the schema registry converters: an in-memory registry that records its calls, and `settled`, which
 * runs a converter call as the runtime does (waiting whenever it throws PendingException, then calling again).
 */
import { PendingException } from '@ferry/api'
import { RestClientException } from '../../src/schema-registry/rest-service.ts'
import type {
  RegistrySchema,
  SchemaMetadata,
  SchemaRegistryClient,
} from '../../src/schema-registry/schema-registry-client.ts'

export class FakeRegistry implements SchemaRegistryClient {
  readonly calls: string[] = []
  readonly schemas: RegistrySchema[] = []
  readonly subjects = new Map<string, number[]>()

  #idOf(schema: RegistrySchema): number {
    let id = this.schemas.findIndex((s) => s.schema === schema.schema && s.schemaType === schema.schemaType)
    if (id < 0) id = this.schemas.push({ ...schema }) - 1
    return id + 1
  }

  async register(subject: string, schema: RegistrySchema): Promise<number> {
    this.calls.push(`register ${subject}`)
    const id = this.#idOf(schema)
    const versions = this.subjects.get(subject) ?? []
    if (!versions.includes(id)) versions.push(id)
    this.subjects.set(subject, versions)
    return id
  }

  async getId(subject: string, schema: RegistrySchema): Promise<number> {
    this.calls.push(`getId ${subject}`)
    const id = this.schemas.findIndex((s) => s.schema === schema.schema) + 1
    if (id === 0 || !this.subjects.get(subject)?.includes(id))
      throw new RestClientException('Schema not found', 404, 40403)
    return id
  }

  async getVersion(subject: string, schema: RegistrySchema): Promise<number> {
    this.calls.push(`getVersion ${subject}`)
    const id = this.schemas.findIndex((s) => s.schema === schema.schema) + 1
    const version = (this.subjects.get(subject) ?? []).indexOf(id) + 1
    if (version === 0) throw new RestClientException('Schema not found', 404, 40403)
    return version
  }

  async getSchemaById(id: number): Promise<RegistrySchema> {
    this.calls.push(`getSchemaById ${id}`)
    const schema = this.schemas[id - 1]
    if (schema === undefined) throw new RestClientException('Schema not found', 404, 40403)
    return schema
  }

  async getLatestSchemaMetadata(subject: string): Promise<SchemaMetadata> {
    this.calls.push(`getLatest ${subject}`)
    const versions = this.subjects.get(subject)
    const id = versions?.[versions.length - 1]
    if (versions === undefined || id === undefined) throw new RestClientException('Subject not found', 404, 40401)
    return { ...(this.schemas[id - 1] as RegistrySchema), id, version: versions.length, subject }
  }

  async getSchemaMetadata(subject: string, version: number): Promise<SchemaMetadata> {
    this.calls.push(`getSchemaMetadata ${subject} ${version}`)
    const id = this.subjects.get(subject)?.[version - 1]
    if (id === undefined) throw new RestClientException('Version not found', 404, 40402)
    return { ...(this.schemas[id - 1] as RegistrySchema), id, version, subject }
  }

  close(): void {}
}

/** Runs a converter call, waiting whenever it has to fetch a schema first (as the runtime does). */
export async function settled<T>(call: () => T): Promise<T> {
  for (;;) {
    try {
      return call()
    } catch (e) {
      if (!(e instanceof PendingException)) throw e
      await e.ready
    }
  }
}
