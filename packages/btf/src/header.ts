import { BtfError } from './errors.js';

/** `BTF_MAGIC`, read in the file's byte order. */
export const BTF_MAGIC = 0xeb9f;
/** Size of `struct btf_header` as written by every current producer. */
export const BTF_HEADER_SIZE = 24;

/** The decoded `struct btf_header`. */
export interface BtfHeader {
  /** True when the blob is little-endian (decided by the magic). */
  readonly littleEndian: boolean;
  /** `version`, always 1. */
  readonly version: number;
  /** `flags`, always 0 today. */
  readonly flags: number;
  /** `hdr_len`: where the sections' offsets count from. */
  readonly headerLength: number;
  /** `type_off`, relative to the end of the header. */
  readonly typeOffset: number;
  /** `type_len`. */
  readonly typeLength: number;
  /** `str_off`, relative to the end of the header. */
  readonly stringOffset: number;
  /** `str_len`. */
  readonly stringLength: number;
}

/** Reads the BTF header; the magic decides the byte order. */
export function readBtfHeader(bytes: Uint8Array, object: string | undefined): BtfHeader {
  const where = object === undefined ? {} : { object };
  const fail = (code: BtfError['code'], problem: string, context: BtfError['context']): never => {
    throw new BtfError(code, problem, { ...where, section: '.BTF', ...context });
  };
  if (bytes.byteLength < BTF_HEADER_SIZE) {
    fail('truncated', 'shorter than the 24-byte BTF header', {
      offset: 0,
      expected: `at least ${BTF_HEADER_SIZE} bytes`,
      actual: `${bytes.byteLength} bytes`,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = view.getUint16(0, true);
  const littleEndian = magicLe === BTF_MAGIC;
  if (!littleEndian && view.getUint16(0, false) !== BTF_MAGIC) {
    fail('bad-magic', 'not BTF', {
      field: 'magic',
      offset: 0,
      expected: '0xeb9f',
      actual: `0x${magicLe.toString(16)}`,
    });
  }
  const header: BtfHeader = {
    littleEndian,
    version: view.getUint8(2),
    flags: view.getUint8(3),
    headerLength: view.getUint32(4, littleEndian),
    typeOffset: view.getUint32(8, littleEndian),
    typeLength: view.getUint32(12, littleEndian),
    stringOffset: view.getUint32(16, littleEndian),
    stringLength: view.getUint32(20, littleEndian),
  };
  if (header.version !== 1) {
    fail('bad-version', 'unknown BTF version', { field: 'version', offset: 2, expected: 1, actual: header.version });
  }
  if (header.headerLength < BTF_HEADER_SIZE || header.headerLength > bytes.byteLength) {
    fail('bad-header', 'hdr_len is outside the blob', {
      field: 'hdr_len',
      offset: 4,
      expected: `${BTF_HEADER_SIZE}..${bytes.byteLength}`,
      actual: header.headerLength,
    });
  }
  const body = bytes.byteLength - header.headerLength;
  const check = (field: string, at: number, start: number, length: number) => {
    if (start + length > body) {
      fail('truncated', `${field} section runs past the end of the blob`, {
        field,
        offset: at,
        expected: `end ≤ ${body}`,
        actual: `end ${start + length}`,
      });
    }
  };
  check('type', 8, header.typeOffset, header.typeLength);
  check('string', 16, header.stringOffset, header.stringLength);
  if (header.typeOffset % 4 !== 0) {
    fail('bad-header', 'type section is not 4-byte aligned', {
      field: 'type_off',
      offset: 8,
      actual: header.typeOffset,
    });
  }
  return header;
}
