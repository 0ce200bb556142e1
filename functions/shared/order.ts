/**
 * Orders strings by code point. Desired state must not depend on the runtime's locale data (ICU
 * collation, which `localeCompare` uses, differs between Node builds), and this is also far cheaper.
 */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
