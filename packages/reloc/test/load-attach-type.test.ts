import { AttachType } from '@bpfkit/uapi';
import { describe, expect, it } from 'vitest';
import { loadAttachType } from '../src/load-attach-type.js';
import { classifySection } from '../src/section-names.js';

const kind = (section: string) => {
  const found = classifySection(section);
  if (found === undefined) throw new Error(`no kind for ${section}`);
  return found;
};

describe('loadAttachType', () => {
  it('loads usdt programs with BPF_TRACE_UPROBE_MULTI when the kernel has uprobe_multi links', () => {
    for (const section of ['usdt', 'usdt/bin:prov:name', 'usdt.s/bin:prov:name']) {
      expect(loadAttachType(kind(section), { uprobeMultiLink: () => true })).toBe(AttachType.TRACE_UPROBE_MULTI);
      expect(loadAttachType(kind(section), { uprobeMultiLink: () => false })).toBeUndefined();
    }
  });

  it("keeps every other section's own attach type", () => {
    expect(loadAttachType(kind('uprobe/bin:f'), { uprobeMultiLink: () => true })).toBeUndefined();
    expect(loadAttachType(kind('xdp'), { uprobeMultiLink: () => true })).toBe(AttachType.XDP);
    expect(loadAttachType(kind('uprobe.multi/bin:f'), { uprobeMultiLink: () => false })).toBe(
      AttachType.TRACE_UPROBE_MULTI,
    );
  });
});
