/**
 * Following a gateway job's event stream: the frames are those the gateway writes (`id`, `event`,
 * `data: <JobEvent JSON>`, comments and pings), served by an HttpClient layer in place of the network.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import type { ProgressEvent } from "@marginctl/core/Planner"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { JobProgressLost } from "../src/GatewayErrors.js"
import * as GatewayJobEvents from "../src/GatewayJobEvents.js"
import { serve } from "./support/scriptedGateway.js"

const JOB = "job_abc123"
const LINK = `/v1/jobs/${JOB}/events`

const frame = (seq: number, event: ProgressEvent) =>
  `id: ${seq}\nevent: ${event._tag}\ndata: ${JSON.stringify({ seq, time: 1_700_000_000_000 + seq, event })}\n\n`

const started: ProgressEvent = { _tag: "StepStarted", index: 1 }
const finished: ProgressEvent = { _tag: "StepFinished", index: 1, outcome: "changed" }
const done: ProgressEvent = {
  _tag: "Done",
  summary: { changed: 1, unchanged: 0, blocked: 0, failed: 0, skipped: 0, complete: true }
}


const follow = (client: HttpClient.HttpClient) =>
  Effect.map(Stream.runCollect(GatewayJobEvents.follow(client, JOB, LINK)), Chunk.toReadonlyArray)

describe("GatewayJobEvents.follow", () => {
  it.effect("reads the progress events in order and ends with Done", () =>
    Effect.gen(function*() {
      const { client, urls } = serve([{ body: `: job ${JOB}\n\n${frame(1, started)}: ping\n\n${frame(2, finished)}${frame(3, done)}` }])
      assert.deepStrictEqual(yield* follow(client), [started, finished, done])
      assert.deepStrictEqual(urls, [LINK])
    }))

  it.effect("reconnects after a cut stream and skips the events it already had", () =>
    Effect.gen(function*() {
      const { client, urls } = serve([
        { body: frame(1, started) },
        { body: `${frame(1, started)}${frame(2, finished)}${frame(3, done)}` }
      ])
      const fiber = yield* Effect.fork(follow(client))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), [started, finished, done])
      assert.strictEqual(urls.length, 2)
    }))

  it.effect("gives up with JobProgressLost when the stream keeps ending before Done", () =>
    Effect.gen(function*() {
      const { client, urls } = serve([{ body: frame(1, started) }])
      const fiber = yield* Effect.fork(Effect.exit(follow(client)))
      // Each reconnection waits longer (0.5 s, 1 s, 2 s, 4 s): move the clock on until it gives up.
      for (let i = 0; i < 60 && Option.isNone(yield* Fiber.poll(fiber)); i++) yield* TestClock.adjust("500 millis")
      const exit = yield* Fiber.join(fiber)
      assert.deepStrictEqual(exit, Exit.fail(new JobProgressLost({ jobId: JOB })))
      assert.strictEqual(urls.length, 5)
    }))

  it.effect("fails with JobInterrupted when the gateway stopped the job", () =>
    Effect.gen(function*() {
      const { client } = serve([
        { body: `${frame(1, started)}event: Interrupted\ndata: ${JSON.stringify({ jobId: JOB, state: "interrupted" })}\n\n` }
      ])
      const error = yield* Effect.flip(follow(client))
      assert.deepStrictEqual(error._tag, "JobInterrupted")
    }))

  it.effect("fails with the contract's typed error when the gateway refuses the stream", () =>
    Effect.gen(function*() {
      const { client } = serve([
        { status: 404, body: JSON.stringify({ _tag: "NotFound", resource: "job", name: JOB, message: `no job ${JOB}` }) }
      ])
      const error = yield* Effect.flip(follow(client))
      assert.strictEqual(error._tag, "NotFound")
      assert.include(error, { resource: "job", name: JOB })
    }))
})
