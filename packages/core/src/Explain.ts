/**
 * Any failure in words for a person: a core error, a plan blocker, or either as it crossed a boundary
 * (a step error's tag and code, a gateway error's reason) becomes `{ title, detail, fix, kind,
 * exitClass, retryable }`. The words come from the one table (`BinanceCodes`); the ways to act that a
 * fix points to come from the surface's `Vocabulary` (the CLI names its commands and flags, the popup
 * its buttons, the gateway its endpoints), so no surface rewrites another's words.
 */
import * as Schema from "effect/Schema"
import { codeInfo, type Execution, lookup, retryIn } from "./BinanceCodes.js"
import type { Blocker } from "./Planner.js"
import { describeOffset } from "./ServerClock.js"

/** What kind of failure: what a person can do about it, and how a program should treat it. */
export const Kind = Schema.Literal("blocked", "already-set", "input", "auth", "limit", "network", "unknown-outcome", "unexpected")
export type Kind = typeof Kind.Type

/**
 * Process exit classes: 0 done, 1 anything else, 2 invalid input, 3 blocked by an exchange rule,
 * 4 rate limited or banned, 5 authentication / signature / clock, 6 network or unknown outcome.
 */
export type ExitClass = 0 | 1 | 2 | 3 | 4 | 5 | 6

const EXIT_BY_KIND: Readonly<Record<Kind, ExitClass>> = {
  "already-set": 0,
  unexpected: 1,
  input: 2,
  blocked: 3,
  limit: 4,
  auth: 5,
  network: 6,
  "unknown-outcome": 6
}

/** The ways to act a fix can point to; each surface says how a person does it there ("" when it has none). */
export type Action =
  | "multiAssetsOff"
  | "allCrossed"
  | "showOrders"
  | "showCollateral"
  | "listSymbols"
  | "reread"
  | "target"
  | "apiKey"
  | "secret"
  | "signingKey"
  | "recvWindow"
  | "clockCheck"

/** A surface's words for the actions, each a phrase that follows the fix's own words (with its leading space or punctuation). */
export interface Vocabulary {
  readonly actions: { readonly [A in Action]: string }
}

/** Words that name no tool: the fixes say what to do, not where to click or what to type. */
export const plain: Vocabulary = {
  actions: {
    multiAssetsOff: "",
    allCrossed: "",
    showOrders: "",
    showCollateral: "",
    listSymbols: "",
    reread: "",
    target: "",
    apiKey: " the API key",
    secret: " the secret or private key",
    signingKey: "",
    recvWindow: "",
    clockCheck: ""
  }
}

/** A failure to explain: a core error, or its description as it crossed a boundary. */
export interface Subject {
  readonly _tag: string
  readonly code?: number | null | undefined
  readonly reason?: string | undefined
  readonly source?: string | undefined
  readonly setting?: string | undefined
  readonly symbol?: string | undefined
  readonly msg?: string | undefined
  readonly message?: string | undefined
  readonly retryAfterSeconds?: number | null | undefined
  readonly until?: number | null | undefined
}

/** What the surface knows that the failure does not. */
export interface Context {
  /** The upstream's host or URL (network failures). */
  readonly host?: string | undefined
  /** The account's name (fixes that name an account-scoped endpoint). */
  readonly account?: string | undefined
  /** Server − local clock offset measured after a -1021, when known. */
  readonly offsetMs?: number | undefined
  readonly recvWindow?: number | undefined
}

export interface Explanation {
  readonly title: string
  /** What Binance (or the path to it) said. */
  readonly detail: string
  /** What to do about it, as a clause without a final period; null when there is nothing to add. */
  readonly fix: string | null
  readonly kind: Kind
  readonly exitClass: ExitClass
  /** Whether sending it again can help (now, after a wait, or after re-reading the account). */
  readonly retryable: boolean
  readonly execution: Execution
  readonly code: number | null
}

const TAGS: Readonly<Record<string, { readonly kind: Kind; readonly title: string }>> = {
  MarginTypeBlocked: { kind: "blocked", title: "Binance refused to change {symbol|the symbol}" },
  MultiAssetsBlocked: { kind: "blocked", title: "Binance refused to switch Multi-Assets Mode" },
  PositionModeBlocked: { kind: "blocked", title: "Binance refused to change the position mode" },
  AccountRejected: { kind: "blocked", title: "Binance refused the change" },
  PlannedBlocker: { kind: "blocked", title: "Blocked by an exchange rule" },
  NoChangeNeeded: { kind: "already-set", title: "Already set" },
  InvalidParameter: { kind: "input", title: "Binance refused the request" },
  OrderRejected: { kind: "input", title: "Binance refused the request" },
  BinanceRejected: { kind: "input", title: "Binance refused the request" },
  UnknownSymbol: { kind: "input", title: "Unknown symbol {symbol}" },
  InvalidInput: { kind: "input", title: "Invalid input" },
  DesiredStateRejected: { kind: "input", title: "That combination is not possible" },
  InvalidSignature: { kind: "auth", title: "Binance rejected the signature" },
  InvalidApiKey: { kind: "auth", title: "Binance rejected the API key" },
  TimestampOutsideWindow: { kind: "auth", title: "The clock is out of step with Binance" },
  SignerError: { kind: "auth", title: "The key cannot sign requests" },
  RateLimited: { kind: "limit", title: "Too many requests for now" },
  IpBanned: { kind: "limit", title: "Binance has blocked this IP address for a while" },
  ServiceUnavailable: { kind: "network", title: "Binance is not available right now" },
  Transport: { kind: "network", title: "Could not reach {host|the exchange}" },
  StreamConnectionLost: { kind: "network", title: "The user-data stream's connection was lost" },
  ExecutionUnknown: { kind: "unknown-outcome", title: "The outcome of the change is not known" },
  UnexpectedResponse: { kind: "unexpected", title: "An answer that Binance does not document" }
}

