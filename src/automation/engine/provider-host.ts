import { createRequire } from "node:module";
import path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import { withProviderEnv } from "../../components/provider-environment";
import { PACKAGE_ROOT } from "../../toolchain/pulumi";
import { PROJECT_NAME } from "../workspace/index";

/**
 * The Pulumi engine's Node.js dynamic-provider protocol (`pulumi-nodejs`), served from the deploying process.
 *
 * A dynamic resource carries its provider, serialized, in the `__provider` input; the engine normally starts a fresh
 * Node.js process per engine run (`pulumi-resource-pulumi-nodejs`) that loads the whole SDK only to evaluate that
 * text and call it: about a CPU-second and most of a second of waiting on every deploy. The engine can instead attach
 * to a provider that already listens (`PULUMI_DEBUG_PROVIDERS=pulumi-nodejs:<port>`), and the deploying process has
 * the SDK loaded already, so it answers here. The answers follow the SDK's own provider process: the same
 * evaluation of `__provider` (cached per text, configured once), the same check, diff, create, read, update and
 * delete semantics, the same refusal of secrets, and a create or update that failed after the resource existed
 * reports the resource's id so the engine keeps it in the state.
 *
 * Each call runs with the environment the engine run gave its providers (`withProviderEnv`), never this process's.
 */
export interface ProviderHost {
  /** Loopback port the engine attaches to. */
  readonly port: number;
  /** Stops listening; calls in flight are cut. */
  close(): Promise<void>;
}

/** The property of a dynamic resource's inputs and outputs that holds its serialized provider. */
const PROVIDER_KEY = "__provider";

/** What an evaluated `__provider` text offers: the SDK's `dynamic.ResourceProvider` contract. */
interface DynamicProvider {
  configure?(request: { config: unknown }): Promise<void>;
  check?(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ inputs?: Record<string, unknown>; failures?: { property: string; reason: string }[] }>;
  diff?(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>;
  create(inputs: Record<string, unknown>): Promise<{ id: string; outs?: Record<string, unknown> }>;
  read?(id: string, props: Record<string, unknown>): Promise<{ id: string; props?: Record<string, unknown>; inputs?: Record<string, unknown> }>;
  update?(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ outs?: Record<string, unknown> } | undefined>;
  delete?(id: string, props: Record<string, unknown>): Promise<void>;
}

/** A failure a provider raised after its resource came to exist (the SDK's `ResourceInitFailed` shape). */
interface InitFailure {
  readonly message: string;
  readonly id?: string;
  readonly properties?: Record<string, unknown>;
  readonly reasons?: string[];
}

/** The SDK's own modules, from the `@pulumi/pulumi` this package runs with, so the wire types are the engine's. */
function sdkModules() {
  const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
  return {
    grpc: sdkRequire("@grpc/grpc-js") as typeof grpcTypes,
    providerRpc: sdkRequire("./proto/provider_grpc_pb"),
    provider: sdkRequire("./proto/provider_pb"),
    plugin: sdkRequire("./proto/plugin_pb"),
    status: sdkRequire("./proto/status_pb"),
    empty: sdkRequire("google-protobuf/google/protobuf/empty_pb"),
    struct: sdkRequire("google-protobuf/google/protobuf/struct_pb"),
    any: sdkRequire("google-protobuf/google/protobuf/any_pb"),
    rpc: sdkRequire("./runtime/rpc") as { unknownValue: string; unwrapRpcSecret(value: unknown): unknown },
    settings: sdkRequire("./runtime/settings") as { grpcChannelOptions: Record<string, unknown> },
    config: sdkRequire("./cmd/dynamic-provider/config") as { Config: new (raw: Record<string, unknown>, project: string) => unknown },
    version: (sdkRequire("./version") as { version: string }).version,
    fromString: sdkRequire("require-from-string") as (code: string, filename?: string) => { handler(): DynamicProvider },
  };
}

type Sdk = ReturnType<typeof sdkModules>;
type Callback = (error: unknown, value?: unknown, trailer?: unknown) => void;
type Call = { request: any; getPeer(): string; on(event: "cancelled", listener: () => void): unknown };

/**
 * The provider calls in progress, each with the signal its provider code runs under. The engine's connection (its
 * peer address) tells engine runs sharing the host apart, so a cancelled update stops its own calls only, as it
 * would stop a provider process of its own.
 */
class InFlightCalls {
  private readonly byCall = new Map<Call, { peer: string; controller: AbortController }>();
  private readonly cancelledPeers = new Set<string>();

  /** Registers a call; its signal aborts when its engine cancels, drops the call (dies), or the host closes. */
  begin(call: Call): AbortSignal {
    const controller = new AbortController();
    const peer = call.getPeer();
    this.byCall.set(call, { peer, controller });
    call.on("cancelled", () => controller.abort(new Error("the engine dropped the call")));
    if (this.cancelledPeers.has(peer)) controller.abort(new Error("the update was cancelled"));
    return controller.signal;
  }

