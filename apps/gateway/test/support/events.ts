/**
 * A reader of the gateway's account events stream (`GET /v1/accounts/{account}/events`, Server-Sent
 * Events): every frame as it arrives, with the time it arrived. Used by the gateway's stream tests and
 * the reliability suite.
 */

export interface Frame {
  readonly at: number
  readonly event: string
  readonly data: any
}

/** Follows the account's events on the gateway at `url` until `close`. */
export const followEvents = (url: string, account: string, token: string) => {
  const frames: Array<Frame> = []
  const controller = new AbortController()
  const done = fetch(`${url}/v1/accounts/${account}/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal })
    .then(async (res) => {
      const decoder = new TextDecoder()
      let buffer = ""
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event !== undefined && data !== undefined) frames.push({ at: Date.now(), event, data: JSON.parse(data) })
        }
      }
    })
    .catch(() => undefined)
  return {
    frames,
    close: async () => {
      controller.abort()
      await done
    }
  }
}
