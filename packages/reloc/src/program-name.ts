import { BPF_OBJ_NAME_LEN } from '@bpfkit/uapi';

/**
 * The name a program is loaded under (`prog_name` of BPF_PROG_LOAD): its entry function name
 * cut to `BPF_OBJ_NAME_LEN - 1` bytes, as libbpf cuts it, with any character the kernel's
 * `bpf_obj_name_cpy` refuses (anything but `[A-Za-z0-9_.]`) replaced by `_`, so a name from
 * outside C cannot fail the load.
 */
export function kernelProgramName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, BPF_OBJ_NAME_LEN - 1);
}
