import { writeElf } from '@bpfkit/fixtures';
import { describe, expect, it } from 'vitest';
import { ElfError, parseElf, readSdtNotes } from '../src/index.js';

const SHT_NOTE = 7;

/** One note record: owner, type and descriptor, each padded to 4 bytes, in the given byte order. */
function note(owner: string, type: number, desc: Uint8Array, littleEndian: boolean): Uint8Array {
  const name = new TextEncoder().encode(`${owner}\0`);
  const pad = (n: number) => (n + 3) & ~3;
  const bytes = new Uint8Array(12 + pad(name.length) + pad(desc.length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, name.length, littleEndian);
  view.setUint32(4, desc.length, littleEndian);
  view.setUint32(8, type, littleEndian);
  bytes.set(name, 12);
  bytes.set(desc, 12 + pad(name.length));
  return bytes;
}

/** A stapsdt descriptor: pc, base, semaphore, then provider, name and arguments. */
function stapsdt(pc: bigint, semaphore: bigint, strings: string[], littleEndian: boolean): Uint8Array {
  const text = new TextEncoder().encode(`${strings.join('\0')}\0`);
  const bytes = new Uint8Array(24 + text.length);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, pc, littleEndian);
  view.setBigUint64(8, 0n, littleEndian);
  view.setBigUint64(16, semaphore, littleEndian);
  bytes.set(text, 24);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe('readSdtNotes', () => {
  it.each([true, false])('reads provider, name, addresses and argument specs (little-endian: %s)', (le) => {
    const data = concat(
      note('stapsdt', 3, stapsdt(0x1139n, 0n, ['bpfkit', 'tick', '-4@%edi -4@$42'], le), le),
      note('GNU', 3, new Uint8Array(16), le),
      note('stapsdt', 3, stapsdt(0x11abn, 0x4018n, ['bpfkit', 'done', ''], le), le),
    );
    const elf = parseElf(
      writeElf({ littleEndian: le, sections: [{ name: '.note.stapsdt', type: SHT_NOTE, data }] }).bytes,
    );
    expect(readSdtNotes(elf)).toEqual([
      { provider: 'bpfkit', name: 'tick', address: 0x1139n, semaphore: 0n, args: '-4@%edi -4@$42' },
      { provider: 'bpfkit', name: 'done', address: 0x11abn, semaphore: 0x4018n, args: '' },
    ]);
  });

  it('takes the strings between their NULs: arguments up to the end without a last NUL, UTF-8 decoded, other owners skipped', () => {
    const raw = (strings: Uint8Array) => {
      const bytes = new Uint8Array(24 + strings.length);
      new DataView(bytes.buffer).setBigUint64(0, 0x2000n, true);
      bytes.set(strings, 24);
      return bytes;
    };
    const utf8 = new TextEncoder();
    const data = concat(
      // Arguments run to the end of the descriptor when no NUL ends them.
      note('stapsdt', 3, raw(utf8.encode('prov\0näme\0-8@%rax')), true),
      // Same type, owner 'stapsdtx' (9 bytes) or 'stapsdX': not USDT notes.
      note('stapsdtx', 3, raw(utf8.encode('x\0y\0')), true),
      note('stapsdX', 3, raw(utf8.encode('x\0y\0')), true),
      // Bytes after the third NUL are padding, not part of the arguments.
      note('stapsdt', 3, raw(utf8.encode('p\0n\x008@%rdi\0junk')), true),
    );
    const elf = parseElf(writeElf({ sections: [{ name: '.note.stapsdt', type: SHT_NOTE, data }] }).bytes);
    expect(readSdtNotes(elf)).toEqual([
      { provider: 'prov', name: 'näme', address: 0x2000n, semaphore: 0n, args: '-8@%rax' },
      { provider: 'p', name: 'n', address: 0x2000n, semaphore: 0n, args: '8@%rdi' },
    ]);
    // A name that runs to the end of the descriptor (one NUL only) misses the arguments' string.
    const oneNul = parseElf(
      writeElf({
        sections: [{ name: '.note.stapsdt', type: SHT_NOTE, data: note('stapsdt', 3, raw(utf8.encode('p\0n')), true) }],
      }).bytes,
    );
    expect(() => readSdtNotes(oneNul)).toThrow(expect.objectContaining({ code: 'bad-note' }));
  });

  it('finds none in a file without the section', () => {
    expect(readSdtNotes(parseElf(writeElf({ sections: [] }).bytes))).toEqual([]);
  });

  it('refuses a note that runs past its section or lacks its strings, naming where', () => {
    const whole = note('stapsdt', 3, stapsdt(1n, 0n, ['p', 'n', ''], true), true);
    const cut = parseElf(
      writeElf({ sections: [{ name: '.note.stapsdt', type: SHT_NOTE, data: whole.subarray(0, 30) }] }).bytes,
    );
    expect(() => readSdtNotes(cut)).toThrow(expect.objectContaining({ code: 'bad-note' }));
    const bare = parseElf(
      writeElf({
        sections: [{ name: '.note.stapsdt', type: SHT_NOTE, data: note('stapsdt', 3, new Uint8Array(24), true) }],
      }).bytes,
    );
    try {
      readSdtNotes(bare);
      expect.unreachable();
    } catch (error) {
      expect(ElfError.is(error) && error.message).toMatch(/section \[1\] '.note.stapsdt'.*misses its provider/);
    }
  });
});
