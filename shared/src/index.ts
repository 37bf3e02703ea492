export * from './errors.js';
export * from './exec.js';
export * from './logger.js';
export * from './validate/domain.js';
export * from './validate/version.js';
export * from './validate/digest.js';
export * from './config/load.js';
export * from './tls/index.js';
