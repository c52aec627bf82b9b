/**
 * The popup's composition root: one runtime for this page (the default runtime plus the
 * WorkerClient), the actions (read the account, plan, confirm, unlock) and the page's events. All
 * work happens in the service worker; `AccountView` and `PlanPanel` render.
 */
import type { DesiredState } from "@marginctl/core/Planner"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import { update } from "../LiveOverview.js"
import type { ApplyMessage, LiveMessage } from "../Messages.js"
import { plainly } from "../Plainly.js"
import { make as makeWorkerClient, WorkerClient } from "../WorkerClient.js"
import { makeView } from "./AccountView.js"
import { type Applying, el, type Panel, state, type UserError } from "./PopupState.js"

/**
 * This page's one runtime: the default runtime plus the WorkerClient. Not a ManagedRuntime: the
 * client holds no resources, and Layer/ManagedRuntime would add 3 KB (gzip) to a budgeted bundle.
 */
const runtime = Runtime.provideService(Runtime.defaultRuntime, WorkerClient, makeWorkerClient(chrome.runtime))
const runPromiseExit = Runtime.runPromiseExit(runtime)
const runFork = Runtime.runFork(runtime)

const internal: UserError = { _tag: "UserError", kind: "internal", title: "Something went wrong in the popup", detail: "Close and reopen it." }

/** Runs an effect needing the WorkerClient; resolves to its value or a UserError (never rejects). */
const run = <A>(effect: Effect.Effect<A, UserError, WorkerClient>): Promise<Exit.Exit<A, UserError>> =>
  runPromiseExit(plainly(effect, internal))

const { render, renderRows } = makeView({
  retry: () => void loadAccount(),
  preview: (title, desired) => void preview(title, desired),
  confirm: (panel) => void confirm(panel),
  close: closePanel
})

// ---------------------------------------------------------------------------------------------
// Actions

const fail = (error: UserError) => {
  state.error = error
  if (error.kind === "locked") state.vault = "locked"
  render()
}

/** Following the shown account's changes (the live port), while this popup shows it. */
let following: Fiber.RuntimeFiber<never, UserError> | null = null

const stopFollowing = () => {
  if (following !== null) void Runtime.runPromise(runtime)(Fiber.interrupt(following))
  following = null
  state.live = false
  state.liveReason = undefined
}

/** Applies the worker's live messages to what is shown; follows again a second after the worker went away. */
const follow = (account: string, generation: number): void => {
  const onMessage = (message: LiveMessage) => {
    if (generation !== state.generation) return
    const view = update({ overview: state.overview, live: state.live }, message)
    state.overview = view.overview
    state.live = view.live
    state.liveReason = view.reason
    render()
    if (message._tag !== "LiveStatus") loadDriftSoon(account, generation)
  }
  const fiber = runFork(Effect.flatMap(WorkerClient, (c) => c.live({ account }, onMessage)))
  following = fiber
  fiber.addObserver(() => {
    if (following !== fiber) return
    following = null
    state.live = false
    render()
    setTimeout(() => {
      if (generation === state.generation && following === null) follow(account, generation)
    }, 1000)
  })
}

/** Reads the drift of a gateway account from its desired state (a direct account keeps none). */
const loadDrift = async (account: string, generation: number): Promise<void> => {
  if (state.accounts.find((a) => a.id === account)?.backend !== "gateway") return
  const drift = await run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetDrift", account })))
  if (generation !== state.generation) return
  // A failed read shows on the drift line alone: the settings shown are not affected.
  state.drift = Exit.isSuccess(drift) ? drift.value : Option.getOrNull(Cause.failureOption(drift.cause))
  render()
}

/**
 * The drift read again once the account's changes have settled: the gateway computes it within a
 * second of a change, and a burst of changes (an apply, a reconnection) needs one read, not one each.
 */
const DRIFT_SETTLE_MS = 1200
let driftTimer: ReturnType<typeof setTimeout> | undefined
const loadDriftSoon = (account: string, generation: number): void => {
  clearTimeout(driftTimer)
  driftTimer = setTimeout(() => void loadDrift(account, generation), DRIFT_SETTLE_MS)
}

const loadAccount = async (): Promise<void> => {
  const account = state.selected
  if (account === null || state.vault !== "unlocked") return
  const generation = ++state.generation
  stopFollowing()
  clearTimeout(driftTimer)
  state.overview = null
  state.drift = null
  state.readFailed = false
  state.error = null
  state.status = "Reading the account…"
  render()
  // The settings alone (weight 10 on the direct backend); a plan reads orders and positions.
  const overview = await run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetOverview", account })))
  if (generation !== state.generation) return
  state.status = ""
  if (Exit.isSuccess(overview)) {
    state.overview = overview.value
    render()
    void loadDrift(account, generation)
    // After the read: the settings the live port sends on connecting are newer than a memoized read.
    follow(account, generation)
  } else {
    state.readFailed = true
    const failure = Cause.failureOption(overview.cause)
    if (Option.isSome(failure)) fail(failure.value)
    else render()
  }
}

