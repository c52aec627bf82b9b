/**
 * Prometheus metrics kept in plain counters (the request path is hot): requests by route, method and
 * status, a latency histogram per route, cache hits / misses / coalesced reads, upstream answers by
 * status (429 and 418 included), plus gauges read at scrape time (weight used and remaining per
 * upstream, running jobs). Labels never carry a token, a key or an account secret.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface Gauge {
  readonly name: string
  readonly help: string
  readonly read: Effect.Effect<ReadonlyArray<readonly [labels: Record<string, string>, value: number]>>
}

export interface MetricsShape {
  readonly request: (route: string, method: string, status: number, seconds: number) => void
  /** A pre-bound request counter for one route, method and status (hot path). */
  readonly requestCounter: (route: string, method: string, status: number) => (seconds: number) => void
  readonly cache: (event: "hit" | "miss" | "coalesced") => void
  readonly upstream: (upstream: string, status: number) => void
  readonly count: (name: string, labels?: Record<string, string>) => void
  readonly addGauge: (gauge: Gauge) => void
  readonly render: Effect.Effect<string>
  /** A counter's value (tests and /readyz). */
  readonly value: (name: string, labels?: Record<string, string>) => number
}

export class Metrics extends Context.Tag("@marginctl/gateway/Metrics")<Metrics, MetricsShape>() {}

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
const labelText = (labels: Record<string, string>) => {
  const keys = Object.keys(labels)
  return keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escape(labels[k]!)}"`).join(",")}}`
}

const HELP: Record<string, string> = {
  marginctl_gateway_requests_total: "HTTP requests answered, by route, method and status",
  marginctl_gateway_cache_hits_total: "Reads answered from the cache",
  marginctl_gateway_cache_misses_total: "Reads that called upstream",
  marginctl_gateway_cache_coalesced_total: "Reads that joined a read already in flight",
  marginctl_gateway_upstream_responses_total: "Upstream answers by status",
  marginctl_gateway_upstream_429_total: "Upstream 429 answers (rate limited)",
  marginctl_gateway_upstream_418_total: "Upstream 418 answers (IP banned)",
  marginctl_gateway_audit_writes_total: "Audit rows written, by phase",
  marginctl_gateway_jobs_total: "Jobs by final state"
}

export const make = (): MetricsShape => {
  const counters = new Map<string, Map<string, number>>()
  const histograms = new Map<string, { buckets: Array<number>; sum: number; count: number }>()
  const gauges: Array<Gauge> = []
  let hits = 0
  let misses = 0
  let coalesced = 0

  const inc = (name: string, labels: Record<string, string>, by = 1) => {
    let series = counters.get(name)
    if (series === undefined) counters.set(name, series = new Map())
    const key = labelText(labels)
    series.set(key, (series.get(key) ?? 0) + by)
  }

  const requestCounter = (route: string, method: string, status: number) => {
    let series = counters.get("marginctl_gateway_requests_total")
    if (series === undefined) counters.set("marginctl_gateway_requests_total", series = new Map())
    const key = labelText({ route, method, status: String(status) })
    const hkey = labelText({ route })
    let h = histograms.get(hkey)
    if (h === undefined) histograms.set(hkey, h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 })
    const counts = series
    const hist = h
    return (seconds: number) => {
      counts.set(key, (counts.get(key) ?? 0) + 1)
      for (let i = BUCKETS.length - 1; i >= 0 && seconds <= BUCKETS[i]!; i--) hist.buckets[i]! += 1
      hist.sum += seconds
      hist.count += 1
    }
  }
  const bound = new Map<string, (seconds: number) => void>()
  const request = (route: string, method: string, status: number, seconds: number) => {
    const id = `${route} ${method} ${status}`
    let f = bound.get(id)
    if (f === undefined) bound.set(id, f = requestCounter(route, method, status))
    f(seconds)
  }

  const render = Effect.gen(function*() {
    const lines: Array<string> = []
    const counter = (name: string, value: number) => {
      lines.push(`# HELP ${name} ${HELP[name] ?? name}`, `# TYPE ${name} counter`, `${name} ${value}`)
    }
    counter("marginctl_gateway_cache_hits_total", hits)
    counter("marginctl_gateway_cache_misses_total", misses)
    counter("marginctl_gateway_cache_coalesced_total", coalesced)
    for (const name of ["marginctl_gateway_upstream_429_total", "marginctl_gateway_upstream_418_total"]) {
      if (!counters.has(name)) counter(name, 0)
    }
    for (const [name, series] of counters) {
      lines.push(`# HELP ${name} ${HELP[name] ?? name}`, `# TYPE ${name} counter`)
      for (const [labels, v] of series) lines.push(`${name}${labels} ${v}`)
    }
    const hname = "marginctl_gateway_request_duration_seconds"
    lines.push(`# HELP ${hname} Latency of HTTP requests by route`, `# TYPE ${hname} histogram`)
    for (const [labels, h] of histograms) {
      const inner = labels.slice(1, -1)
      BUCKETS.forEach((b, i) => lines.push(`${hname}_bucket{${inner},le="${b}"} ${h.buckets[i]}`))
      lines.push(`${hname}_bucket{${inner},le="+Inf"} ${h.count}`, `${hname}_sum${labels} ${h.sum}`, `${hname}_count${labels} ${h.count}`)
    }
    for (const g of gauges) {
      const values = yield* g.read
      lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`)
      for (const [labels, v] of values) lines.push(`${g.name}${labelText(labels)} ${v}`)
    }
    return lines.join("\n") + "\n"
  })

  return {
    request,
    requestCounter,
    cache: (event) => {
      if (event === "hit") hits++
      else if (event === "miss") misses++
      else coalesced++
    },
    upstream: (upstream, status) => {
      inc("marginctl_gateway_upstream_responses_total", { upstream, status: String(status) })
      if (status === 429) inc("marginctl_gateway_upstream_429_total", { upstream })
      if (status === 418) inc("marginctl_gateway_upstream_418_total", { upstream })
    },
    count: (name, labels = {}) => inc(name, labels),
    addGauge: (g) => {
      gauges.push(g)
    },
    render,
    value: (name, labels) => {
      if (name === "marginctl_gateway_cache_hits_total") return hits
      if (name === "marginctl_gateway_cache_misses_total") return misses
      if (name === "marginctl_gateway_cache_coalesced_total") return coalesced
      const series = counters.get(name)
      if (series === undefined) return 0
      if (labels === undefined) return [...series.values()].reduce((a, b) => a + b, 0)
      return series.get(labelText(labels)) ?? 0
    }
  }
}

export const layer: Layer.Layer<Metrics> = Layer.sync(Metrics, make)
