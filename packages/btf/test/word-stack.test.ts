import { describe, expect, it } from 'vitest';
import { WordStack } from '../src/word-stack.js';

describe('WordStack', () => {
  it('pops words last in first out, the largest u32 included', () => {
    const stack = new WordStack();
    for (const word of [0, 7, 0xffffffff]) stack.push(word);
    expect([stack.pop(), stack.pop(), stack.pop()]).toEqual([0xffffffff, 7, 0]);
    expect(stack.length).toBe(0);
  });

  it('grows past its first buffer and keeps every word in place', () => {
    const stack = new WordStack();
    for (let i = 0; i < 100_000; i++) stack.push(i * 3);
    expect(stack.length).toBe(100_000);
    expect([stack.at(0), stack.at(255), stack.at(256), stack.at(99_999)]).toEqual([0, 765, 768, 299_997]);
    expect(stack.pop()).toBe(299_997);
  });

  it('truncates to a shorter length and is reused from there', () => {
    const stack = new WordStack();
    for (let i = 1; i <= 5; i++) stack.push(i);
    stack.truncate(2);
    stack.truncate(4);
    expect(stack.length).toBe(2);
    stack.push(9);
    expect([stack.at(0), stack.at(1), stack.at(2)]).toEqual([1, 2, 9]);
    stack.truncate(0);
    expect(stack.length).toBe(0);
  });
});
