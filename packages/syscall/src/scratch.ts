import { addressOf, BPF_ATTR_ROOM, isLittleEndianHost, nativeBuffer } from './attr.js';
import { getBackend } from './backend.js';
import { mapElemAttr } from './generated/attr.js';

/**
 * Reused buffers for single-element map calls: an attr, a key and a value area whose
 * native addresses are resolved and written once (per backend), so a lookup or update
 * costs one syscall plus small copies, with no allocation. Safe because JavaScript runs
 * one call at a time per thread.
 */
class ElementScratch {
  readonly attr = nativeBuffer(BPF_ATTR_ROOM);
  private readonly view = new DataView(this.attr.buffer);
  private key = nativeBuffer(0);
  private value = nativeBuffer(0);
  private owner: unknown;
  private keyInAttr = false;

  /**
   * Grows the key and value areas to at least `keySize` and `valueSize` bytes (callers pass
   * `keyBufferSize` and `valueBufferSize`) and writes the attr for `mapFd`; returns both areas.
   */
  prepare(mapFd: number, keySize: number, valueSize: number, flags: number): { key: Uint8Array; value: Uint8Array } {
    const le = isLittleEndianHost;
    const current = getBackend();
    if (this.owner !== current || keySize > this.key.length || valueSize > this.value.length) {
      this.key = nativeBuffer(Math.max(keySize, this.key.length, 64));
      this.value = nativeBuffer(Math.max(valueSize, this.value.length, 64));
      this.view.setBigUint64(mapElemAttr.key, addressOf(this.key), le);
      this.view.setBigUint64(mapElemAttr.value, addressOf(this.value), le);
      this.owner = current;
      this.keyInAttr = true;
    }
    // Queues and stacks take no key: the key pointer must then be NULL.
    if ((keySize === 0) === this.keyInAttr) {
      this.view.setBigUint64(mapElemAttr.key, keySize === 0 ? 0n : addressOf(this.key), le);
      this.keyInAttr = keySize !== 0;
    }
    this.view.setUint32(mapElemAttr.map_fd, mapFd, le);
    // The low half of the 64-bit flags.
    this.view.setUint32(le ? mapElemAttr.flags : mapElemAttr.flags + 4, flags >>> 0, le);
    return { key: this.key, value: this.value };
  }
}

/** The per-thread scratch for element calls. */
export const elementScratch = new ElementScratch();