  end(call: Call): void {
    this.byCall.delete(call);
  }

  /** An engine run's cancellation: its calls stop, and any it still makes start stopped. */
  cancelPeer(peer: string): void {
    this.cancelledPeers.add(peer);
    for (const { peer: owner, controller } of this.byCall.values()) if (owner === peer) controller.abort(new Error("the update was cancelled"));
  }

  abortAll(): void {
    for (const { controller } of this.byCall.values()) controller.abort(new Error("the engine run ended"));
  }
}

/**
 * Evaluated providers, by their serialized text, for the life of the process. The text is what the program
 * serialized (never a caller's input), and evaluating it once is what the SDK's provider process does too.
 */
const evaluatedProviders = new Map<string, Promise<DynamicProvider>>();

/**
 * Starts a provider host on a loopback port. `env` is the environment a provider process of the engine run would
 * have inherited: the providers' settings (workspace, warm releases, a platform's token) come from it.
 */
export async function startProviderHost(env: NodeJS.ProcessEnv): Promise<ProviderHost> {
  const sdk = sdkModules();
  const server = new sdk.grpc.Server({ ...sdk.settings.grpcChannelOptions });
  const calls = new InFlightCalls();
  const service = providerService(sdk, (peer) => calls.cancelPeer(peer));
  const handlers: Record<string, (call: Call, callback: Callback) => void> = {};
  for (const [name, handler] of Object.entries(service)) {
    handlers[name] = (call, callback) => {
      const signal = calls.begin(call);
      withProviderEnv(env, () => handler(call, (...answer) => {
        calls.end(call);
        callback(...answer);
      }), signal);
    };
  }
  server.addService(sdk.providerRpc.ResourceProviderService, handlers as unknown as grpcTypes.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", sdk.grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Engine runs have ended when a host closes; a call still open belongs to a cancelled run.
        calls.abortAll();
        server.forceShutdown();
        resolve();
      }),
  };
}

