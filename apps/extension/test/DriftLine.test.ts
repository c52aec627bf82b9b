import { describe, expect, it } from "vitest"
import type { DriftSummary, UserErrorData } from "../src/Messages.js"
import { driftLine } from "../src/popup/DriftLine.js"

const drift = (status: DriftSummary["status"], lines: ReadonlyArray<string>, detail = "2 step(s) would reach the desired state"): DriftSummary => ({
  status,
  lines,
  detail
})

describe("driftLine", () => {
  it("says nothing without a desired state: a direct account, an older gateway, or none set", () => {
    expect(driftLine(null)).toBeNull()
    expect(driftLine(drift("unknown", [], "no desired state is set"))).toBeNull()
  })

  it("says the account matches, with nothing to expand", () => {
    expect(driftLine(drift("in-sync", [], "the account matches its desired state"))).toEqual({
      status: "in-sync",
      text: "Matches its desired state",
      lines: []
    })
  })

  it("names the first difference and how many more, keeping every line to expand", () => {
    const lines = ["Set BTCUSDT from CROSSED to ISOLATED", "Set ETHUSDT leverage from 20 to 5"]
    expect(driftLine(drift("drifted", lines))).toEqual({
      status: "drifted",
      text: "Differs from its desired state: Set BTCUSDT from CROSSED to ISOLATED (+1 more)",
      lines
    })
    expect(driftLine(drift("drifted", lines.slice(0, 1)))?.text).toBe("Differs from its desired state: Set BTCUSDT from CROSSED to ISOLATED")
  })

  it("says what blocks it, and a lock, falling back on the detail when there are no lines", () => {
    const blocked = ["Turn Multi-Assets off: blocked by open orders on BTCUSDT", "Fix: cancel them first"]
    expect(driftLine(drift("blocked", blocked))?.text).toBe(
      "Blocked from its desired state: Turn Multi-Assets off: blocked by open orders on BTCUSDT (+1 more)"
    )
    expect(driftLine(drift("locked", [], "locked: Credits Trading Mode"))).toEqual({
      status: "locked",
      text: "Locked out of its desired state: locked: Credits Trading Mode",
      lines: []
    })
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
