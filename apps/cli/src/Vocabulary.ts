/**
 * The CLI's words for the ways to act that the core's explanations point to (its commands, flags and
 * environment variables), and the hint line of a failure built from them. Every other word of a hint
 * comes from the core (`Explain`).
 */
import * as Explain from "@marginctl/core/Explain"
import { VARS } from "./Env.js"

export const vocabulary: Explain.Vocabulary = {
  actions: {
    multiAssetsOff: " with `marginctl multi-assets off`",
    allCrossed: " with `marginctl margin-type set CROSSED --all` (or run `marginctl apply --multi-assets on`, which does both in order)",
    showOrders: " (`marginctl status` shows where they are)",
    showCollateral: " (`marginctl collateral` shows which)",
    listSymbols: "; `marginctl margin-type get` lists them",
    reread: " with `marginctl status`",
    target: " and --env / --base-url; to use the local simulator, start it first with `marginctl sim`",
    apiKey: ` ${VARS.apiKey} (or the profile's apiKey)`,
    secret: ` ${VARS.apiSecret} (or the private key)`,
    signingKey: `: ${VARS.apiSecret} holds an HMAC secret; ${VARS.privateKeyFile} an RSA or Ed25519 PEM private key ` +
      `(with ${VARS.passphrase} when it is encrypted)`,
    recvWindow: ", or raise --recv-window (up to 60000)",
    clockCheck: "; `marginctl time` shows the offset"
  }
}

/** What to do about a failure, in the CLI's words; null when there is nothing to add. */
export const hint = (subject: Explain.Subject, context: Explain.Context = {}): string | null =>
  Explain.explain(subject, vocabulary, context).fix
