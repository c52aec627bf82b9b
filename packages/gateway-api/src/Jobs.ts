/**
 * Plans and apply jobs. `plan` reads a snapshot (cached) and returns the ordered steps with their
 * weights, blockers and fixes. `apply` plans from a fresh snapshot and starts a job at once (202):
 * its state, per-step outcomes and progress events are readable with `get`, and streamable as
 * Server-Sent Events with `events` (the stream replays what happened so far and ends after `Done`, or
 * with `Interrupted`).
 * Jobs are durable: the gateway records them (plan, state, every progress event, summary) in its
 * audit store, so a job stays readable after a restart; one the gateway stopped before it finished
 * (shutdown, crash) reads as `interrupted`, with the outcomes of the steps that finished.
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { ApplySummary, DesiredState, Plan, ProgressEvent, StepError, StepOutcome } from "@marginctl/core/Planner"
import * as Schema from "effect/Schema"
import { AccountName, AccountPath } from "./Accounts.js"
import { Authentication } from "./Auth.js"
import { AccountErrors, PolicyViolation, StoreUnavailable } from "./Errors.js"

export const JobId = Schema.String.pipe(
  Schema.pattern(/^job_[A-Za-z0-9]{1,40}$/, { message: (i) => `job id must look like job_XXXX; got ${JSON.stringify(i.actual)}` })
).annotations({ identifier: "JobId" })

export const PlanRequest = Schema.Struct({ desired: DesiredState }).annotations({ identifier: "PlanRequest" })

export const PlanResponse = Schema.Struct({
  account: AccountName,
  plan: Plan,
  /** The plan in short human lines (steps with weights, blockers with fixes, totals). */
  lines: Schema.Array(Schema.String),
  /** Age of the snapshot the plan was made from. */
  ageMs: Schema.Number
}).annotations({ identifier: "PlanResponse" })
export type PlanResponse = typeof PlanResponse.Type

export const MAX_CONCURRENCY = 20

export const ApplyRequest = Schema.Struct({
  desired: DesiredState,
  /** Skip blocked steps (and those that depend on them) and go on. Default false: stop at a blocker. */
  continueOnBlocked: Schema.optional(Schema.Boolean),
  /** Margin-type steps sent at once (1 to 20, default 5). */
  concurrency: Schema.optional(Schema.Int.pipe(Schema.between(1, MAX_CONCURRENCY)))
}).annotations({ identifier: "ApplyRequest" })

/**
 * `queued` (waiting for another job of the account), `running`, `done` (every step has an outcome;
 * see the summary) or `interrupted`: the gateway stopped (shutdown past its grace period, crash,
 * restart) before the job finished.
 */
export const JobState = Schema.Literal("queued", "running", "done", "interrupted").annotations({ identifier: "JobState" })
export type JobState = typeof JobState.Type

/**
 * A step's outcome so far: `pending` (not started; in an interrupted job, never sent), `running`, one
 * of the apply outcomes, or `interrupted`: the step was in flight when the gateway stopped, so
 * whether Binance applied it is not known (re-read the account; the audit row says the same).
 */
export const StepStatus = Schema.Struct({
  index: Schema.Number,
  title: Schema.String,
  outcome: Schema.Union(StepOutcome, Schema.Literal("pending", "running", "interrupted")),
  reconciled: Schema.optional(Schema.Boolean),
  error: Schema.optional(StepError)
}).annotations({ identifier: "StepStatus" })
export type StepStatus = typeof StepStatus.Type

export const JobEvent = Schema.Struct({
  /** 1, 2, 3 … in the order the events happened. */
  seq: Schema.Number,
  /** Epoch ms. */
  time: Schema.Number,
  event: ProgressEvent
}).annotations({ identifier: "JobEvent" })
export type JobEvent = typeof JobEvent.Type

export const Job = Schema.Struct({
  id: JobId,
  account: AccountName,
  /** Name of the token that started the job. */
  token: Schema.String,
  state: JobState,
  /** The desired state the job was asked to reach. */
  desired: DesiredState,
  createdAt: Schema.Number,
  startedAt: Schema.NullOr(Schema.Number),
  finishedAt: Schema.NullOr(Schema.Number),
  continueOnBlocked: Schema.Boolean,
  concurrency: Schema.Number,
  plan: Plan,
  steps: Schema.Array(StepStatus),
  events: Schema.Array(JobEvent),
  summary: Schema.NullOr(ApplySummary)
}).annotations({ identifier: "Job" })
export type Job = typeof Job.Type

export const JobCreated = Schema.Struct({
  jobId: JobId,
  account: AccountName,
  state: JobState,
  plan: Plan,
  lines: Schema.Array(Schema.String),
  /** Relative URLs of the job and of its event stream. */
  links: Schema.Struct({ self: Schema.String, events: Schema.String })
}).annotations({ identifier: "JobCreated" })
export type JobCreated = typeof JobCreated.Type

export const JobPath = Schema.Struct({ id: JobId })

export class JobsGroup extends HttpApiGroup.make("jobs")
  .add(
    HttpApiEndpoint.post("plan", "/v1/accounts/:account/plan")
      .setPath(AccountPath)
      .setPayload(PlanRequest)
      .addSuccess(PlanResponse)
      .annotate(OpenApi.Summary, "Plan a desired state: ordered steps, weights, blockers and fixes (nothing is changed)")
  )
  .add(
    HttpApiEndpoint.post("apply", "/v1/accounts/:account/jobs")
      .setPath(AccountPath)
      .setPayload(ApplyRequest)
      .addSuccess(JobCreated, { status: 202 })
      .addError(PolicyViolation)
      .annotate(OpenApi.Summary, "Apply a desired state as a background job (needs scope write); returns 202 with the job id")
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/jobs/:id")
      .setPath(JobPath)
      .addSuccess(Job)
      .annotate(OpenApi.Summary, "A job: state, per-step outcomes, events and summary")
  )
  .add(
    HttpApiEndpoint.get("events", "/v1/jobs/:id/events")
      .setPath(JobPath)
      .addSuccess(HttpApiSchema.Text({ contentType: "text/event-stream" }))
      .annotate(
        OpenApi.Description,
        "Server-Sent Events: one `data:` line per JobEvent (JSON), replayed from the start; the stream ends after the `Done` event, or with an `Interrupted` event for a job the gateway stopped before it finished."
      )
      .annotate(OpenApi.Summary, "Progress of a job as text/event-stream")
  )
  .addError(AccountErrors[0])
  .addError(AccountErrors[1])
  .addError(AccountErrors[2])
  .addError(AccountErrors[3])
  .addError(AccountErrors[4])
  .addError(StoreUnavailable)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Plans and jobs")
{}
