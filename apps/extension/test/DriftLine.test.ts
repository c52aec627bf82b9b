import { describe, expect, it } from "vitest"
import type { BlockerWords, DriftSummary, UserErrorData } from "../src/Messages.js"
import { driftLine } from "../src/popup/DriftLine.js"

const drift = (
  status: DriftSummary["status"],
  fields: { steps?: ReadonlyArray<string>; blockers?: ReadonlyArray<BlockerWords>; lines?: ReadonlyArray<string>; detail?: string } = {}
): DriftSummary => ({
  status,
  steps: fields.steps ?? [],
  blockers: fields.blockers ?? [],
  lines: fields.lines ?? [],
  detail: fields.detail ?? "2 step(s) would reach the desired state"
})

describe("driftLine", () => {
  it("says nothing without a desired state: a direct account, an older gateway, or none set", () => {
    expect(driftLine(null)).toBeNull()
    expect(driftLine(drift("unknown", { detail: "no desired state is set" }))).toBeNull()
  })

  it("says the account matches, with nothing to expand", () => {
    expect(driftLine(drift("in-sync", { detail: "the account matches its desired state" }))).toEqual({
      status: "in-sync",
      text: "Matches its desired state",
      lines: []
    })
  })

  it("names what differs (two steps at most, then how many more) and keeps the gateway's lines to expand", () => {
    const lines = ["1. Set BTCUSDT from CROSSED to ISOLATED (weight 1)", "Weight: 1 to apply (reads cost 96)."]
    expect(driftLine(drift("drifted", { steps: ["Set BTCUSDT from CROSSED to ISOLATED"], lines }))).toEqual({
      status: "drifted",
      text: "Differs from its desired state: Set BTCUSDT from CROSSED to ISOLATED",
      lines
    })
    const steps = ["Turn Multi-Assets Mode off", "Set BTCUSDT from CROSSED to ISOLATED", "Set ETHUSDT leverage to 5", "Set XRPUSDT leverage to 3"]
    expect(driftLine(drift("drifted", { steps }))?.text).toBe(
      "Differs from its desired state: Turn Multi-Assets Mode off; Set BTCUSDT from CROSSED to ISOLATED and 2 more"
    )
  })

  it("says what blocks it and the fix, and a lock, falling back on the detail", () => {
    const blocker: BlockerWords = { step: 1, what: "BTCUSDT has open orders (Binance -4047).", fix: "Fix: Cancel them first." }
    expect(driftLine(drift("blocked", { steps: ["Set BTCUSDT from CROSSED to ISOLATED"], blockers: [blocker], lines: ["a", "b"] }))).toEqual({
      status: "blocked",
      text: "Blocked: BTCUSDT has open orders (Binance -4047). Fix: Cancel them first.",
      lines: ["a", "b"]
    })
    expect(driftLine(drift("locked", { detail: "the account is in Credits Trading Mode" }))?.text).toBe("Locked: the account is in Credits Trading Mode")
  })

  it("says on its own line that the drift could not be read", () => {
    const error: UserErrorData = {
      _tag: "UserError",
      kind: "network",
      title: "Could not reach the gateway at 127.0.0.1",
      detail: "The connection failed.",
      fix: "Check that the gateway is running."
    }
    expect(driftLine(error)).toEqual({
      status: "error",
      text: "Desired state not checked: Could not reach the gateway at 127.0.0.1",
      lines: ["The connection failed.", "Check that the gateway is running."]
    })
  })
})
