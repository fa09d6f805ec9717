export {
  BpfkitError,
  type BpfkitErrorOptions,
  bpfkitErrorBrand,
  type ErrorParts,
  type ErrorPlace,
  foundValues,
  isBpfkitError,
} from './bpfkit-error.js';
