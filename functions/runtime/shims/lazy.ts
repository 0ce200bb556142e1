/**
 * A Node.js module loaded on first use. grpc-js requires `zlib` as it loads, for compressed
 * messages, which Crossplane does not send; the production bundle (scripts/build.ts) hands it this
 * stand-in instead, so zlib costs no start time until a call really uses it, and then it is the
 * real module.
 */
export function lazyModule(load: () => object): object {
  let real: Record<PropertyKey, unknown> | undefined;
  const target = () => (real ??= load() as Record<PropertyKey, unknown>);
  return new Proxy(
    {},
    {
      get: (_, key) => target()[key],
      has: (_, key) => key in target(),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(target(), key);
        // A proxy may only report a property non-configurable if its own (empty) target has it.
        return d && { ...d, configurable: true };
      },
    },
  );
}
