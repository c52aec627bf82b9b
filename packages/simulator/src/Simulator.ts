/**
 * The simulator service: one exchange's state (accounts, market, weights, faults, change log) and
 * the function that answers raw requests (`SimRequest` in, `SimResponse` out; no sockets here: the
 * server and the in-process `HttpClient` layer both hand their requests to `handle`), for the
 * exchange API and the `/_sim` control API.
 * Time comes from the `Clock` present when the simulator is made (a `TestClock` in tests), shifted
 * by the clock-skew fault.
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Account from "./Account.js"
import * as ChangeLog from "./ChangeLog.js"
import * as Faults from "./Faults.js"
import * as Control from "./internal/control.js"
import * as Seeding from "./internal/seeding.js"
import * as Pipeline from "./internal/pipeline.js"
import { defaultMarket, serverTime, setMarket, type State } from "./internal/state.js"
import * as SimConfig from "./SimConfig.js"
import * as Seed from "./Seed.js"
import * as UserDataStream from "./UserDataStream.js"
import * as Weight from "./Weight.js"

/** A user-data stream asked for with a listenKey that does not exist (never created, expired or closed). */
export class UnknownListenKey extends Data.TaggedError("UnknownListenKey")<{ readonly listenKey: string }> {}

/** A raw HTTP request, as the server and the in-process `HttpClient` layer hand it to `handle`. */
export interface SimRequest {
  readonly method: string
  /** Path without the query string, e.g. `/fapi/v1/marginType`. */
  readonly path: string
  /** The raw query string as sent (percent-encoded, without `?`). */
  readonly query: string
  /** The raw body as sent. */
  readonly body: string
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly clientIp: string
}

/** A raw HTTP response. */
export interface SimResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** Fault: the server destroys the connection instead of answering. */
  readonly dropConnection?: boolean
}

/** Given an HMAC secret, a synchronous check of a hex signature (case-insensitive) over a payload. */
export type HmacVerifier = (secret: string) => (payload: string, signature: string) => boolean

export interface Options {
  /** Seed (the JSON of a seed file, validated). Without one, a demo account with a generated HMAC key. */
  readonly seed?: unknown
  /** Bearer token of the control API; generated when absent. */
  readonly adminToken?: string | undefined
  /** Reads `publicKeyFile` entries of seeds (the server supplies it; absent in-process). */
  readonly readFile?: ((path: string) => Effect.Effect<string, Seed.InputError>) | undefined
  /**
   * A synchronous HMAC check to use instead of WebCrypto on the hot path (the Node server passes one
   * built on node:crypto). Keys of other types always go through `Verifier` (WebCrypto).
   */
  readonly hmacVerifier?: HmacVerifier | undefined
}

export interface DemoCredentials {
  readonly account: string
  readonly apiKey: string
  readonly secret: string
}

export interface SimulatorShape {
  /** Answers an exchange request or a `/_sim` control request. */
  readonly handle: (request: SimRequest) => Effect.Effect<SimResponse>
  readonly adminToken: string
  /** The generated demo account, when the simulator was made without a seed. */
  readonly demo: DemoCredentials | undefined
  /** Live state of an account (for tests and tools in the same process). */
  readonly account: (name: string) => Account.Account | undefined
  /** Accepted changes, in order. */
  readonly log: () => ReadonlyArray<ChangeLog.Entry>
  readonly faults: Faults.Faults
  readonly config: SimConfig.SimConfig
  /** Requests received by `METHOD /path` (or by path when no method is given). */
  readonly requestCount: (path: string, method?: string) => number
  /** Weight used by a client IP in the current minute: what `X-MBX-USED-WEIGHT-1M` tells it. */
  readonly usedWeight: (clientIp: string) => number
  /**
   * Adds a subscriber to a listenKey's stream (the server's WebSocket bridge uses it); the effect
   * gives the function that removes it, or fails when the key does not exist.
   */
  readonly subscribe: (listenKey: string, subscriber: UserDataStream.Subscriber) => Effect.Effect<() => void, UnknownListenKey>
  /**
   * A listenKey's events in process, each as the JSON text the WebSocket sends; the stream ends when
   * the key expires (after `listenKeyExpired`), is closed or its connections are dropped.
   */
  readonly userDataEvents: (listenKey: string) => Stream.Stream<string, UnknownListenKey>
  /** Expires the listenKeys whose time is up (the server calls it on a timer; keys also expire lazily). */
  readonly expireDueKeys: Effect.Effect<void>
  /** Server time now (clock plus skew). */
  readonly now: Effect.Effect<number>
  /** Back to the seed: accounts, config, weights, faults, log and counters. */
  readonly reset: Effect.Effect<void, Seed.InputError>
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** A random string of letters and digits (WebCrypto randomness). */
export const randomToken = (length: number): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  let out = ""
  for (const b of bytes) out += ALPHANUMERIC[b % ALPHANUMERIC.length]
  return out
}

