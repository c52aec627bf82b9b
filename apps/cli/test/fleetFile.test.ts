/**
 * A fleet file's account settings become the core's DesiredState (all four settings, "*" as `all`),
 * and keys expand to profiles: globs, no match, two keys on one profile.
 */
import * as Planner from "@marginctl/core/Planner"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { describe, expect, it } from "vitest"
import * as FleetFile from "@marginctl/core/FleetFile"

const decoded = (json: unknown) => Effect.runSync(FleetFile.decodeFleet(json, "fleet.yaml"))

describe("FleetFile", () => {
  it("maps every setting to the core's DesiredState", () => {
    const fleet = decoded({
      accounts: {
        main: {
          multiAssets: "off",
          positionMode: "hedge",
          marginTypes: { "*": "CROSSED", BTCUSDT: "ISOLATED" },
          leverage: { "*": 5, BTCUSDT: 10 }
        }
      }
    })
    const desired = Schema.decodeUnknownSync(Planner.DesiredState, { onExcessProperty: "error" })(
      FleetFile.toDesired(fleet.accounts.main!)
    )
    expect(desired).toEqual({
      multiAssets: false,
      positionMode: "hedge",
      marginTypes: { all: "CROSSED", symbols: [{ symbol: "BTCUSDT", marginType: "ISOLATED" }] },
      leverage: { all: 5, symbols: [{ symbol: "BTCUSDT", leverage: 10 }] }
    })
    expect(Either.isRight(Planner.validateDesired(desired))).toBe(true)
    expect(FleetFile.toDesired(decoded({ accounts: { a: { multiAssets: true, leverage: { ETHUSDT: 3 } } } }).accounts.a!)).toEqual({
      multiAssets: true,
      leverage: { symbols: [{ symbol: "ETHUSDT", leverage: 3 }] }
    })
  })

  it("refuses a symbol key that is not a symbol", () => {
    const error = Effect.runSync(Effect.flip(FleetFile.decodeFleet({ accounts: { main: { leverage: { btc: 5 } } } }, "f.json")))
    expect(error.field).toBe("f.json: accounts.main.leverage.btc")
    expect(error.accepted).toContain("(every symbol not named) or a symbol: 1 to 40 characters")
  })

  it("expands globs over the profile names, refuses a key without profile and a profile named twice", () => {
    const fleet = decoded({ accounts: { main: {}, "bots-?": { multiAssets: "on" } } })
    const entries = Either.getOrThrow(FleetFile.expand(fleet, "f.yaml", { noun: "profile", names: ["main", "bots-1", "bots-2", "bots-10"], source: "p.json" }))
    expect(entries.map((e) => [e.profile, e.key])).toEqual([["main", "main"], ["bots-1", "bots-?"], ["bots-2", "bots-?"]])
    const none = FleetFile.expand(fleet, "f.yaml", { noun: "profile", names: ["main"], source: "p.json" })
    expect(Either.isLeft(none) && none.left.field).toBe("f.yaml: accounts.bots-?")
    const twice = FleetFile.expand(decoded({ accounts: { "bots-1": {}, "bots-*": {} } }), "f.yaml", { noun: "profile", names: ["bots-1"], source: "p.json" })
    expect(Either.isLeft(twice) && twice.left.accepted).toBe("each profile named by one key only; bots-1 is also named by accounts.bots-1")
  })
})
