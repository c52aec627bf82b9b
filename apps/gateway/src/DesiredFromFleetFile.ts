/**
 * The fleet file named by the configuration (`fleetFile`): at every start, the desired state of each
 * account it names is stored (set by `(fleet file)`), after the same checks as a `PUT …/desired` — a
 * contradictory entry or one the account's policy refuses stops the start, naming the file, the path in
 * it and what is accepted. The file is read by the core's `FleetFile`, as the CLI reads it.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as YAML from "yaml"
import * as FleetFile from "@marginctl/core/FleetFile"
import * as Planner from "@marginctl/core/Planner"
import { Accounts } from "./Accounts.js"
import { GatewayConfig } from "./Config.js"
import { ConfigError } from "./ConfigError.js"
import { DesiredStore } from "./DesiredStore.js"
import * as Policy from "./Policy.js"

/** Who set a desired state that came from the fleet file (not a valid token name, so never a caller's). */
export const FLEET_FILE = "(fleet file)"

export const layer: Layer.Layer<never, ConfigError, GatewayConfig | Accounts | DesiredStore> = Layer.effectDiscard(
  Effect.gen(function*() {
    const config = yield* GatewayConfig
    const file = config.fleetFile
    if (file === undefined) return
    const accounts = yield* Accounts
    const store = yield* DesiredStore
    const refused = (field: string, message: string) => new ConfigError({ field, message })
    const fromInput = (e: { readonly field: string; readonly accepted: string }) => refused(e.field, `expected ${e.accepted}`)
    const parse = (text: string) => Effect.sync(() => YAML.parseDocument(text, { uniqueKeys: true }))
    const fleet = yield* FleetFile.load(file, parse).pipe(Effect.provide(NodeFileSystem.layer), Effect.mapError(fromInput))
    if (Option.isNone(fleet)) return yield* refused("fleetFile", `${file} is not a fleet file (a top-level accounts key)`)
    const entries = yield* Either.mapLeft(
      FleetFile.expand(fleet.value, file, { noun: "account", names: accounts.list.map((a) => a.name), source: "the gateway's configuration" }),
      fromInput
    )
    for (const entry of entries) {
      const at = `${file}: accounts.${entry.key}`
      const desired = yield* Schema.decodeUnknown(Planner.DesiredState)(FleetFile.toDesired(entry.settings)).pipe(
        Effect.mapError((e) => refused(at, e.message))
      )
      const valid = Planner.validateDesired(desired)
      if (Either.isLeft(valid)) return yield* refused(at, valid.left.reason)
      const account = accounts.get(entry.profile)!
      const allowed = Policy.check(account.policy, desired)
      if (Either.isLeft(allowed)) return yield* refused(at, allowed.left.message)
      yield* store.put(account.name, desired, FLEET_FILE).pipe(Effect.mapError((e) => refused("fleetFile", e.message)))
    }
    yield* Effect.logInfo(`fleet file ${file}: the desired state of ${entries.length} account(s) stored`)
  })
)
