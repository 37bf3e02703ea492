/**
 * The one import of @peculiar/x509. It resolves its ASN.1 schemas through tsyringe,
 * which needs the Reflect metadata API: the polyfill must be evaluated first, so
 * every TLS module imports x509 from here and never from the package directly.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

export { x509 };

/** Node's WebCrypto, passed explicitly so nothing depends on a global provider. */
export const webCrypto = webcrypto;
