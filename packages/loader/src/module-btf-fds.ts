import type { Btf } from '@bpfkit/btf';
import { type ModuleBtfHandle, moduleName } from '@bpfkit/reloc';
import { btfInfo, type Fd, objectFdById, objectIds } from '@bpfkit/syscall';
import { LoadError } from './errors.js';
import type { ResourceScope } from './scope.js';

/**
 * The kernel BTF objects of the modules a load's kfuncs and variables live in, each opened
 * once (found by name among the kernel's BTF objects) and owned by the load. Programs carry
 * them in their fd_array from index 1 (index 0 stands for vmlinux), after which map indexes
 * follow in `fd-array` mode. The kernel keeps its own references once programs are loaded.
 */
export class ModuleBtfFds {
  /** Every module BTF opened, by module name. */
  private readonly opened = new Map<string, Fd>();
  /** The ones kfunc calls and variables use, in fd_array order. */
  private readonly indexed: Fd[] = [];
  private readonly handles = new Map<string, ModuleBtfHandle>();

  constructor(
    private readonly scope: ResourceScope,
    private readonly object: string,
  ) {}

  /** The handle of `module`'s BTF (named like its `/sys/kernel/btf` file), opening it on first use. */
  handle(module: Btf): ModuleBtfHandle {
    const name = moduleName(module);
    let handle = this.handles.get(name);
    if (handle === undefined) {
      const fd = this.fd(module);
      this.indexed.push(fd);
      handle = { fdArrayIndex: this.indexed.length, fd: fd.fd };
      this.handles.set(name, handle);
    }
    return handle;
  }

  /** `module`'s BTF object, opened on first use, without a place in fd_array (an `attach_btf_obj_fd`). */
  fd(module: Btf): Fd {
    const name = moduleName(module);
    let fd = this.opened.get(name);
    if (fd === undefined) {
      fd = this.scope.own(this.open(name));
      this.opened.set(name, fd);
    }
    return fd;
  }

  /** What each program's fd_array starts with: nothing, or a vmlinux placeholder and the module BTF fds. */
  get fdArrayPrefix(): number[] {
    return this.indexed.length === 0 ? [] : [0, ...this.indexed.map((fd) => fd.fd)];
  }

  private open(name: string): Fd {
    for (const id of objectIds('btf')) {
      const fd = objectFdById('btf', id);
      if (fd === undefined) continue;
      const info = btfInfo(fd.fd);
      if (info.kernel && info.name === name) return fd;
      fd.close();
    }
    throw new LoadError('resolve-externs', `module '${name}' has no BTF object in the kernel (is it loaded?)`, {
      object: this.object,
      target: name,
    });
  }
}