/** The protocol's methods; any method not here answers UNIMPLEMENTED, as the SDK's provider process does. */
function providerService(sdk: Sdk, cancel: (peer: string) => void): Record<string, (call: Call, callback: Callback) => void> {
  let rawConfig: Record<string, unknown> = {};
  const toJs = (struct: { toJavaScript(): Record<string, unknown> } | undefined): Record<string, unknown> => struct?.toJavaScript() ?? {};
  const toStruct = (value: Record<string, unknown>) => sdk.struct.Struct.fromJavaScript(value);
  const withProvider = (props: Record<string, unknown>, result: Record<string, unknown> | undefined) => ({ ...(result ?? {}), [PROVIDER_KEY]: props[PROVIDER_KEY] });

  const providerOf = (props: Record<string, unknown>): Promise<DynamicProvider> => {
    const text = props[PROVIDER_KEY];
    if (typeof text !== "string") return Promise.reject(new Error(`the resource has no serialized provider (${PROVIDER_KEY})`));
    let provider = evaluatedProviders.get(text);
    if (!provider) {
      provider = (async () => {
        // Evaluated as a module inside this package, so the provider's `require` of the package's public entry points
        // resolves to this install, as it does in a provider process started from this install.
        const evaluated = sdk.fromString(text, path.join(PACKAGE_ROOT, "dynamic-provider.js")).handler();
        await evaluated.configure?.({ config: new sdk.config.Config(rawConfig, PROJECT_NAME) });
        return evaluated;
      })();
      provider.catch(() => evaluatedProviders.delete(text));
      evaluatedProviders.set(text, provider);
    }
    return provider;
  };

  /** A failure as the engine reads it: after a create or update, one that names an id keeps the resource in the state. */
  const failed = (error: unknown, callback: Callback) => {
    const failure = (error ?? {}) as InitFailure;
    const message = error instanceof Error ? error.message : String(failure.message ?? error);
    const metadata = new sdk.grpc.Metadata();
    if (failure.id) {
      const detail = new sdk.provider.ErrorResourceInitFailed();
      detail.setId(failure.id);
      detail.setProperties(toStruct(failure.properties ?? {}));
      detail.setReasonsList(failure.reasons ?? []);
      const packed = new sdk.any.Any();
      packed.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
      const status = new sdk.status.Status();
      status.setCode(sdk.grpc.status.UNKNOWN);
      status.setMessage(message);
      status.addDetails(packed);
      metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
    }
    callback({ code: sdk.grpc.status.UNKNOWN, details: message, message, metadata }, null, metadata);
  };
  const answer = (callback: Callback, body: () => Promise<unknown>, onError: (error: unknown) => void = (error) => callback(error)) => {
    body().then((value) => callback(null, value), onError);
  };

  return {
    getPluginInfo: (_call, callback) => {
      const info = new sdk.plugin.PluginInfo();
      info.setVersion(sdk.version);
      callback(null, info);
    },
    // Attaching is the whole point of this host: the engine's address is not needed, as nothing here calls back.
    attach: (_call, callback) => callback(null, new sdk.empty.Empty()),
    // Sent when an update is cancelled: the provider process Pulumi would start is killed soon after; here the
    // cancelled run's calls in progress are stopped instead.
    cancel: (call, callback) => {
      cancel(call.getPeer());
      callback(null, new sdk.empty.Empty());
    },
    configure: (call, callback) => {
      const args = toJs(call.request.getArgs());
      rawConfig = Object.fromEntries(Object.entries(args).filter(([key]) => key !== PROVIDER_KEY).map(([key, value]) => [key, sdk.rpc.unwrapRpcSecret(value)]));
      const response = new sdk.provider.ConfigureResponse();
      // As the SDK's provider: secrets arrive as plain values and the engine keeps their secretness itself.
      response.setAcceptsecrets(false);
      callback(null, response);
    },
    check: (call, callback) =>
      answer(callback, async () => {
        const olds = toJs(call.request.getOlds());
        const news = toJs(call.request.getNews());
        const provider = await providerOf(news[PROVIDER_KEY] === sdk.rpc.unknownValue ? olds : news);
        const result = provider.check ? await provider.check(olds, news) : {};
        const inputs = { ...(result.inputs ?? news), [PROVIDER_KEY]: news[PROVIDER_KEY] };
        const response = new sdk.provider.CheckResponse();
        response.setInputs(toStruct(inputs));
        response.setFailuresList(
          (result.failures ?? []).map((failure) => {
            const item = new sdk.provider.CheckFailure();
            item.setProperty(failure.property);
            item.setReason(failure.reason);
            return item;
          }),
        );
        return response;
      }),
    diff: (call, callback) =>
      answer(callback, async () => {
        const olds = toJs(call.request.getOlds());
        const news = toJs(call.request.getNews());
        const provider = await providerOf(news[PROVIDER_KEY] === sdk.rpc.unknownValue ? olds : news);
        const response = new sdk.provider.DiffResponse();
        if (!provider.diff) return response;
        const result = await provider.diff(call.request.getId(), olds, news);
        const changes = sdk.provider.DiffResponse.DiffChanges;
        response.setChanges(result.changes === true ? changes.DIFF_SOME : result.changes === false ? changes.DIFF_NONE : changes.DIFF_UNKNOWN);
        if (result.replaces?.length) response.setReplacesList(result.replaces);
        if (result.deleteBeforeReplace) response.setDeletebeforereplace(true);
        return response;
      }),
    create: (call, callback) =>
      answer(
        callback,
        async () => {
          const props = toJs(call.request.getProperties());
          const result = await (await providerOf(props)).create(props);
          const response = new sdk.provider.CreateResponse();
          response.setId(result.id);
          response.setProperties(toStruct(withProvider(props, result.outs)));
          return response;
        },
        (error) => failed(error, callback),
      ),
    read: (call, callback) =>
      answer(callback, async () => {
        const id = call.request.getId();
        // A refresh sends the last outputs; a `get` sends only inputs, which still carry the provider.
        let props = toJs(call.request.getProperties());
        if (Object.keys(props).length === 0) props = toJs(call.request.getInputs());
        const provider = await providerOf(props);
        const response = new sdk.provider.ReadResponse();
        if (!provider.read) {
          response.setId(id);
          response.setProperties(toStruct(props));
          return response;
        }
        const result = await provider.read(id, props);
        response.setId(result.id);
        response.setProperties(toStruct(withProvider(props, result.props)));
        if (result.inputs) response.setInputs(toStruct(withProvider(props, result.inputs)));
        return response;
      }),
    update: (call, callback) =>
      answer(
        callback,
        async () => {
          const olds = toJs(call.request.getOlds());
          const news = toJs(call.request.getNews());
          const provider = await providerOf(news);
          const result = (provider.update ? await provider.update(call.request.getId(), olds, news) : undefined) ?? {};
          const response = new sdk.provider.UpdateResponse();
          response.setProperties(toStruct(withProvider(news, result.outs)));
          return response;
        },
        (error) => failed(error, callback),
      ),
    delete: (call, callback) =>
      answer(callback, async () => {
        const props = toJs(call.request.getProperties());
        const provider = await providerOf(props);
        await provider.delete?.(call.request.getId(), props);
        return new sdk.empty.Empty();
      }),
  };
}
