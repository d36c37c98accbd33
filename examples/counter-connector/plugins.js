// What this package gives Ferry: package.json's "ferry" field names this module, and Ferry reads `plugins`.
import { CounterSourceConnector } from './counter.js'

export const plugins = [
  {
    className: 'com.example.counter.CounterSourceConnector',
    kind: ['source'],
    create: () => new CounterSourceConnector(),
  },
]
