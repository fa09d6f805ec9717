// background-batch.ts names its bpf(2) commands through this module; the commands themselves
// are generated into @bpfkit/uapi.
export { BpfCommand } from '@bpfkit/uapi';
