import { addressOf, isLittleEndianHost, nativeBuffer } from './attr.js';
import { backend } from './backend.js';

/**
 * Reused buffers for single-element map calls: an attr, a key and a value area whose
 * native addresses are resolved once (per backend), so a lookup or update costs one
 * syscall plus small copies. Safe because JavaScript runs one call at a time per thread.
 */
class ElementScratch {
  readonly attr = nativeBuffer(32);
  readonly view = new DataView(this.attr.buffer);
  private key = nativeBuffer(0);
  private value = nativeBuffer(0);
  private keyAddress = 0n;
  private valueAddress = 0n;
  private owner: unknown;

  /** Sizes the key and value areas and writes the attr for `mapFd`; returns both areas. */
  prepare(mapFd: number, keySize: number, valueSize: number, flags: number): { key: Uint8Array; value: Uint8Array } {
    const current = backend();
    if (this.owner !== current || keySize > this.key.length || valueSize > this.value.length) {
      this.key = nativeBuffer(Math.max(keySize, this.key.length, 64));
      this.value = nativeBuffer(Math.max(valueSize, this.value.length, 64));
      this.keyAddress = addressOf(this.key);
      this.valueAddress = addressOf(this.value);
      this.owner = current;
    }
    const le = isLittleEndianHost;
    this.view.setUint32(0, mapFd, le);
    this.view.setUint32(4, 0, le);
    this.view.setBigUint64(8, keySize === 0 ? 0n : this.keyAddress, le);
    this.view.setBigUint64(16, this.valueAddress, le);
    this.view.setBigUint64(24, BigInt(flags), le);
    return { key: this.key, value: this.value };
  }
}

/** The per-thread scratch for element calls. */
export const elementScratch = new ElementScratch();
