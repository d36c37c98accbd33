/** The version every plugin in this package reports. */
export const VERSION = '0.1.0'
