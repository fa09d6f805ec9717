/**
 * A matcher for a glob pattern of the kind libbpf's multi-probe sections take: `*` matches
 * any run of characters, `?` any one character, everything else itself. Names without
 * wildcards, `prefix*` and `*suffix` are compared directly; other patterns compile to one
 * regular expression.
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  const wildcards = pattern.match(/[*?]/g) ?? [];
  if (wildcards.length === 0) return (name) => name === pattern;
  if (wildcards.length === 1 && !pattern.includes('?')) {
    const [before, after] = pattern.split('*') as [string, string];
    if (after === '') return (name) => name.startsWith(before);
    if (before === '') return (name) => name.endsWith(after);
  }
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const regex = new RegExp(`^${source}$`);
  return (name) => regex.test(name);
}

/**
 * The UTF-8 bytes a name must start with to match `pattern`, when that alone decides
 * (`prefix*` with no other wildcard and no `@`, which bare names never hold); else
 * undefined, and the name is matched whole by {@link globMatcher}.
 */
export function literalPrefix(pattern: string): Uint8Array | undefined {
  const star = pattern.indexOf('*');
  const prefixOnly = star >= 0 && star === pattern.length - 1;
  if (!prefixOnly || pattern.includes('?') || pattern.includes('@') || pattern.includes('\0')) return undefined;
  return new TextEncoder().encode(pattern.slice(0, star));
}
