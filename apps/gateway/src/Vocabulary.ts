/**
 * The gateway's words for the ways to act that the core's explanations point to: its own endpoints
 * (`{account}` is the account of the request). Every other word of a fix comes from the core (`Explain`).
 */
import * as Explain from "@marginctl/core/Explain"

export const vocabulary: Explain.Vocabulary = {
  actions: {
    ...Explain.plain.actions,
    multiAssetsOff: " (PUT /v1/accounts/{account}/multi-assets {\"multiAssetsMargin\":false})",
    allCrossed: ", or apply {\"desired\":{\"multiAssets\":true}} as a job (POST /v1/accounts/{account}/jobs), which plans that",
    showOrders: " (GET /v1/accounts/{account}/status shows where they are)",
    listSymbols: " (GET /v1/accounts/{account}/margin-types lists them)",
    reread: " (GET /v1/accounts/{account}/status)",
    apiKey: " the account's API key in the gateway's configuration",
    secret: " the account's secret or private key in the gateway's configuration",
    signingKey: ": the account's secret or private key in the gateway's configuration"
  }
}

/** What to do about a failure on this account, in the gateway's words. */
export const fixFor = (subject: Explain.Subject, account: string): string =>
  Explain.explain(subject, vocabulary, { account }).fix ?? "check the account's state"
