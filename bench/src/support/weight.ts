/**
 * Request weight as the exchange counts it, priced by core's endpoint catalog.
 */
import * as Catalog from "@marginctl/core/Catalog"

/**
 * Weight of a `/_sim/requests/count` `byEndpoint` map ("GET /fapi/v1/accountConfig" → count), each
 * request priced by core's catalog; unknown paths count 1 (as the exchange counts a 404).
 * Endpoints whose weight depends on parameters are priced without parameters (the heavier case).
 */
export const weightOf = (byEndpoint: Record<string, number>): number => {
  let total = 0
  for (const [label, n] of Object.entries(byEndpoint)) {
    const [method, p] = label.split(" ") as [string, string]
    const endpoint = Catalog.find(method, p)
    total += n * (endpoint === undefined ? 1 : endpoint.weight({} as never))
  }
  return total
}

export const catalogWeight = (method: string, p: string): number => Catalog.find(method, p)?.weight({} as never) ?? 1

