// snappyjs ships no type declarations; these are the functions used.
declare module 'snappyjs' {
  /** Raw (unframed) Snappy data -> the bytes it holds. */
  export function uncompress<T extends ArrayBuffer | Uint8Array>(compressed: T): T;
  /** Raw Snappy compression (tests make frames with it). */
  export function compress<T extends ArrayBuffer | Uint8Array>(data: T): T;
}
