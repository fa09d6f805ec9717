/**
 * The "essential" name of a type, without a CO-RE flavor suffix: `task_struct___v5` gives
 * `task_struct`. The suffix starts at the last `___` that has a character other than `_` on
 * both sides; names without one are returned unchanged.
 */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name.charCodeAt(i) !== 0x5f && name.startsWith('___', i + 1) && name.charCodeAt(i + 4) !== 0x5f) {
      return name.slice(0, i + 1);
    }
  }
  return name;
}
