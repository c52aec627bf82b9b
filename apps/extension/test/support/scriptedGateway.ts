/**
 * An HttpClient standing in for the gateway in unit tests: each request is answered with the next of
 * `answers` (the last one again when they run out: event streams with status 200, errors as JSON), and
 * the paths asked are recorded.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"

export const serve = (answers: ReadonlyArray<{ readonly status?: number; readonly body: string }>) => {
  const urls: Array<string> = []
  let n = 0
  const client = HttpClient.make((request, url) =>
    Effect.sync(() => {
      urls.push(url.pathname)
      const answer = answers[Math.min(n++, answers.length - 1)]!
      const type = (answer.status ?? 200) === 200 ? "text/event-stream" : "application/json"
      return HttpClientResponse.fromWeb(request, new Response(answer.body, { status: answer.status ?? 200, headers: { "content-type": type } }))
    })
  ).pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl("http://gw.test")))
  return { client, urls }
}
