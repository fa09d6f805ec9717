/**
 * Binary search over `count` sorted entries: the last index whose entry is at or before the
 * sought value (`atOrBefore(i)` true for a prefix of the indexes), or -1 when none is.
 */
export function lastAtOrBefore(count: number, atOrBefore: (index: number) => boolean): number {
  let low = 0;
  let high = count - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (atOrBefore(middle)) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