const loadState = async (): Promise<void> => {
  const exit = await run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetState" })))
  if (Exit.isFailure(exit)) {
    state.status = ""
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) fail(failure.value)
    return
  }
  const { accounts, selected, vault } = exit.value
  state.accounts = accounts
  state.selected = selected
  state.vault = vault
  state.status = accounts.length === 0 ? "" : vault === "locked" ? "" : state.status
  render()
  if (vault === "locked") el.passphrase.focus()
  await loadAccount()
}

const preview = async (title: string, desired: DesiredState): Promise<void> => {
  const account = state.selected
  if (account === null) return
  state.error = null
  state.panel = { _tag: "Planning", title }
  render()
  el.panel.focus()
  const exit = await run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "MakePlan", account, desired })))
  if (state.panel?._tag !== "Planning") return
  if (Exit.isSuccess(exit)) {
    state.panel = { _tag: "Preview", title, desired, plan: exit.value.plan, blockers: exit.value.blockers }
    render()
    el.panel.focus()
  } else {
    state.panel = null
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) fail(failure.value)
    else render()
  }
}

const confirm = async (panel: Extract<Panel, { _tag: "Preview" }>): Promise<void> => {
  const account = state.selected
  if (account === null) return
  const applying: Applying = {
    _tag: "Applying",
    title: panel.title,
    plan: panel.plan,
    outcomes: new Map(),
    failures: new Map(),
    reconciled: new Set(),
    summary: null
  }
  state.panel = applying
  render()
  el.panel.focus()
  const onMessage = (message: ApplyMessage) => {
    switch (message._tag) {
      case "ApplyStarted":
        applying.plan = message.plan
        break
      case "StepStarted":
        applying.outcomes.set(message.index, "running")
        break
      case "StepFinished":
        applying.outcomes.set(message.index, message.outcome)
        if (message.reconciled === true) applying.reconciled.add(message.index)
        break
      case "StepFailed":
        applying.failures.set(message.index, message)
        break
      case "Done":
        applying.summary = message.summary
        break
      case "ApplyFailed":
        break
    }
    if (state.panel === applying) render()
  }
  const exit = await run(Effect.flatMap(WorkerClient, (c) => c.apply({ account, desired: panel.desired, plan: panel.plan }, onMessage)))
  if (Exit.isFailure(exit)) {
    const failure = Cause.failureOption(exit.cause)
    if (state.panel === applying) state.panel = null
    if (Option.isSome(failure)) fail(failure.value)
  }
  // Read the account again: the list and the mode show what is true now.
  const generation = state.generation
  const overview = await run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "GetOverview", account })))
  if (generation !== state.generation) return
  if (Exit.isSuccess(overview)) state.overview = overview.value
  render()
}

function closePanel() {
  state.panel = null
  render()
  el.maToggle.focus()
}

// ---------------------------------------------------------------------------------------------
// Events

el.account.addEventListener("change", () => {
  const account = el.account.value
  state.selected = account
  state.error = null
  state.panel = null
  void run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "SelectAccount", account })))
  void loadAccount()
})

const openOptions = () => void chrome.runtime.openOptionsPage()
el.openOptions.addEventListener("click", openOptions)
el.setupOpen.addEventListener("click", openOptions)

el.unlock.addEventListener("submit", (event) => {
  event.preventDefault()
  const passphrase = el.passphrase.value
  el.passphrase.value = ""
  state.error = null
  state.status = "Unlocking…"
  render()
  void run(Effect.flatMap(WorkerClient, (c) => c.request({ _tag: "Unlock", passphrase }))).then((exit) => {
    state.status = ""
    if (Exit.isSuccess(exit)) {
      state.vault = "unlocked"
      render()
      void loadAccount()
    } else {
      const failure = Cause.failureOption(exit.cause)
      if (Option.isSome(failure)) fail(failure.value)
      el.passphrase.focus()
    }
  })
})

el.maToggle.addEventListener("click", () => {
  if (state.overview === null) return
  const on = !state.overview.multiAssets
  void preview(`Turn Multi-Assets Mode ${on ? "on" : "off"}`, { multiAssets: on })
})

el.search.addEventListener("input", renderRows)

addEventListener("keydown", (event) => {
  if (event.key === "Escape" && state.panel !== null && state.panel._tag === "Preview") {
    event.preventDefault()
    closePanel()
  }
})

void loadState()
