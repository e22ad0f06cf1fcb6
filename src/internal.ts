/**
 * Internals shared by ringmeter's own entry points (hono, postgres, drizzle) and its tests. Not part of the
 * public API: the package's exports map does not expose this module.
 */
export { resolveOptions, readEnvironment } from './options.js';
export { Collector } from './collector.js';
