/**
 * Prometheus metrics on Effect's metric keys, hooks and registry: requests by route, method and
 * status, a latency histogram per route, cache hits / misses / coalesced reads, upstream answers by
 * status (429 and 418 included), plus gauges read at scrape time (weight used and remaining per
 * upstream, running jobs). `/metrics` is the registry's snapshot in the text format. Each gateway
 * has a registry of its own (not `Metric`'s process-wide one), so that two gateways in one process
 * (tests, an embedding app) keep their own counts. Labels never carry a token, a key or a secret.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import * as MetricRegistry from "effect/MetricRegistry"
import * as MetricState from "effect/MetricState"
import * as Option from "effect/Option"

export interface Gauge {
  readonly name: string
  readonly help: string
  readonly read: Effect.Effect<ReadonlyArray<readonly [labels: Record<string, string>, value: number]>>
}

export interface MetricsShape {
  /** One answered request: counted by route, method and status; its latency by route. */
  readonly request: (route: string, method: string, status: number, seconds: number) => void
  /** `request` bound to one route, method and status (the hot path looks it up once). */
  readonly recorder: (route: string, method: string, status: number) => (seconds: number) => void
  readonly cache: (event: "hit" | "miss" | "coalesced") => void
  readonly upstream: (upstream: string, status: number) => void
  readonly count: (name: string, labels?: Record<string, string>) => void
  readonly addGauge: (gauge: Gauge) => void
  readonly render: Effect.Effect<string>
}

export class Metrics extends Context.Tag("@marginctl/gateway/Metrics")<Metrics, MetricsShape>() {}

const requests = MetricKey.counter("marginctl_gateway_requests_total", {
  description: "HTTP requests answered, by route, method and status"
})
const duration = MetricKey.histogram(
  "marginctl_gateway_request_duration_seconds",
  MetricBoundaries.fromIterable([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  "Latency of HTTP requests by route"
)
const cacheEvents = {
  hit: MetricKey.counter("marginctl_gateway_cache_hits_total", { description: "Reads answered from the cache" }),
  miss: MetricKey.counter("marginctl_gateway_cache_misses_total", { description: "Reads that called upstream" }),
  coalesced: MetricKey.counter("marginctl_gateway_cache_coalesced_total", {
    description: "Reads that joined a read already in flight"
  })
}
const upstreamResponses = MetricKey.counter("marginctl_gateway_upstream_responses_total", {
  description: "Upstream answers by status"
})
const upstreamLimited: Record<number, MetricKey.MetricKey.Counter<number>> = {
  429: MetricKey.counter("marginctl_gateway_upstream_429_total", { description: "Upstream 429 answers (rate limited)" }),
  418: MetricKey.counter("marginctl_gateway_upstream_418_total", { description: "Upstream 418 answers (IP banned)" })
}

/** Counters other modules count by name (`count`), described here. */
const named = new Map([
  MetricKey.counter("marginctl_gateway_audit_writes_total", { description: "Audit rows written, by phase" }),
  MetricKey.counter("marginctl_gateway_jobs_total", { description: "Jobs by final state" }),
  MetricKey.counter("marginctl_gateway_external_changes_total", {
    description: "Setting changes made outside the gateway (Binance's app, another bot), by account and setting"
  }),
  MetricKey.counter("marginctl_gateway_drift_alerts_total", { description: "Accounts found drifted or blocked from their desired state, by account and status" }),
  MetricKey.counter("marginctl_gateway_stream_events_total", { description: "Setting changes pushed by the user-data streams, by account" })
].map((key) => [key.name, key]))

const labelled = <K extends MetricKey.MetricKey.Untyped>(key: K, labels: Record<string, string>): K =>
  MetricKey.taggedWithLabels(key, Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v))) as K

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")
const labelText = (labels: ReadonlyArray<readonly [string, string]>) =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}`
const number = (n: number | bigint) => (n === Infinity ? "+Inf" : String(n))

/** The registry's snapshot in the Prometheus text format (version 0.0.4), one family per name. */
export const renderSnapshot = (registry: MetricRegistry.MetricRegistry): string => {
  const families = new Map<string, Array<string>>()
  for (const { metricKey: key, metricState: state } of registry.snapshot()) {
    const type = MetricState.isCounterState(state) ? "counter" : MetricState.isGaugeState(state) ? "gauge" : "histogram"
    if (!MetricState.isHistogramState(state) && type === "histogram") continue
    const tags = key.tags.map((t) => [t.key, t.value] as const)
    let lines = families.get(key.name)
    if (lines === undefined) {
      families.set(key.name, lines = [`# HELP ${key.name} ${Option.getOrElse(key.description, () => key.name)}`, `# TYPE ${key.name} ${type}`])
    }
    if (MetricState.isHistogramState(state)) {
      for (const [le, n] of state.buckets) lines.push(`${key.name}_bucket${labelText([...tags, ["le", number(le)]])} ${n}`)
      lines.push(`${key.name}_sum${labelText(tags)} ${state.sum}`, `${key.name}_count${labelText(tags)} ${state.count}`)
    } else {
      const value = MetricState.isCounterState(state) ? state.count : (state as MetricState.MetricState.Gauge<number>).value
      lines.push(`${key.name}${labelText(tags)} ${number(value)}`)
    }
  }
  return [...families.keys()].sort().flatMap((name) => families.get(name)!).join("\n") + "\n"
}

export const make = (): MetricsShape => {
  const registry = MetricRegistry.make()
  // Counters a dashboard alerts on are shown from the start, at 0.
  for (const key of Object.values(upstreamLimited)) registry.get(key)
  const cacheHooks = { hit: registry.get(cacheEvents.hit), miss: registry.get(cacheEvents.miss), coalesced: registry.get(cacheEvents.coalesced) }
  // A request's hooks, looked up once per route, method and status (the request path is hot).
  const recorders = new Map<string, (seconds: number) => void>()
  const recorder = (route: string, method: string, status: number) => {
    const id = `${route} ${method} ${status}`
    let record = recorders.get(id)
    if (record === undefined) {
      const counter = registry.get(labelled(requests, { route, method, status: String(status) }))
      const histogram = registry.get(labelled(duration, { route }))
      recorders.set(id, record = (seconds) => (counter.update(1), histogram.update(seconds)))
    }
    return record
  }
  const gauges: Array<Gauge> = []

  const render = Effect.gen(function*() {
    for (const g of gauges) {
      const key = MetricKey.gauge(g.name, { description: g.help })
      for (const [labels, v] of yield* g.read) registry.get(labelled(key, labels)).update(v)
    }
    return renderSnapshot(registry)
  })

  return {
    request: (route, method, status, seconds) => recorder(route, method, status)(seconds),
    recorder,
    cache: (event) => cacheHooks[event].update(1),
    upstream: (upstream, status) => {
      registry.get(labelled(upstreamResponses, { upstream, status: String(status) })).update(1)
      const limited = upstreamLimited[status]
      if (limited !== undefined) registry.get(labelled(limited, { upstream })).update(1)
    },
    count: (name, labels = {}) => registry.get(labelled(named.get(name) ?? MetricKey.counter(name), labels)).update(1),
    addGauge: (g) => {
      gauges.push(g)
    },
    render
  }
}

export const layer: Layer.Layer<Metrics> = Layer.sync(Metrics, make)
