/**
 * The default of a switch that handles every member of a union (an outcome, a status). The compiler
 * refuses the call while a member is left out, since the value is then not `never`; at run time a value
 * outside the union (a payload newer than this code) throws, so it is retried or dead-lettered instead of
 * falling through the switch and being acknowledged as handled.
 */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