/** Builds a fresh simulator; fails with the first bad field of the seed. */
export const make = (options: Options = {}): Effect.Effect<SimulatorShape, Seed.InputError> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const decoded = options.seed === undefined ? undefined : Seed.decode(Seed.SeedInput, options.seed)
    if (decoded !== undefined && decoded._tag === "Left") return yield* decoded.left
    let seed: Seed.SeedInput = decoded?._tag === "Right" ? decoded.right : {}
    let demo: DemoCredentials | undefined
    if (options.seed === undefined) {
      demo = { account: "demo", apiKey: randomToken(64), secret: randomToken(64) }
      seed = { accounts: [{ name: demo.account, apiKey: demo.apiKey, secret: demo.secret, balances: { USDT: 10000, USDC: 5000, BTC: 0.1 } }] }
    }
    const config = SimConfig.defaults()
    const state: State = {
      clock,
      config,
      market: defaultMarket(),
      exchangeInfo: () => "",
      exchangeInfoLimit: 0,
      accounts: new Map(),
      keys: new Map(),
      weights: Weight.make(config),
      faults: Faults.make(),
      log: ChangeLog.make(),
      stream: UserDataStream.make(config, () => randomToken(64)),
      requests: new Map(),
      nextId: 1000001,
      adminToken: options.adminToken ?? randomToken(40),
      readFile: options.readFile,
      hmacVerifier: options.hmacVerifier
    }
    setMarket(state, state.market)
    const initial: Seeding.Initial = { seed }
    yield* Seeding.applySeed(state, seed)

    const handle = (request: SimRequest): Effect.Effect<SimResponse> =>
      request.path === "/_sim" || request.path.startsWith("/_sim/")
        ? Control.handle(state, request, initial)
        : Pipeline.handle(state, request)

    const subscribe = (listenKey: string, subscriber: UserDataStream.Subscriber) =>
      Effect.suspend(() => {
        const unsubscribe = state.stream.subscribe(listenKey, serverTime(state), subscriber)
        return unsubscribe === undefined ? Effect.fail(new UnknownListenKey({ listenKey })) : Effect.succeed(unsubscribe)
      })

    // Each event carries the clock time it is due (the event-delay fault), so that events stay in
    // order and a delay holds each back by the same time.
    const userDataEvents = (listenKey: string): Stream.Stream<string, UnknownListenKey> =>
      Stream.asyncScoped<{ readonly text: string; readonly due: number }, UnknownListenKey>((emit) =>
        Effect.acquireRelease(
          subscribe(listenKey, {
            event: (text, delayMs) => void emit.single({ text, due: clock.unsafeCurrentTimeMillis() + delayMs }),
            close: () => void emit.end()
          }),
          (unsubscribe) => Effect.sync(unsubscribe)
        )
      ).pipe(
        Stream.mapEffect(({ due, text }) =>
          Effect.suspend(() => {
            const wait = due - clock.unsafeCurrentTimeMillis()
            return wait > 0 ? Effect.as(clock.sleep(Duration.millis(wait)), text) : Effect.succeed(text)
          })
        )
      )

    return {
      handle,
      subscribe,
      userDataEvents,
      expireDueKeys: Effect.sync(() => state.stream.expireDue(serverTime(state))),
      adminToken: state.adminToken,
      demo,
      account: (name) => state.accounts.get(name),
      log: () => state.log.entries(),
      faults: state.faults,
      config,
      requestCount: (path, method) =>
        method !== undefined
          ? state.requests.get(`${method} ${path}`) ?? 0
          : [...state.requests].reduce((n, [label, c]) => (label.endsWith(` ${path}`) ? n + c : n), 0),
      usedWeight: (clientIp) => state.weights.used(clientIp, serverTime(state)),
      now: Effect.sync(() => serverTime(state)),
      reset: Seeding.reset(state, initial)
    } satisfies SimulatorShape
  })

/** The simulator as a service: `Simulator.Default(options)` is a layer with a fresh simulator. */
export class Simulator extends Effect.Service<Simulator>()("@marginctl/simulator/Simulator", {
  effect: (options: Options = {}) => make(options)
}) {}

/** Answers a request with the simulator in context (exchange API and `/_sim` control API). */
export const handle = (request: SimRequest): Effect.Effect<SimResponse, never, Simulator> =>
  Effect.flatMap(Simulator, (sim) => sim.handle(request))
