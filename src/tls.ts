/** What Node's TLS errors mean for an operator: a certificate that cannot be trusted is a setting to fix. */

/** OpenSSL's verification results, as Node reports them in `error.code`. */
const CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  type?: unknown;
  message?: unknown;
}

/** An error and its causes, outermost first (at most a few levels). */
export function* causes(error: unknown): Generator<ErrorLike> {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    yield e as ErrorLike;
    e = (e as { cause?: unknown }).cause;
  }
}

/** `CODE: message` of the certificate verification failure in an error's chain, if there is one. */
export function certificateProblem(error: unknown): string | undefined {
  for (const e of causes(error)) {
    if (typeof e.code === 'string' && CERTIFICATE_CODES.has(e.code)) return `${e.code}: ${String(e.message)}`;
  }
  return undefined;
}

/** The server does not speak TLS at all (a plain port behind an https URL). */
export function notTls(error: unknown): boolean {
  for (const e of causes(error)) {
    if (e.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || (e.code === 'EPROTO' && /wrong version number/.test(String(e.message)))) return true;
  }
  return false;
}
