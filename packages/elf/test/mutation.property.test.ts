import { allFixtures, readFixture } from '@bpfkit/fixtures';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ElfError, type ElfFile, parseElf, parseElfFrom } from '../src/index.js';
import { PositionedSource } from './positioned-source.js';

const fixtures = allFixtures().map((f) => readFixture(f.name, f.order));

/** Reads every part of an ElfFile the way a loader would, so lazy decoding is exercised. */
function walk(elf: ElfFile): number {
  let touched = 0;
  for (const section of elf.sections) touched += section.data.length + section.name.length;
  for (const symbol of elf.symbols) touched += symbol.name.length;
  for (const relocations of elf.relocationSections) {
    for (const entry of relocations.entries) touched += elf.symbol(entry.symbol).index;
  }
  return touched;
}

/** What walking a file gives: the count, or the ElfError's code and context; anything else escapes. */
function outcome(open: () => ElfFile): unknown {
  try {
    return walk(open());
  } catch (error) {
    if (!ElfError.is(error)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
    return { code: error.code, context: error.context };
  }
}

/**
 * Either the file reads completely or an ElfError is thrown: nothing else may escape. Read
 * by position, it gives the same result or the same error as held whole.
 */
function readsOrRefuses(bytes: Uint8Array): void {
  expect(outcome(() => parseElfFrom(new PositionedSource(bytes)))).toEqual(outcome(() => parseElf(bytes)));
}

const fixtureArb = fc.constantFrom(...fixtures);

/** Offsets of fields worth inflating: header fields and every section header's fields. */
function interestingOffsets(bytes: Uint8Array): number[] {
  const header = [24, 32, 40, 48, 52, 56, 58, 60, 62];
  const elf = parseElf(bytes);
  const fields = [0, 4, 8, 24, 32, 40, 44, 48, 56];
  const sectionFields = elf.sections.flatMap((s) => fields.map((f) => s.headerOffset + f));
  return [...header, ...sectionFields];
}

const extremes = [0, 1, 0x7f, 0xff, 0xffff, 0xff00, 0xfff1, 0xffff_ffff, 0x8000_0000];

describe('mutated fixtures never escape as anything but ElfError', () => {
  test.prop(
    [fixtureArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 32 })],
    {
      numRuns: 400,
    },
  )('random byte overwrites', (original, edits) => {
    const bytes = original.slice();
    for (const [at, value] of edits) bytes[at % bytes.length] = value;
    readsOrRefuses(bytes);
  });

  test.prop([fixtureArb, fc.nat()], { numRuns: 300 })('truncation at any length', (original, cut) => {
    readsOrRefuses(original.slice(0, cut % (original.length + 1)));
  });

  test.prop([fixtureArb, fc.nat()], { numRuns: 300 })('a file shrinking while it is read', (original, cut) => {
    outcome(() => parseElfFrom(new PositionedSource(original, cut % (original.length + 1))));
  });

  test.prop([fixtureArb, fc.nat(), fc.constantFrom(...extremes), fc.boolean()], { numRuns: 600 })(
    'inflated counts, offsets and indexes',
    (original, pick, value, wide) => {
      const bytes = original.slice();
      const offsets = interestingOffsets(bytes);
      const at = offsets[pick % offsets.length] as number;
      const view = new DataView(bytes.buffer);
      const le = bytes[5] === 1;
      if (wide && at + 8 <= bytes.length) view.setBigUint64(at, BigInt(value) << BigInt(pick % 40), le);
      else if (at + 4 <= bytes.length) view.setUint32(at, value, le);
      readsOrRefuses(bytes);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 512 })], { numRuns: 300 })(
    'arbitrary bytes behind a valid identification',
    (tail) => {
      const bytes = new Uint8Array(16 + tail.length);
      bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1 + ((tail[0] ?? 0) % 2), 1]);
      bytes.set(tail, 16);
      readsOrRefuses(bytes);
    },
  );
});
