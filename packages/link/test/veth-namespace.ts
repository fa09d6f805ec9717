import { execFileSync } from 'node:child_process';

/** Runs a command, returning its output. */
export const sh = (...args: string[]) => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8' });

/** A network namespace of a test's own, reached through a veth pair from the test's namespace. */
export interface VethNamespace {
  /** The namespace's name (`ip netns`; its file is `/run/netns/<name>`). */
  readonly ns: string;
  /** The veth end in the test's namespace, and the other one, in `ns`. */
  readonly hostSide: string;
  readonly nsSide: string;
  /** The addresses of the two ends (a /30 of 10.254.x.0). */
  readonly hostAddress: string;
  readonly nsAddress: string;
  /** Sends `count` UDP datagrams from the namespace to `port` of the host side. */
  sendFromNamespace(count: number, port?: number): void;
  /** Deletes the veth pair and the namespace. */
  remove(): void;
}

/**
 * Creates namespace `<tag><pid>` and a veth pair into it, the ends addressed 10.254.`subnet`.1
 * and .2 and up (lo too); names carry the pid so parallel runs do not collide.
 */
export function createVethNamespace(tag: string, subnet: number): VethNamespace {
  const id = process.pid % 100000;
  const ns = `${tag}${id}`;
  const hostSide = `${tag}h${id}`;
  const nsSide = `${tag}n${id}`;
  const hostAddress = `10.254.${subnet}.1`;
  const nsAddress = `10.254.${subnet}.2`;
  sh('ip', 'netns', 'add', ns);
  sh('ip', 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide);
  sh('ip', 'link', 'set', nsSide, 'netns', ns);
  sh('ip', 'addr', 'add', `${hostAddress}/30`, 'dev', hostSide);
  sh('ip', 'link', 'set', hostSide, 'up');
  sh('ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${nsAddress}/30`, 'dev', nsSide);
  sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', nsSide, 'up');
  sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  return {
    ns,
    hostSide,
    nsSide,
    hostAddress,
    nsAddress,
    sendFromNamespace(count, port = 9) {
      for (let i = 0; i < count; i++)
        sh('ip', 'netns', 'exec', ns, 'bash', '-c', `echo bpfkit > /dev/udp/${hostAddress}/${port}`);
    },
    remove() {
      sh('ip', 'link', 'del', hostSide);
      sh('ip', 'netns', 'del', ns);
    },
  };
}
