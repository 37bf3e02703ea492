/** Public entry point of the controller package. */
export * from './db/index.js';
