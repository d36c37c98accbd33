// A source connector that writes the numbers 1..count to a topic, one STRING record each, then waits. Its source
// offset is the last number written, so a restarted task carries on after it.
import { ConfigDef, Range, Schema, SourceConnector, SourceRecord, SourceTask } from '@ferry/api'
import pkg from './package.json' with { type: 'json' }

const PARTITION = { counter: 'numbers' }

export class CounterSourceConnector extends SourceConnector {
  static CONFIG_DEF = new ConfigDef()
    .define({ name: 'topic', type: 'STRING', importance: 'HIGH', documentation: 'The topic to write to' })
    .define({
      name: 'count',
      type: 'INT',
      defaultValue: 10,
      validator: Range.atLeast(1),
      importance: 'MEDIUM',
      documentation: 'How many numbers to write',
    })

  #props = {}

  version() {
    return pkg.version
  }

  config() {
    return CounterSourceConnector.CONFIG_DEF
  }

  start(props) {
    CounterSourceConnector.CONFIG_DEF.parse(props)
    this.#props = props
  }

  taskClass() {
    return CounterSourceTask
  }

  taskConfigs() {
    return [{ topic: this.#props.topic, count: this.#props.count ?? '10' }]
  }

  stop() {}
}

export class CounterSourceTask extends SourceTask {
  #topic = ''
  #count = 0
  #next = 1
  #stopped = false

  version() {
    return pkg.version
  }

  start(props) {
    this.#topic = props.topic
    this.#count = Number(props.count)
    const offset = this.context.offsetStorageReader().offset(PARTITION)
    if (offset) this.#next = Number(offset.last) + 1
  }

  async poll() {
    if (this.#next > this.#count) {
      // Nothing more to write: wait a little instead of spinning.
      await new Promise((resolve) => setTimeout(resolve, 100))
      return null
    }
    const records = []
    for (; this.#next <= this.#count && records.length < 100; this.#next++) {
      const value = `${this.#next}`
      records.push(
        new SourceRecord(PARTITION, { last: this.#next }, this.#topic, null, null, null, Schema.STRING_SCHEMA, value),
      )
    }
    return this.#stopped ? null : records
  }

  stop() {
    this.#stopped = true
  }
}
