import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Planner from "@marginctl/core/Planner"
import { Caller, mayAccess } from "@marginctl/gateway-api/Auth"
import { NotFound } from "@marginctl/gateway-api/Errors"
import { GatewayApi } from "@marginctl/gateway-api/GatewayApi"
import type { JobEvent } from "@marginctl/gateway-api/Jobs"
import { Accounts } from "../Accounts.js"
import { type JobRecord, view } from "../JobRecord.js"
import { Jobs } from "../Jobs.js"
import { vocabulary } from "../Vocabulary.js"
import * as Policy from "../Policy.js"
import { makeAccess, requireScope } from "./Auth.js"
import { upstreamRead } from "./UpstreamErrors.js"

const frame = (e: JobEvent) => `id: ${e.seq}\nevent: ${e.event._tag}\ndata: ${JSON.stringify(e)}\n\n`

export const layer = HttpApiBuilder.group(GatewayApi, "jobs", (handlers) =>
  Effect.gen(function*() {
    const accounts = yield* Accounts
    const jobs = yield* Jobs
    const access = makeAccess(accounts)

    /**
     * The job (held by this process or read back from the store), if it exists and the caller may
     * read its account (a job of another account is "not found"). A recorded job stays readable
     * after its account left the configuration, to tokens allowed every account.
     */
    const readable = (id: string) =>
      Effect.gen(function*() {
        const job = yield* jobs.get(id)
        const missing = new NotFound({ resource: "job", name: id, message: `no job ${id}` })
        if (job === undefined) return yield* missing
        yield* requireScope("read")
        if (!mayAccess(yield* Caller, job.account)) return yield* missing
        return job
      })

    const sse = (job: JobRecord) =>
      HttpServerResponse.stream(
        Stream.make(`: job ${job.id}\n\n`).pipe(
          Stream.concat(Stream.map(jobs.events(job), frame)),
          Stream.concat(Stream.suspend(() =>
            job.state === "interrupted"
              ? Stream.make(`event: Interrupted\ndata: ${JSON.stringify({ jobId: job.id, state: job.state })}\n\n`)
              : Stream.empty
          )),
          Stream.merge(Stream.tick("15 seconds").pipe(Stream.drop(1), Stream.as(": ping\n\n")), { haltStrategy: "left" }),
          Stream.encodeText
        ),
        { contentType: "text/event-stream", headers: { "cache-control": "no-cache", "x-accel-buffering": "no" } }
      )

    return handlers
      .handle("plan", ({ path, payload }) =>
        Effect.gen(function*() {
          const account = yield* access("read", path.account)
          const { ageMs, plan } = yield* jobs.plan(account, payload.desired, false).pipe(upstreamRead(account.name))
          return { account: account.name, plan, lines: Planner.describePlan(plan, vocabulary, { account: account.name }), ageMs }
        }))
      .handle("apply", ({ path, payload }) =>
        Effect.gen(function*() {
          const account = yield* access("write", path.account)
          yield* Policy.check(account.policy, payload.desired)
          const caller = yield* Caller
          const job = yield* jobs.create(account, caller.name, {
            desired: payload.desired,
            continueOnBlocked: payload.continueOnBlocked ?? false,
            concurrency: payload.concurrency ?? Planner.DEFAULT_CONCURRENCY
          }).pipe(upstreamRead(account.name))
          return {
            jobId: job.id,
            account: job.account,
            state: job.state,
            plan: job.plan,
            lines: Planner.describePlan(job.plan, vocabulary, { account: job.account }),
            links: { self: `/v1/jobs/${job.id}`, events: `/v1/jobs/${job.id}/events` }
          }
        }))
      .handle("get", ({ path }) => Effect.map(readable(path.id), view))
      .handle("events", ({ path }) => Effect.map(readable(path.id), sse))
  }))
