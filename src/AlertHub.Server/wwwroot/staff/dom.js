// DOM helpers for the staff views. Element.append() turns an array into the text "a,b" and null into "null"; views build
// their children with map() and conditionals, so they replace an element's children through fill(), which flattens
// arrays and skips null/false — and, like h(), turns every string into a text node, never markup.
import { h, clear } from '/shared/common.js';

/** Replaces the children of `el` with `children` (nodes, strings, arrays of them; null, undefined and false skipped). */
export function fill(el, ...children) {
  clear(el);
  // h() already flattens and skips; a fragment carries its children over without a wrapper.
  const holder = h('div', {}, children);
  el.append(...holder.childNodes);
  return el;
}
