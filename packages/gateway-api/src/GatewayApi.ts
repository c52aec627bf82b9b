/**
 * The whole gateway contract. Servers implement it with `HttpApiBuilder.group(GatewayApi, …)`;
 * clients derive a typed client with `HttpApiClient.make(GatewayApi, { baseUrl })`.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as OpenApi from "@effect/platform/OpenApi"
import { AccountsGroup } from "./Accounts.js"
import { AuditGroup } from "./Audit.js"
import { DesiredGroup } from "./Desired.js"
import { EventsGroup } from "./Events.js"
import { PayloadTooLarge } from "./Errors.js"
import { HealthGroup } from "./Health.js"
import { JobsGroup } from "./Jobs.js"
import { MarginTypesGroup } from "./MarginTypes.js"
import { MultiAssetsGroup } from "./MultiAssets.js"

export const VERSION = "0.1.0"

export class GatewayApi extends HttpApi.make("marginctl-gateway")
  .add(AccountsGroup)
  .add(MultiAssetsGroup)
  .add(MarginTypesGroup)
  .add(JobsGroup)
  .add(AuditGroup)
  .add(EventsGroup)
  .add(DesiredGroup)
  .add(HealthGroup)
  .addError(PayloadTooLarge)
  .annotate(OpenApi.Title, "marginctl gateway")
  .annotate(OpenApi.Version, VERSION)
  .annotate(
    OpenApi.Description,
    "Reads and changes Binance USD-M Futures Multi-Assets Mode and margin types for the accounts it holds keys for. " +
      "Bearer tokens with scopes read and write; reads are cached and coalesced, and kept current by Binance's user-data stream; " +
      "every change attempt is audited, and so is every change made elsewhere."
  )
{}
