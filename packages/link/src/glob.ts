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
