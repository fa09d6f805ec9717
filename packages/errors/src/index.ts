/**
 * The error base every bpfkit package's error class extends: a brand that guards check across
 * duplicated copies of a package, a stable `code`, a JSON-safe `context`, a `hint`, and a
 * message that wraps its `cause` instead of repeating it. It depends on nothing and uses no
 * Node API.
 *
 * {@include ../README.md}
 *
 * @packageDocumentation
 * @module @bpfkit/errors
 */

export {
  BpfkitError,
  type BpfkitErrorOptions,
  bpfkitErrorBrand,
  type ErrorParts,
  type ErrorPlace,
  foundValues,
  isBpfkitError,
} from './bpfkit-error.js';
