/** The version every plugin in this package reports. */
export const VERSION = '0.1.0'
/** The Debezium release whose record shapes this package reproduces (the `source.version` field says Ferry's). */
export const DEBEZIUM_VERSION = '3.6.1.Final'