const OTHER = { kind: "unexpected" as Kind, title: "Something went wrong" }

/** The words of a -1021 / -5028 fix, by what the clock measured after it. */
const CLOCK = {
  unmeasured: "Binance refused the request's timestamp even after the clock was measured again; turn on automatic " +
    "time synchronisation (e.g. `timedatectl set-ntp true`){@recvWindow}{@clockCheck}",
  inSync: "{offset}, so the request took longer than the {recvWindow|5000} ms receive window to arrive; retry on a " +
    "faster connection{@recvWindow}",
  off: "{offset}; the client corrected for it once and Binance still refused the timestamp: turn on automatic time " +
    "synchronisation (e.g. `timedatectl set-ntp true`), then retry{@clockCheck}"
}

const ACTION = /\{@(\w+)\}/g
const VARIABLE = /\{(\w+)(?:\|([^}]*))?\}/g

const render = (template: string, vocabulary: Vocabulary, vars: Readonly<Record<string, string | undefined>>): string =>
  template
    .replace(ACTION, (_, a: string) => vocabulary.actions[a as Action] ?? "")
    .replace(VARIABLE, (_, name: string, fallback: string | undefined) => vars[name] ?? fallback ?? "")

const seconds = (n: number): string => `${n} s`

const variables = (s: Omit<Subject, "_tag">, c: Context): Record<string, string | undefined> => ({
  symbol: s.symbol,
  account: c.account,
  host: c.host,
  recvWindow: c.recvWindow === undefined ? undefined : String(c.recvWindow),
  offset: c.offsetMs === undefined ? undefined : describeOffset(c.offsetMs).text,
  retryAfter: s.retryAfterSeconds ? seconds(s.retryAfterSeconds) : undefined,
  until: `${s.until ? ` until ${new Date(s.until).toISOString()}` : ""}${
    s.retryAfterSeconds ? ` (${seconds(s.retryAfterSeconds)} from now)` : ""
  }`
})

const clockFix = (c: Context): string =>
  c.offsetMs === undefined ? CLOCK.unmeasured : describeOffset(c.offsetMs).side === "in-sync" ? CLOCK.inSync : CLOCK.off

/** A failure known by its Binance code only (e.g. after crossing a contract that keeps the code and reason). */
export const ofCode = (code: number, detail: Omit<Subject, "_tag" | "code"> = {}): Subject => {
  const row = codeInfo(code)
  return { ...detail, _tag: row?.tag ?? "BinanceRejected", code, msg: detail.msg ?? row?.messages[0] }
}

/** A failure in words for the surface whose vocabulary is given. */
export const explain = (subject: Subject, vocabulary: Vocabulary, context: Context = {}): Explanation => {
  const found = lookup(subject)
  const { general, row, specific } = found
  const { kind, title } = TAGS[subject._tag] ?? OTHER
  const vars = variables(subject, context)
  const fix = subject._tag === "TimestampOutsideWindow" ? clockFix(context) : specific?.fix ?? row?.fix ?? general?.fix ?? null
  return {
    title: render(title, vocabulary, vars),
    detail: subject.msg ?? subject.message ?? "",
    fix: fix === null ? null : render(fix, vocabulary, vars),
    kind,
    exitClass: EXIT_BY_KIND[kind],
    retryable: retryIn(found) !== "no",
    execution: row?.execution ?? specific?.execution ?? general?.execution ?? "not-executed",
    code: typeof subject.code === "number" ? subject.code : null
  }
}

/**
 * A plan's blocker in words: its own text and fix (written by the planner from the account's state),
 * followed by the surface's way to act from its code's row (e.g. how to turn Multi-Assets Mode off).
 */
export const explainBlocker = (
  blocker: Blocker,
  vocabulary: Vocabulary,
  context: Context = {}
): { readonly what: string; readonly fix: string } => {
  const row = blocker.reason === "blocked-dependency" ? undefined : codeInfo(blocker.code)
  const actions = row?.fix?.match(ACTION) ?? []
  return { what: blocker.text, fix: render(`${blocker.fix}${actions.join("")}`, vocabulary, variables(blocker, context)) }
}

/** The exit class of a failure known only by its tag (a step error's `tag`); 1 when unknown. */
export const exitClassOf = (tag: string): ExitClass => EXIT_BY_KIND[kindOf(tag)]

/** The kind of a failure known by its tag, without wording it. */
export const kindOf = (tag: string): Kind => (TAGS[tag] ?? OTHER).kind

/** A clause as a sentence: capitalised, with a final period unless it ends with one already. */
export const sentence = (text: string): string =>
  `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?`)]$/.test(text) ? "" : "."}`
