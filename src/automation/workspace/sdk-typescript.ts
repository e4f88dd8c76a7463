import Module from "node:module";

let deferred = false;

/**
 * Loading the Pulumi SDK loads TypeScript with it (about 0.2 s of CPU, a third of the SDK's load time): the SDK's
 * runtime index requires its closure serializer, whose parser requires `@pulumi/pulumi/typescript-shim` at the top.
 * TypeScript is only used when a function is serialized, which a deploy of this package's providers never does (their
 * texts come from the build). So the shim's place in the module cache is taken by a stand-in that loads the real shim,
 * and TypeScript, the first time any of its properties is read; every later `require` of the shim gets the real one.
 * Nothing happens when the SDK has no such shim (another SDK layout) or it is already loaded.
 */
export function deferSdkTypeScript(): void {
  if (deferred) return;
  deferred = true;
  let shimPath: string;
  try {
    shimPath = require.resolve("@pulumi/pulumi/typescript-shim");
  } catch {
    return;
  }
  if (require.cache[shimPath]) return;
  let real: object | undefined;
  const load = (): object => {
    if (real === undefined) {
      // Out of the cache first, so this require runs the real shim and caches it for every later require.
      if (require.cache[shimPath] === standIn) delete require.cache[shimPath];
      real = require(shimPath) as object;
    }
    return real;
  };
  const lazyExports = new Proxy(
    {},
    {
      get: (_target, key) => Reflect.get(load(), key),
      has: (_target, key) => Reflect.has(load(), key),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
        // A proxy may only report a property the (empty) target lacks as configurable.
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
  const standIn = new Module(shimPath, module);
  standIn.filename = shimPath;
  standIn.loaded = true;
  standIn.exports = lazyExports;
  require.cache[shimPath] = standIn;
}
