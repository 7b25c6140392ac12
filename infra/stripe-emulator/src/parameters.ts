import { invalidParameter, parameterMissing, parameterUnknown } from './stripe-error';

/**
 * Form parameters as `express.urlencoded({ extended: true })` parses what the SDK sends: strings, nested
 * objects (`metadata[orderId]=…`) and arrays (`payment_method_types[0]=card`).
 */
export type FormParameters = Record<string, unknown>;

/**
 * Rejects parameters the emulator does not implement, as Stripe rejects unknown ones: silently ignoring,
 * say, `capture_method=manual` would let the payments service pass here and behave differently on Stripe.
 */
export function assertKnownParameters(parameters: FormParameters, known: readonly string[]): void {
  for (const name of Object.keys(parameters)) {
    if (!known.includes(name)) throw parameterUnknown(name);
  }
}

export function optionalString(parameters: FormParameters, param: string): string | undefined {
  const value = parameters[param];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidParameter('parameter_invalid_string', param, `Invalid string: ${param}`);
  return value;
}

export function requiredString(parameters: FormParameters, param: string): string {
  const value = optionalString(parameters, param);
  if (value === undefined || value === '') throw parameterMissing(param);
  return value;
}

export function optionalInteger(parameters: FormParameters, param: string): number | undefined {
  const value = optionalString(parameters, param);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalidParameter('parameter_invalid_integer', param, `Invalid integer: ${value}`);
  }
  return Number(value);
}

export function requiredInteger(parameters: FormParameters, param: string): number {
  const value = optionalInteger(parameters, param);
  if (value === undefined) throw parameterMissing(param);
  return value;
}

export function optionalBoolean(parameters: FormParameters, param: string): boolean | undefined {
  const value = optionalString(parameters, param);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    throw invalidParameter('parameter_invalid_boolean', param, `Invalid boolean: ${value}`);
  }
  return value === 'true';
}

/** `metadata[key]=value` pairs; Stripe keeps only strings, and an empty value means "no such key". */
export function optionalMetadata(parameters: FormParameters, param = 'metadata'): Record<string, string> {
  const value = parameters[param];
  if (value === undefined || value === '') return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidParameter('parameter_invalid_string', param, `Invalid object: ${param} must be key-value pairs`);
  }
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw invalidParameter('parameter_invalid_string', `${param}[${key}]`, `Invalid string: ${param}[${key}]`);
    }
    if (entry !== '') metadata[key] = entry;
  }
  return metadata;
}

/** `payment_method_types[]=card` (the SDK sends `payment_method_types[0]=card`). */
export function optionalStringList(parameters: FormParameters, param: string): string[] | undefined {
  const value = parameters[param];
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((entry): entry is string => typeof entry === 'string' && entry !== '')) {
    throw invalidParameter('parameter_invalid_string', param, `Invalid array: ${param}`);
  }
  return list;
}

/** A nested object such as `automatic_payment_methods[enabled]=true`, with only the keys listed. */
export function optionalObject(
  parameters: FormParameters,
  param: string,
  known: readonly string[],
): FormParameters | undefined {
  const value = parameters[param];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidParameter('parameter_invalid_string', param, `Invalid object: ${param}`);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw parameterUnknown(`${param}[${key}]`);
  }
  return value as FormParameters;
}
