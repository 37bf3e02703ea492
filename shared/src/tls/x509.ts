/**
 * The one import of @peculiar/x509. It resolves its ASN.1 schemas through tsyringe,
 * which needs the Reflect metadata API: the polyfill must be evaluated first, so
 * every TLS module gets x509 through here and never from the package directly.
 * Library code loads it with `loadX509()` (x509-loader.ts), on first use only.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export { x509 };
export { webCrypto } from './keys.js';
