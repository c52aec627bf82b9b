/**
 * A job as the gateway holds it: its row, the per-step statuses its events produced, its events and
 * its live stream; how it is written to the store, read back from it, and shown by the API.
 */
import type * as Planner from "@marginctl/core/Planner"
import type { Job, JobEvent, JobState, StepStatus } from "@marginctl/gateway-api/Jobs"
import type * as PubSub from "effect/PubSub"
import type { JobRow, StoredJob } from "./AuditStore.js"

export interface JobRecord {
  readonly id: string
  readonly account: string
  readonly token: string
  state: JobState
  readonly desired: Planner.DesiredState
  readonly createdAt: number
  startedAt: number | null
  finishedAt: number | null
  readonly continueOnBlocked: boolean
  readonly concurrency: number
  readonly plan: Planner.Plan
  readonly steps: Map<number, StepStatus>
  readonly events: Array<JobEvent>
  summary: Planner.ApplySummary | null
  /**
   * Live events; `null` marks the end of the stream. `null` itself for a job read back from the
   * store, which this process does not run (its events are the recorded ones).
   */
  readonly pubsub: PubSub.PubSub<JobEvent | null> | null
}

export const isFinal = (s: JobState) => s === "done" || s === "interrupted"

export const STEP_INTERRUPTED =
  "the gateway stopped while this step was in flight; whether Binance applied it is not known: re-read the account"

/** Applies a progress event to the per-step statuses (in place). */
export const applyEvent = (steps: Map<number, StepStatus>, event: Planner.ProgressEvent) => {
  if (event._tag === "Done") return
  const step = steps.get(event.index)
  if (step === undefined) return
  steps.set(event.index, event._tag === "StepStarted"
    ? { ...step, outcome: "running" }
    : {
      ...step,
      outcome: event.outcome,
      ...(event.reconciled !== undefined ? { reconciled: event.reconciled } : {}),
      ...(event.error !== undefined ? { error: event.error } : {})
    })
}

export const pendingSteps = (plan: Planner.Plan) =>
  new Map<number, StepStatus>(plan.steps.map((s) => [s.index, { index: s.index, title: s.title, outcome: "pending" }]))

/** The row the store keeps. */
export const rowOf = ({ events: _events, pubsub: _pubsub, steps: _steps, ...row }: JobRecord): JobRow => row

/** A job read back from the store (this process does not run it). */
export const fromStore = ({ events, instance: _instance, ...row }: StoredJob): JobRecord => {
  const steps = pendingSteps(row.plan)
  for (const e of events) applyEvent(steps, e.event)
  return { ...row, steps, events: [...events], pubsub: null }
}

// In an interrupted job, a step still running was in flight when the gateway stopped.
const stepsOf = (job: Pick<JobRecord, "state" | "steps">): Array<StepStatus> =>
  [...job.steps.values()].map((s) =>
    job.state === "interrupted" && s.outcome === "running"
      ? { ...s, outcome: "interrupted", error: { tag: "Interrupted", code: null, message: STEP_INTERRUPTED } }
      : s
  )

/** The job as the API shows it. */
export const view = ({ pubsub: _pubsub, ...job }: JobRecord): Job => ({ ...job, steps: stepsOf(job) })
