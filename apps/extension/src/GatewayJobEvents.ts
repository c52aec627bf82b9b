/**
 * A gateway job's progress as it happens, from the job's Server-Sent Events stream
 * (`GET /v1/jobs/:id/events`, the `events` link of the created job): one `JobEvent` per `data:` line,
 * replayed from the start, ending after `Done`, or with an `Interrupted` event for a job the gateway
 * stopped. Read by `GatewaySse` (the same HttpClient: base URL and bearer token).
 *
 * A stream cut before `Done` is opened again, a second apart (the replay's events already seen are
 * skipped), until 4 reconnections in a row bring nothing new: then the job counts as lost.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { ProgressEvent } from "@marginctl/core/Planner"
import { JobEvent } from "@marginctl/gateway-api/Jobs"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type GatewayFailure, JobInterrupted, JobProgressLost } from "./GatewayErrors.js"
import * as GatewaySse from "./GatewaySse.js"

const decodeJobEvent = Schema.decode(Schema.parseJson(JobEvent))

/** Reconnections in a row that brought no new event before the job counts as lost (1 s apart). */
const RECONNECTS = 4

const retryable = (e: GatewayFailure) => e._tag === "JobProgressLost" || e._tag === "RequestError"

/**
 * The progress events of job `jobId` from `link` (relative to the client's base URL), ending with
 * `Done`; fails with `JobInterrupted` when the gateway stopped the job.
 */
export const follow = (client: HttpClient.HttpClient, jobId: string, link: string): Stream.Stream<ProgressEvent, GatewayFailure> =>
  Stream.suspend(() => {
    let seen = 0
    let done = false
    // Counted here rather than by the schedule: `Stream.retry` resets its schedule whenever the
    // replay passes an element, and a replay of events already seen is no progress.
    let idle = 0
    const once = GatewaySse.events(client, link).pipe(
      // `flatMap`, not `mapEffect`: `Stream.mapEffect` brings its keyed variant (2 KB) into the bundle.
      Stream.flatMap((e) =>
        Stream.fromEffect<JobEvent, GatewayFailure, never>(
          e.event === "Interrupted" ? Effect.fail(new JobInterrupted({ jobId })) : decodeJobEvent(e.data)
        )
      ),
      Stream.filter((e) => e.seq > seen),
      Stream.map((e) => {
        seen = e.seq
        idle = 0
        done = e.event._tag === "Done"
        return e.event
      }),
      Stream.takeUntil((e) => e._tag === "Done"),
      Stream.concat(Stream.suspend(() => (done ? Stream.empty : Stream.fail(new JobProgressLost({ jobId })))))
    )
    return Stream.retry(once, Schedule.spaced("1 second").pipe(Schedule.whileInput((e: GatewayFailure) => retryable(e) && ++idle <= RECONNECTS)))
  })
